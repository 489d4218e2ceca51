"""Reads of the attribution ledger for the monitoring reports (监测统计 /
收益归属报表): sales, household income, quantity and entries by household,
village, county, city, brand, channel or month, and the totals.

Every figure is a **net** figure: reversals (cancellations, refunds) are
negative rows, so a SUM over the entries is what is left after them, and a
reversal counts in the month it happened. Each selector is one grouped query
over ``attribution_ledgerentry`` (plus, for the rows on a page, one query for
their labels), whatever the number of orders, so a page's query count is
constant.

*Households reached* (覆盖农户) are the distinct households whose net sales in
the selection are positive (a fully refunded sale reaches nobody). It needs a
two-level grouping (first by group and household, then by group), which the
ORM cannot express over a subquery: the inner query is the ORM's own
(filters, scope), compiled, and wrapped in a small outer ``GROUP BY`` that is
plain SQL valid on PostgreSQL and SQLite.
"""
from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import Count, F, Max, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shop.brands.models import Brand
from shop.core.masking import mask_name
from shop.producers.models import Household
from shop.regions.models import City, County, Village

from .models import Channel, LedgerEntry

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


class Dimension:
    """What a report groups by. Values are the URL's ``dimension`` parameter."""

    HOUSEHOLD = "household"
    VILLAGE = "village"
    COUNTY = "county"
    CITY = "city"
    BRAND = "brand"
    CHANNEL = "channel"
    MONTH = "month"

    choices = (
        (HOUSEHOLD, gettext_lazy("按农户")),
        (VILLAGE, gettext_lazy("按村")),
        (COUNTY, gettext_lazy("按县")),
        (CITY, gettext_lazy("按市")),
        (BRAND, gettext_lazy("按品牌")),
        (CHANNEL, gettext_lazy("按渠道")),
        (MONTH, gettext_lazy("按月")),
    )
    values = tuple(value for value, _label in choices)
    labels = dict(choices)
    # Dimensions with many groups: their tables are paginated.
    paginated = (HOUSEHOLD, VILLAGE)


_COLUMN = {
    Dimension.HOUSEHOLD: "household_id",
    Dimension.VILLAGE: "village_id",
    Dimension.COUNTY: "county_id",
    Dimension.CITY: "city_id",
    Dimension.BRAND: "brand_id",
    Dimension.CHANNEL: "channel",
    Dimension.MONTH: "month",
}


# -- scope and filters ----------------------------------------------------------


def ledger_scope(*, market_subjects=None):
    """All entries (``market_subjects`` None), or only those of the given market
    subjects (a queryset or list of them: a cooperative's own)."""
    queryset = LedgerEntry.objects.all()
    if market_subjects is None:
        return queryset
    if hasattr(market_subjects, "values"):
        return queryset.filter(market_subject__in=market_subjects.values("pk"))
    return queryset.filter(market_subject__in=list(market_subjects))


def ledger_visible_to(user):
    """Programme officers and staff see every entry; a cooperative's staff only
    the entries of their own market subjects (what their households sold)."""
    from shop.backoffice.access import market_subjects_visible_to, user_sees_all

    if user_sees_all(user):
        return ledger_scope()
    return ledger_scope(market_subjects=market_subjects_visible_to(user))


@dataclass(frozen=True)
class ReportFilters:
    """Filters of a report. ``month_from``/``month_to`` are first days of months,
    both inclusive."""

    month_from: datetime.date | None = None
    month_to: datetime.date | None = None
    channel: str = ""
    city_id: int | None = None
    county_id: int | None = None
    brand_id: int | None = None
    market_subject_id: int | None = None

    @property
    def is_filtered(self) -> bool:
        return self != ReportFilters()

    def apply(self, queryset):
        if self.month_from:
            queryset = queryset.filter(month__gte=self.month_from)
        if self.month_to:
            queryset = queryset.filter(month__lte=self.month_to)
        if self.channel:
            queryset = queryset.filter(channel=self.channel)
        if self.city_id:
            queryset = queryset.filter(city_id=self.city_id)
        if self.county_id:
            queryset = queryset.filter(county_id=self.county_id)
        if self.brand_id:
            queryset = queryset.filter(brand_id=self.brand_id)
        if self.market_subject_id:
            queryset = queryset.filter(market_subject_id=self.market_subject_id)
        return queryset


# -- results --------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """One group. ``key`` is the id (household, village, county, city, brand), the
    channel code or the month's first day; None is the unattributed part (by
    household) or an unknown place/brand."""

    key: Any
    sales_amount: Decimal
    income: Decimal
    quantity: Decimal
    households_reached: int
    entries: int
    label: str = ""
    detail: str = ""  # households: the masked head's name; villages: county · township; counties: city
    place: str = ""  # households: county township village; villages: county


@dataclass(frozen=True)
class ReportTotals:
    sales_amount: Decimal
    income: Decimal
    quantity: Decimal
    entries: int
    households_reached: int
    unattributed_sales: Decimal

    @property
    def attributed_sales(self) -> Decimal:
        return self.sales_amount - self.unattributed_sales

    @property
    def unattributed_share(self) -> Decimal | None:
        """Unattributed net sales as a percentage of all net sales, to 0.01 %;
        None when there are no net sales to divide by."""
        if not self.sales_amount:
            return None
        return (self.unattributed_sales * 100 / self.sales_amount).quantize(CENT)


@dataclass(frozen=True)
class RowPage:
    rows: list[ReportRow]
    count: int  # number of groups in the whole selection
    number: int = 1
    per_page: int | None = None


# -- the grouped queries -------------------------------------------------------

# The per-(group, household) hash aggregates of a big ledger (48,000 groups for
# months × households on 1,000,000 entries) spill to disk under PostgreSQL's
# default 4 MB and run 3× slower (bench/ledger.py); a report session gives them
# room, for its own transaction only.
REPORT_WORK_MEM = "64MB"


@contextmanager
def report_session(using=DEFAULT_DB_ALIAS):
    """Run a page's report queries in one transaction with ``work_mem`` raised
    to ``REPORT_WORK_MEM`` (``set_config(..., true)``: transaction-local, one
    query). A no-op on other databases."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    # No savepoint: the session only reads, and inside a request's transaction it
    # simply joins it (set_config(..., true) then lasts until that one ends).
    with transaction.atomic(using=using, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [REPORT_WORK_MEM])
        yield


def _decimal(value, exponent) -> Decimal:
    if value is None:
        return Decimal(0).quantize(exponent)
    if not isinstance(value, Decimal):  # SQLite hands raw SUMs back as float/int
        value = Decimal(str(value))
    return value.quantize(exponent)


def _compiled(queryset):
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return sql, params, connections[queryset.db]


def _per_household(queryset, key_column: str | None):
    """The inner query: net figures per (group, household)."""
    values = {"h": F("household_id")}
    if key_column is not None:
        values["k"] = F(key_column)
    return (
        queryset.order_by()
        .values(**values)
        .annotate(s=Sum("sales_amount"), i=Sum("income"), q=Sum("quantity"), n=Count("pk"))
    )


_REACHED = "SUM(CASE WHEN t.h IS NOT NULL AND t.s > 0 THEN 1 ELSE 0 END)"


def report_rows(queryset, dimension: str, *, limit: int | None = None, offset: int = 0) -> RowPage:
    """Groups of ``queryset`` (already scoped and filtered) by ``dimension``,
    largest net sales first (months in calendar order), with their households
    reached; ``limit``/``offset`` cut a page and ``count`` is the number of
    groups of the whole selection (window function, same query). Rows carry
    no labels yet: see ``with_labels``."""
    if queryset.query.is_empty():
        return RowPage(rows=[], count=0, per_page=limit)
    inner_sql, params, connection = _compiled(_per_household(queryset, _COLUMN[dimension]))
    if dimension == Dimension.MONTH:
        order = "t.k"
    else:
        order = "SUM(t.s) DESC, CASE WHEN t.k IS NULL THEN 1 ELSE 0 END, t.k"
    sql = (
        f"SELECT t.k, SUM(t.s), SUM(t.i), SUM(t.q), SUM(t.n), {_REACHED}, COUNT(*) OVER () "
        f"FROM ({inner_sql}) t GROUP BY t.k ORDER BY {order}"
    )
    params = list(params)
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = [
        ReportRow(
            key=_key(dimension, key), sales_amount=_decimal(sales, CENT), income=_decimal(income, CENT),
            quantity=_decimal(quantity, MILLI), entries=int(entries or 0), households_reached=int(reached or 0),
        )
        for key, sales, income, quantity, entries, reached, _count in fetched
    ]
    count = fetched[0][6] if fetched else 0
    return RowPage(rows=rows, count=count, per_page=limit, number=(offset // limit + 1) if limit else 1)


def _key(dimension, value):
    if dimension == Dimension.MONTH and isinstance(value, str):  # SQLite
        return datetime.date.fromisoformat(value)
    return value


def report_totals(queryset) -> ReportTotals:
    """Net sales, income, quantity, entries, households reached and the
    unattributed sales of ``queryset``, in one query."""
    if queryset.query.is_empty():
        return ReportTotals(Decimal("0.00"), Decimal("0.00"), Decimal("0.000"), 0, 0, Decimal("0.00"))
    inner_sql, params, connection = _compiled(_per_household(queryset, None))
    sql = (
        f"SELECT SUM(t.s), SUM(t.i), SUM(t.q), SUM(t.n), {_REACHED}, "
        f"SUM(CASE WHEN t.h IS NULL THEN t.s ELSE 0 END) FROM ({inner_sql}) t"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        sales, income, quantity, entries, reached, unattributed = cursor.fetchone()
    return ReportTotals(
        sales_amount=_decimal(sales, CENT), income=_decimal(income, CENT), quantity=_decimal(quantity, MILLI),
        entries=int(entries or 0), households_reached=int(reached or 0),
        unattributed_sales=_decimal(unattributed, CENT),
    )


# -- labels (one query for the ids on a page) ---------------------------------


@dataclass(frozen=True)
class Label:
    label: str
    detail: str = ""
    place: str = ""


def _month_label(month: datetime.date) -> str:
    return _("%(year)d年%(month)d月") % {"year": month.year, "month": month.month}


def labels_for(dimension: str, keys) -> dict:
    """{key: Label} for the keys of a page; one query at most (none for
    channels and months). Households show their registration number and the
    masked head's name, never the name itself."""
    ids = [key for key in keys if key is not None]
    result = {}
    if dimension == Dimension.HOUSEHOLD:
        households = (
            Household.objects.filter(pk__in=ids)
            .select_related("village__township__county")
            .only("pk", "registration_number", "head_name", "village__name", "village__township__name",
                  "village__township__county__name")
        )
        for household in households:
            village = household.village
            result[household.pk] = Label(
                household.registration_number, mask_name(household.head_name),
                f"{village.township.county.name} {village.township.name} {village.name}",
            )
    elif dimension == Dimension.VILLAGE:
        for village in Village.objects.filter(pk__in=ids).select_related("township__county"):
            county = village.township.county.name
            result[village.pk] = Label(village.name, f"{county} · {village.township.name}", county)
    elif dimension == Dimension.COUNTY:
        for county in County.objects.filter(pk__in=ids).select_related("city"):
            result[county.pk] = Label(county.name, county.city.name)
    elif dimension == Dimension.CITY:
        for city in City.objects.filter(pk__in=ids).only("pk", "name"):
            result[city.pk] = Label(city.name)
    elif dimension == Dimension.BRAND:
        for brand in Brand.objects.filter(pk__in=ids).only("pk", "name"):
            result[brand.pk] = Label(brand.name)
    elif dimension == Dimension.CHANNEL:
        result = {key: Label(str(Channel(key).label) if key in Channel.values else key) for key in ids}
    elif dimension == Dimension.MONTH:
        result = {key: Label(_month_label(key)) for key in ids}
    return result


def _missing_label(dimension: str) -> Label:
    if dimension == Dimension.HOUSEHOLD:
        return Label(_("未归属"), _("无建档立卡贫困户供货的销售"))
    return Label(_("未知"))


def with_labels(page: RowPage, dimension: str) -> RowPage:
    labels = labels_for(dimension, [row.key for row in page.rows])
    rows = []
    for row in page.rows:
        label = labels.get(row.key) if row.key is not None else _missing_label(dimension)
        label = label or Label(str(row.key))
        rows.append(replace(row, label=label.label, detail=label.detail, place=label.place))
    return replace(page, rows=rows)


# -- a whole report -------------------------------------------------------------


@dataclass(frozen=True)
class AttributionReport:
    dimension: str
    filters: ReportFilters
    totals: ReportTotals
    table: RowPage
    trend: list[ReportRow] = field(default_factory=list)
    top_villages: list[ReportRow] = field(default_factory=list)
    top_brands: list[ReportRow] = field(default_factory=list)


TOP = 10


def attribution_report(queryset, *, dimension: str, filters: ReportFilters, page: int = 1, per_page: int = 50,
                       charts: bool = True) -> AttributionReport:
    """The report page: totals, the table (a page of it for households and
    villages, all groups otherwise), and the series of the charts: the trend
    over months and the top villages and brands by net sales.

    ``queryset`` is the user's scope (``ledger_visible_to``). Without charts
    (the exports) the table holds every group. Runs in a ``report_session``.

    Reports are cached under the ledger's *version*: its row count and highest
    id, read in one query. The ledger is append-only, so every committed write
    changes the count, and a cached report is never stale; the key also holds
    the compiled scope and filters, the dimension, the page and the language."""
    with report_session(queryset.db):
        try:
            key = _report_cache_key(queryset, dimension=dimension, filters=filters, page=page, per_page=per_page,
                                    charts=charts)
        except EmptyResultSet:  # an empty scope or invalid filters: nothing to cache
            key = None
        report = cache.get(key) if key else None
        if report is None:
            report = _attribution_report(queryset, dimension=dimension, filters=filters, page=page,
                                         per_page=per_page, charts=charts)
            if key:
                cache.set(key, report, REPORT_CACHE_SECONDS)
        return report


REPORT_CACHE_SECONDS = 3600


def ledger_version(using=DEFAULT_DB_ALIAS) -> tuple[int, int]:
    totals = LedgerEntry.objects.using(using).aggregate(n=Count("pk"), top=Max("pk"))
    return totals["n"], totals["top"] or 0


def _report_cache_key(queryset, **parts) -> str:
    sql, params, _connection = _compiled(parts["filters"].apply(queryset))
    described = repr((sql, [str(param) for param in params], sorted((k, str(v)) for k, v in parts.items() if k != "filters"),
                      get_language(), ledger_version(queryset.db)))
    return "attribution-report:" + hashlib.sha256(described.encode()).hexdigest()


def _attribution_report(queryset, *, dimension, filters, page, per_page, charts):
    selection = filters.apply(queryset)
    totals = report_totals(selection)
    paginate = charts and dimension in Dimension.paginated
    if paginate:
        page = max(page, 1)
        table = report_rows(selection, dimension, limit=per_page, offset=(page - 1) * per_page)
        if not table.rows and page > 1:  # past the end: the last page
            last = max(1, -(-report_rows(selection, dimension, limit=1).count // per_page))
            table = report_rows(selection, dimension, limit=per_page, offset=(last - 1) * per_page)
    else:
        table = report_rows(selection, dimension)
    table = with_labels(table, dimension)
    report = AttributionReport(dimension=dimension, filters=filters, totals=totals, table=table)
    if not charts:
        return report
    # Where the table already holds a chart's series (same grouping and order,
    # from the first row), use it instead of a second pass over the ledger.
    trend = table.rows if dimension == Dimension.MONTH else report_rows(selection, Dimension.MONTH).rows
    return replace(
        report, trend=_labelled_months(trend),
        top_villages=_top(selection, table, dimension, Dimension.VILLAGE),
        top_brands=_top(selection, table, dimension, Dimension.BRAND),
    )


def _top(selection, table: RowPage, dimension: str, wanted: str) -> list[ReportRow]:
    if dimension == wanted and table.number == 1 and (table.per_page is None or table.per_page >= TOP):
        return table.rows[:TOP]
    return with_labels(report_rows(selection, wanted, limit=TOP), wanted).rows


def _labelled_months(rows):
    return [replace(row, label=_month_label(row.key)) if row.key else row for row in continuous_months(rows)]


def _next_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def continuous_months(rows: list[ReportRow]) -> list[ReportRow]:
    """Month rows (in calendar order) with the months between them that have
    no entry filled in as zeros, so a trend line does not join distant months."""
    known = {row.key: row for row in rows if row.key}
    if not known:
        return list(rows)
    result, month, last = [], min(known), max(known)
    while month <= last:
        result.append(known.get(month) or ReportRow(
            key=month, sales_amount=Decimal("0.00"), income=Decimal("0.00"), quantity=Decimal("0.000"),
            households_reached=0, entries=0))
        month = _next_month(month)
    return result
