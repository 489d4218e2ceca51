"""CSV and XLSX files of an attribution report (the current view: same
dimension, filters and scope, every group rather than one page).

* the header row is Chinese; the last row is the totals (合计), whose
  households reached is the distinct count, not the sum of the rows';
* CSV is UTF-8 with a byte-order mark so that Excel opens it as UTF-8, amounts
  as plain numbers with two decimals (no currency sign);
* XLSX keeps amounts and quantities as numbers (written from the Decimals) with
  a number format, and adds a second sheet (说明) with the scope, the filters
  and the totals;
* file names read like ``收益归属_按村_2026-12.xlsx``; ``content_disposition``
  gives an ASCII fallback and the RFC 5987 ``filename*``.

Households appear by registration number and masked name only."""
from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable
from urllib.parse import quote

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Channel
from .reports import AttributionReport, Dimension, ReportFilters, ReportRow

MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.###"
COUNT_FORMAT = "#,##0"


@dataclass(frozen=True)
class ExportColumn:
    header: str
    value: Callable[[ReportRow], object]
    kind: str = "text"  # text | money | quantity | count
    width: int = 14


def _month_text(row):
    return f"{row.key.year:04d}-{row.key.month:02d}" if row.key else _("未知")


def _key_columns(dimension) -> list[ExportColumn]:
    label = lambda row: row.label  # noqa: E731
    detail = lambda row: row.detail  # noqa: E731
    if dimension == Dimension.HOUSEHOLD:
        return [
            ExportColumn(_("建档立卡编号"), label, width=18),
            ExportColumn(_("户主姓名（脱敏）"), detail, width=16),
            ExportColumn(_("所在行政村"), lambda row: row.place, width=28),
        ]
    if dimension == Dimension.VILLAGE:
        return [ExportColumn(_("行政村"), label, width=16), ExportColumn(_("县（市、区）· 乡镇"), detail, width=24)]
    if dimension == Dimension.COUNTY:
        return [ExportColumn(_("县（市、区）"), label, width=16), ExportColumn(_("地级市"), detail)]
    if dimension == Dimension.CITY:
        return [ExportColumn(_("地级市"), label)]
    if dimension == Dimension.BRAND:
        return [ExportColumn(_("区域公用品牌"), label, width=18)]
    if dimension == Dimension.CHANNEL:
        return [ExportColumn(_("渠道"), label, width=18)]
    return [ExportColumn(_("月份"), _month_text, width=10)]


def columns_for(dimension) -> list[ExportColumn]:
    columns = _key_columns(dimension) + [
        ExportColumn(_("销售额（元）"), lambda row: row.sales_amount, "money"),
        ExportColumn(_("农户收益（元）"), lambda row: row.income, "money"),
        ExportColumn(_("数量"), lambda row: row.quantity, "quantity", width=10),
    ]
    if dimension != Dimension.HOUSEHOLD:
        columns.append(ExportColumn(_("覆盖农户数"), lambda row: row.households_reached, "count", width=10))
    columns.append(ExportColumn(_("台账条数"), lambda row: row.entries, "count", width=10))
    return columns


def _totals_row(report: AttributionReport) -> ReportRow:
    totals = report.totals
    return ReportRow(
        key=None, sales_amount=totals.sales_amount, income=totals.income, quantity=totals.quantity,
        households_reached=totals.households_reached, entries=totals.entries, label=_("合计"),
    )


def _totals_cells(report, columns):
    total = _totals_row(report)
    key_count = len(_key_columns(report.dimension))
    return [_("合计")] + [""] * (key_count - 1) + [column.value(total) for column in columns[key_count:]]


def table_cells(report: AttributionReport):
    """(columns, [[(kind, value)] per row], [(kind, value)] of the totals row):
    what the report page's table shows, the same columns as the files."""
    columns = columns_for(report.dimension)
    rows = [[(column.kind, column.value(row)) for column in columns] for row in report.table.rows]
    totals = [(column.kind, value) for column, value in zip(columns, _totals_cells(report, columns))]
    return columns, rows, totals


def _plain(value, kind) -> str:
    if kind == "money":
        return f"{value:.2f}"
    if kind == "quantity":
        return _quantity_text(value)
    return "" if value is None else str(value)


def _quantity_text(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def report_csv(report: AttributionReport) -> bytes:
    columns = columns_for(report.dimension)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in columns])
    for row in report.table.rows:
        writer.writerow([_plain(column.value(row), column.kind) for column in columns])
    totals = _totals_cells(report, columns)
    writer.writerow([_plain(value, column.kind) if value != "" else "" for column, value in zip(columns, totals)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def filter_lines(filters: ReportFilters) -> list[tuple[str, str]]:
    """(label, value) of each filter that is set, names looked up (for the
    XLSX notes sheet)."""
    from shop.brands.models import Brand
    from shop.producers.models import MarketSubject
    from shop.regions.models import City, County

    def month(value):
        return f"{value.year:04d}-{value.month:02d}"

    lines = []
    if filters.month_from:
        lines.append((_("起始月份"), month(filters.month_from)))
    if filters.month_to:
        lines.append((_("截止月份"), month(filters.month_to)))
    if filters.channel:
        lines.append((_("渠道"), str(Channel(filters.channel).label)))
    for label, model, pk in (
        (_("地级市"), City, filters.city_id), (_("县（市、区）"), County, filters.county_id),
        (_("区域公用品牌"), Brand, filters.brand_id), (_("市场主体"), MarketSubject, filters.market_subject_id),
    ):
        if pk:
            obj = model.objects.filter(pk=pk).first()
            lines.append((label, obj.name if obj else str(pk)))
    return lines


def report_xlsx(report: AttributionReport, *, scope_label: str, generated_at=None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    generated_at = timezone.localtime(generated_at or timezone.now())
    columns = columns_for(report.dimension)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(Dimension.labels[report.dimension])
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = {"money": MONEY_FORMAT, "quantity": QUANTITY_FORMAT, "count": COUNT_FORMAT}
    for values in [[column.value(row) for column in columns] for row in report.table.rows] + [
        _totals_cells(report, columns)
    ]:
        sheet.append(values)
        for column, cell in zip(columns, sheet[sheet.max_row]):
            if column.kind in formats and cell.value != "":
                cell.number_format = formats[column.kind]
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(_("说明"))
    totals = report.totals
    share = totals.unattributed_share
    rows = [
        (_("报表"), _("收益归属报表") + " · " + str(Dimension.labels[report.dimension])),
        (_("口径"), _("净额：销售减去取消和退款冲销；冲销计入发生的月份")),
        (_("数据范围"), scope_label),
        *filter_lines(report.filters),
        (_("导出时间"), generated_at.strftime("%Y-%m-%d %H:%M")),
        (_("销售额（元）"), totals.sales_amount),
        (_("农户收益（元）"), totals.income),
        (_("覆盖农户数"), totals.households_reached),
        (_("未归属销售额（元）"), totals.unattributed_sales),
        (_("未归属占比（%）"), share if share is not None else "—"),
    ]
    for label, value in rows:
        notes.append([label, value])
        if isinstance(value, Decimal):
            notes.cell(row=notes.max_row, column=2).number_format = MONEY_FORMAT
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 48
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _period(filters: ReportFilters, today: datetime.date) -> str:
    def month(value):
        return f"{value.year:04d}-{value.month:02d}"

    start, end = filters.month_from, filters.month_to
    if start and end:
        return month(start) if start == end else f"{month(start)}_{month(end)}"
    if start:
        return f"{month(start)}_{month(today)}"
    if end:
        return _("截至%(month)s") % {"month": month(end)}
    return month(today)


def export_filename(report: AttributionReport, extension: str, *, today=None) -> tuple[str, str]:
    """(file name, ASCII fallback), e.g. ("收益归属_按村_2026-12.xlsx",
    "attribution_village_2026-12.xlsx")."""
    today = today or timezone.localdate()
    period = _period(report.filters, today)
    name = f"{_('收益归属')}_{Dimension.labels[report.dimension]}_{period}.{extension}"
    ascii_period = period if period.isascii() else f"to_{period[-7:]}"
    fallback = f"attribution_{report.dimension}_{ascii_period}.{extension}"
    return name, fallback


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the RFC 5987 ``filename*``."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
