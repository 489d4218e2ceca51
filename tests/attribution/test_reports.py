"""Report selectors over the ledger: exact net figures for every dimension
after sales, a partial refund and a cancellation; households reached;
unattributed share; scope and filters.

The scenario (``build_scenario``), amounts in yuan:

* 2026-10, order 1: 10 × 梅州金柚 at 39.90 from batch A (household A 60 %, A2 40 %,
  6.00 a unit): A 6 units 239.40 (income 36.00), A2 4 units 159.60 (24.00).
* 2026-11, order 2: 4 × 平远脐橙 at 59.00 from batch B (household B 50 % at a 30 %
  share, the rest nobody's): B 2 units 118.00 (35.40), unattributed 2 units 118.00.
* 2026-11, order 3: 2 × 客家娘酒 at 25.00 (no batch): unattributed 50.00; and
  5 × 梅州金柚: A 3 units 119.70 (18.00), A2 2 units 79.80 (12.00).
* 2026-11, order 4: 2 × 平远脐橙: B 1 unit 59.00 (17.70), unattributed 1 unit 59.00.
* 2026-12, refund of 5 units of order 1's line: A −3 −119.70 (−18.00), A2 −2 −79.80 (−12.00).
* 2026-12, order 4 cancelled: B −1 −59.00 (−17.70), unattributed −1 −59.00.

Net: 685.00 sold, 95.40 income, 16 units, 13 entries, 168.00 unattributed
(24.53 %), 3 households reached.
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shop.attribution import reports
from shop.attribution.models import Channel
from shop.attribution.reports import Dimension, ReportFilters
from shop.attribution.services import line_refund, order_attribute, order_cancel_attribution
from tests.backoffice.support import HEAD_NAME_A, HEAD_NAME_B, build_world
from tests.factories import BrandFactory, make_batch, make_household, make_product, place_order

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEAD_NAME_A2 = "钟秀英"


def at(year, month, day, hour=10):
    return datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def sell(lines, when):
    order = place_order(lines=lines, attribute=False)
    order_attribute(order=order, occurred_at=when)
    return order


@dataclass
class Scenario:
    world: object
    household_a2: object
    brand2: object
    product_c: object
    pomelo: object
    orange: object
    orders: list


def build_scenario(world=None) -> Scenario:
    world = world or build_world()
    household_a2 = make_household(village=world.village_a2, head_name=HEAD_NAME_A2,
                                  registration_number="JD44140300002", market_subjects=[world.subject_a])
    brand2 = BrandFactory(name="梅县客家娘酒", slug="meixian-niangjiu", counties=[world.county_a])
    product_c = make_product(title="客家娘酒 500ml", market_subject=world.subject_a, brand=brand2,
                             village=world.village_a2, price=Decimal("25.00"))
    # Products of their own (the world's products may carry batches of other tests' making).
    pomelo = make_product(title="梅州金柚 礼盒", market_subject=world.subject_a, brand=world.brand,
                          village=world.village_a, price=Decimal("39.90"), stock=0)
    orange = make_product(title="平远脐橙 礼盒", market_subject=world.subject_b, brand=world.brand,
                          village=world.village_b, price=Decimal("59.00"), stock=0)
    make_batch(product=pomelo, quantity=100,
               households=[(world.household_a, 60), (household_a2, 40)], purchase_price=Decimal("6.00"))
    make_batch(product=orange, quantity=50, households=[(world.household_b, 25)],
               rule="sales_share", sales_share=Decimal("30"))
    order1 = sell([(pomelo, 10)], at(2026, 10, 15))
    order2 = sell([(orange, 4)], at(2026, 11, 5))
    order3 = sell([(product_c, 2), (pomelo, 5)], at(2026, 11, 20))
    order4 = sell([(orange, 2)], at(2026, 11, 25))
    line_refund(line=order1.lines.get(), quantity=5, occurred_at=at(2026, 12, 3))
    order_cancel_attribution(order=order4, occurred_at=at(2026, 12, 1))
    return Scenario(world=world, household_a2=household_a2, brand2=brand2, product_c=product_c,
                    pomelo=pomelo, orange=orange, orders=[order1, order2, order3, order4])


@pytest.fixture
def scenario(db):
    return build_scenario()


def figures(rows):
    """(label, sales, income, quantity, households reached, entries) per row."""
    return [
        (row.label, str(row.sales_amount), str(row.income), f"{row.quantity.normalize():f}", row.households_reached,
         row.entries)
        for row in rows
    ]


def table(dimension, queryset=None, filters=ReportFilters()):
    queryset = reports.ledger_scope() if queryset is None else queryset
    return reports.with_labels(reports.report_rows(filters.apply(queryset), dimension), dimension).rows


def test_totals_are_net_of_refunds_and_cancellations(scenario):
    totals = reports.report_totals(reports.ledger_scope())
    assert totals.sales_amount == Decimal("685.00")
    assert totals.income == Decimal("95.40")
    assert totals.quantity == Decimal("16.000")
    assert totals.entries == 13
    assert totals.households_reached == 3
    assert totals.unattributed_sales == Decimal("168.00")
    assert totals.attributed_sales == Decimal("517.00")
    # 168 / 685 = 24.5255… %
    assert totals.unattributed_share == Decimal("24.53")


def test_by_household(scenario):
    rows = table(Dimension.HOUSEHOLD)
    assert figures(rows) == [
        ("JD44140300001", "239.40", "36.00", "6", 1, 3),
        ("未归属", "168.00", "0.00", "4", 0, 4),
        ("JD44140300002", "159.60", "24.00", "4", 1, 3),
        ("JD44142600001", "118.00", "35.40", "2", 1, 3),
    ]
    # Registration number and masked name, never the name.
    assert [(row.detail, row.place) for row in rows] == [
        ("李**", "梅县区 松口镇 大黄村"),
        ("无建档立卡贫困户供货的销售", ""),
        ("钟**", "梅县区 松口镇 铜琶村"),
        ("王**", "平远县 大柘镇 程西村"),
    ]
    text = repr(rows)
    assert HEAD_NAME_A not in text and HEAD_NAME_B not in text and HEAD_NAME_A2 not in text


def test_by_village(scenario):
    rows = table(Dimension.VILLAGE)
    assert figures(rows) == [
        ("大黄村", "239.40", "36.00", "6", 1, 3),
        ("程西村", "236.00", "35.40", "4", 1, 6),
        ("铜琶村", "209.60", "24.00", "6", 1, 4),
    ]
    assert [row.detail for row in rows] == ["梅县区 · 松口镇", "平远县 · 大柘镇", "梅县区 · 松口镇"]


def test_by_county_city_brand_channel(scenario):
    assert figures(table(Dimension.COUNTY)) == [
        ("梅县区", "449.00", "60.00", "12", 2, 7),
        ("平远县", "236.00", "35.40", "4", 1, 6),
    ]
    assert figures(table(Dimension.CITY)) == [("梅州市", "685.00", "95.40", "16", 3, 13)]
    assert figures(table(Dimension.BRAND)) == [
        ("梅州金柚", "635.00", "95.40", "14", 3, 12),
        ("梅县客家娘酒", "50.00", "0.00", "2", 0, 1),
    ]
    assert figures(table(Dimension.CHANNEL)) == [("乡品通商城", "685.00", "95.40", "16", 3, 13)]


def test_by_month_reversals_count_in_their_month(scenario):
    rows = table(Dimension.MONTH)
    assert [row.key for row in rows] == [datetime.date(2026, 10, 1), datetime.date(2026, 11, 1),
                                         datetime.date(2026, 12, 1)]
    assert figures(rows) == [
        ("2026年10月", "399.00", "60.00", "10", 2, 2),
        ("2026年11月", "603.50", "83.10", "13", 3, 7),
        # Only reversals: nobody is reached in December.
        ("2026年12月", "-317.50", "-47.70", "-7", 0, 4),
    ]


def test_a_fully_refunded_household_is_not_reached(scenario):
    order = sell([(scenario.pomelo, 1)], at(2026, 12, 10))
    line_refund(line=order.lines.get(), quantity=1, occurred_at=at(2026, 12, 11))
    december = ReportFilters(month_from=datetime.date(2026, 12, 1), month_to=datetime.date(2026, 12, 1))
    totals = reports.report_totals(december.apply(reports.ledger_scope()))
    assert (totals.sales_amount, totals.households_reached) == (Decimal("-317.50"), 0)
    november = ReportFilters(month_from=datetime.date(2026, 11, 1), month_to=datetime.date(2026, 11, 1))
    totals = reports.report_totals(november.apply(reports.ledger_scope()))
    assert (totals.sales_amount, totals.households_reached, totals.unattributed_share) == (
        Decimal("603.50"), 3, Decimal("37.61"))  # (118 + 50 + 59) / 603.50


def test_cooperative_scope_and_filters(scenario):
    world = scenario.world
    own_a = reports.ledger_scope(market_subjects=[world.subject_a])
    totals = reports.report_totals(own_a)
    assert (totals.sales_amount, totals.income, totals.households_reached, totals.unattributed_share) == (
        Decimal("449.00"), Decimal("60.00"), 2, Decimal("11.14"))
    assert [row.label for row in table(Dimension.HOUSEHOLD, own_a)] == ["JD44140300001", "JD44140300002", "未归属"]
    assert figures(table(Dimension.HOUSEHOLD, own_a))[2] == ("未归属", "50.00", "0.00", "2", 0, 1)

    # The visible-to rule: a cooperative's staff get their own subjects only.
    visible = reports.ledger_visible_to(world.users["coop_b"])
    assert figures(table(Dimension.VILLAGE, visible)) == [("程西村", "236.00", "35.40", "4", 1, 6)]
    assert reports.report_totals(reports.ledger_visible_to(world.users["officer"])).sales_amount == Decimal("685.00")

    by_brand = ReportFilters(brand_id=scenario.brand2.pk)
    assert figures(table(Dimension.VILLAGE, filters=by_brand)) == [("铜琶村", "50.00", "0.00", "2", 0, 1)]
    by_county = ReportFilters(county_id=world.county_b.pk, month_to=datetime.date(2026, 11, 1))
    assert figures(table(Dimension.HOUSEHOLD, filters=by_county)) == [
        ("JD44142600001", "177.00", "53.10", "3", 1, 2),
        ("未归属", "177.00", "0.00", "3", 0, 2),
    ]
    assert table(Dimension.CITY, filters=ReportFilters(channel=Channel.JD)) == []
    by_subject = ReportFilters(market_subject_id=world.subject_b.pk, city_id=world.city.pk)
    assert reports.report_totals(by_subject.apply(own_a)).entries == 0


def test_empty_selection(db):
    totals = reports.report_totals(reports.ledger_scope())
    assert (totals.sales_amount, totals.households_reached, totals.unattributed_share) == (Decimal("0.00"), 0, None)
    assert reports.report_totals(reports.ledger_scope().none()).entries == 0
    assert reports.report_rows(reports.ledger_scope().none(), Dimension.VILLAGE).rows == []


def test_pages_count_every_group(scenario):
    page = reports.report_rows(reports.ledger_scope(), Dimension.HOUSEHOLD, limit=3, offset=3)
    assert (page.count, page.number, [row.key for row in page.rows]) == (4, 2, [scenario.world.household_b.pk])
    report = reports.attribution_report(reports.ledger_scope(), dimension=Dimension.HOUSEHOLD,
                                        filters=ReportFilters(), page=9, per_page=3)
    assert (report.table.number, len(report.table.rows)) == (2, 1)  # past the end: the last page
    assert [row.label for row in report.top_villages] == ["大黄村", "程西村", "铜琶村"]
    assert [row.label for row in report.top_brands] == ["梅州金柚", "梅县客家娘酒"]
    assert [row.label for row in report.trend] == ["2026年10月", "2026年11月", "2026年12月"]


def test_each_report_is_one_query(scenario, django_assert_num_queries):
    scope = reports.ledger_scope(market_subjects=[scenario.world.subject_a])
    for dimension in Dimension.values:
        with django_assert_num_queries(1):
            page = reports.report_rows(scope, dimension)
        with django_assert_num_queries(0 if dimension in (Dimension.CHANNEL, Dimension.MONTH) else 1):
            reports.with_labels(page, dimension)
    with django_assert_num_queries(1):
        reports.report_totals(scope)


def test_the_trend_fills_months_without_entries(scenario):
    world = scenario.world
    sell([(scenario.pomelo, 1)], at(2027, 3, 2))
    report = reports.attribution_report(reports.ledger_scope(), dimension=Dimension.VILLAGE, filters=ReportFilters())
    assert [(row.label, str(row.sales_amount), row.entries) for row in report.trend] == [
        ("2026年10月", "399.00", 2), ("2026年11月", "603.50", 7), ("2026年12月", "-317.50", 4),
        ("2027年1月", "0.00", 0), ("2027年2月", "0.00", 0), ("2027年3月", "39.90", 2),
    ]
    # The table by month lists the months that have entries.
    assert len(table(Dimension.MONTH)) == 4
    assert world.household_a.registration_number in [row.label for row in table(Dimension.HOUSEHOLD)]
