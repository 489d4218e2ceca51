"""The report page (监测统计 / 收益归属报表) and its CSV/XLSX exports: who may
open them, what each role sees (a cooperative only its own market subjects'
entries, households masked), exact file contents, and a query count that does
not grow with the number of orders."""
import csv
import io
import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.apps.dashboard.menu import get_nodes
from openpyxl import load_workbook

from tests.backoffice.support import HEAD_NAME_A, HEAD_NAME_B, ID_NUMBER_A, ID_NUMBER_B, PHONE_A, bo_url, build_world
from tests.factories import VillageFactory, make_batch, make_household, make_product

from .test_reports import HEAD_NAME_A2, at, build_scenario, sell

pytestmark = pytest.mark.django_db

REPORT = "attribution-report"
PLAIN = (HEAD_NAME_A, HEAD_NAME_A2, HEAD_NAME_B, ID_NUMBER_A, ID_NUMBER_B, PHONE_A)


@pytest.fixture
def scenario(db):
    return build_scenario()


def _get(client, user, name=REPORT, **params):
    client.force_login(user)
    return client.get(bo_url(name), params)


def test_who_may_open_the_report_and_its_exports(scenario, client):
    users = scenario.world.users
    expected = {"admin": 200, "officer": 200, "coop_a": 200, "coop_b": 200,
                "consumer": 403, "pickup": 403, "operations": 403, "bare_staff": 403}
    for name in (REPORT, f"{REPORT}-csv", f"{REPORT}-xlsx"):
        results = {role: _get(client, users[role], name).status_code for role in expected}
        assert results == expected, name
        client.logout()
        response = client.get(bo_url(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/zh-hans/shop/dashboard/login/")


def _menu(user):
    for node in get_nodes(user):
        if str(node.label) == "监测统计":
            return [str(child.label) for child in node.children]
    return []


def test_the_menu_shows_the_report_to_those_who_may_open_it(scenario):
    users = scenario.world.users
    roles = ("admin", "officer", "coop_a", "operations", "pickup", "consumer")
    assert {role: _menu(users[role]) for role in roles} == {
        "admin": ["收益归属报表"], "officer": ["收益归属报表"], "coop_a": ["收益归属报表"],
        "operations": [], "pickup": [], "consumer": [],
    }


def test_the_officer_sees_every_entry_with_charts(scenario, client):
    response = _get(client, scenario.world.users["officer"])
    assert response.status_code == 200
    context = response.context
    assert context["dimension"] == "village"
    totals = context["totals"]
    assert (totals.sales_amount, totals.income, totals.households_reached, totals.unattributed_share) == (
        Decimal("685.00"), Decimal("95.40"), 3, Decimal("24.53"))
    html = response.content.decode()
    for text in ("¥685.00", "¥95.40", "24.53 %", "¥168.00", "大黄村", "程西村", "铜琶村", "¥239.40", "3 户"):
        assert text in html, text
    assert 'id="attribution-chart-data"' in html
    assert "xiangpin/vendor/chart.umd.min.js" in html and "xiangpin/js/attribution-report.js" in html
    charts = json.loads(html.split('id="attribution-chart-data" type="application/json">')[1].split("</script>")[0])
    assert charts["trend"] == {"labels": ["2026年10月", "2026年11月", "2026年12月"],
                               "sales": ["399.00", "603.50", "-317.50"], "income": ["60.00", "83.10", "-47.70"]}
    assert charts["villages"]["labels"] == ["梅县区大黄村", "平远县程西村", "梅县区铜琶村"]
    assert charts["villages"]["sales"] == ["239.40", "236.00", "209.60"]
    assert charts["brands"] == {"labels": ["梅州金柚", "梅县客家娘酒"], "sales": ["635.00", "50.00"],
                                "income": ["95.40", "0.00"]}
    # Every dimension renders; the export links carry the current view.
    for dimension in ("household", "village", "county", "city", "brand", "channel", "month"):
        response = client.get(bo_url(REPORT), {"dimension": dimension, "channel": "store"})
        assert response.status_code == 200
        assert f'{bo_url(REPORT + "-xlsx")}?dimension={dimension}&amp;channel=store' in response.content.decode()


def test_household_dimension_is_masked_for_everyone(scenario, client):
    for role in ("officer", "admin", "coop_a", "coop_b"):
        user = scenario.world.users[role]
        for name in (REPORT, f"{REPORT}-csv"):
            body = _get(client, user, name, dimension="household").content.decode("utf-8-sig")
            assert not [text for text in PLAIN if text in body], (role, name)
        workbook = load_workbook(io.BytesIO(_get(client, user, f"{REPORT}-xlsx", dimension="household").content))
        cells = " ".join(str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row)
        assert not [text for text in PLAIN if text in cells], role
    html = _get(client, scenario.world.users["officer"], dimension="household").content.decode()
    assert "JD44140300001" in html and "李**" in html and "钟**" in html and "王**" in html


def test_a_cooperative_sees_only_its_own_subjects_entries(scenario, client):
    world = scenario.world
    response = _get(client, world.users["coop_a"], dimension="household")
    totals = response.context["totals"]
    assert (totals.sales_amount, totals.income, totals.households_reached, totals.unattributed_share) == (
        Decimal("449.00"), Decimal("60.00"), 2, Decimal("11.14"))
    html = response.content.decode()
    assert "JD44140300001" in html and "JD44140300002" in html and "李**" in html
    assert "JD44142600001" not in html and "王**" not in html and "程西村" not in html
    assert "梅县金柚专业合作社" in response.context["scope_label"]
    for dimension in ("village", "county", "brand", "month"):
        html = client.get(bo_url(REPORT), {"dimension": dimension}).content.decode()
        # (平远县 is in the county filter's choices: regions are public; its figures are not.)
        assert "程西村" not in html and "¥236.00" not in html and "¥685.00" not in html, dimension
    body = client.get(bo_url(f"{REPORT}-csv"), {"dimension": "village"}).content.decode("utf-8-sig")
    assert "程西村" not in body and "449.00" in body
    # Naming the other cooperative's subject is refused as a filter and shows nothing.
    response = client.get(bo_url(REPORT), {"market_subject": world.subject_b.pk})
    assert "market_subject" in response.context["filter_form"].errors
    assert response.context["totals"].entries == 0
    assert "程西村" not in response.content.decode()
    body = client.get(bo_url(f"{REPORT}-csv"), {"dimension": "village", "market_subject": world.subject_b.pk})
    assert body.content.decode("utf-8-sig").splitlines()[1:] == ["合计,,0.00,0.00,0,0,0"]


def test_filters(scenario, client):
    response = _get(client, scenario.world.users["officer"], dimension="household",
                    month_from="2026-11", month_to="2026-11", county=scenario.world.county_b.pk)
    assert [(row.label, str(row.sales_amount)) for row in response.context["report"].table.rows] == [
        ("JD44142600001", "177.00"), ("未归属", "177.00")]
    response = client.get(bo_url(REPORT), {"month_from": "2026-12", "month_to": "2026-10"})
    assert response.context["filter_form"].errors == {"month_to": ["截止月份不能早于起始月份。"]}
    assert response.context["totals"].entries == 0
    response = client.get(bo_url(REPORT), {"month_from": "2026-13"})
    assert "month_from" in response.context["filter_form"].errors
    response = client.get(bo_url(REPORT), {"dimension": "nonsense", "page": "x"})
    assert response.status_code == 200 and response.context["dimension"] == "village"


def test_csv_export_is_exact(scenario, client):
    response = _get(client, scenario.world.users["officer"], f"{REPORT}-csv", dimension="village")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    assert rows == [
        ["行政村", "县（市、区）· 乡镇", "销售额（元）", "农户收益（元）", "数量", "覆盖农户数", "台账条数"],
        ["大黄村", "梅县区 · 松口镇", "239.40", "36.00", "6", "1", "3"],
        ["程西村", "平远县 · 大柘镇", "236.00", "35.40", "4", "1", "6"],
        ["铜琶村", "梅县区 · 松口镇", "209.60", "24.00", "6", "1", "4"],
        ["合计", "", "685.00", "95.40", "16", "3", "13"],
    ]
    rows = list(csv.reader(io.StringIO(
        client.get(bo_url(f"{REPORT}-csv"), {"dimension": "household"}).content.decode("utf-8-sig"))))
    assert rows == [
        ["建档立卡编号", "户主姓名（脱敏）", "所在行政村", "销售额（元）", "农户收益（元）", "数量", "台账条数"],
        ["JD44140300001", "李**", "梅县区 松口镇 大黄村", "239.40", "36.00", "6", "3"],
        ["未归属", "无建档立卡贫困户供货的销售", "", "168.00", "0.00", "4", "4"],
        ["JD44140300002", "钟**", "梅县区 松口镇 铜琶村", "159.60", "24.00", "4", "3"],
        ["JD44142600001", "王**", "平远县 大柘镇 程西村", "118.00", "35.40", "2", "3"],
        ["合计", "", "", "685.00", "95.40", "16", "13"],
    ]
    rows = list(csv.reader(io.StringIO(
        client.get(bo_url(f"{REPORT}-csv"), {"dimension": "month"}).content.decode("utf-8-sig"))))
    assert rows[1:] == [
        ["2026-10", "399.00", "60.00", "10", "2", "2"],
        ["2026-11", "603.50", "83.10", "13", "3", "7"],
        ["2026-12", "-317.50", "-47.70", "-7", "0", "4"],
        ["合计", "685.00", "95.40", "16", "3", "13"],
    ]


def test_xlsx_export_is_exact(scenario, client):
    response = _get(client, scenario.world.users["officer"], f"{REPORT}-xlsx", dimension="village",
                    month_from="2026-12", month_to="2026-12")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"attribution_village_2026-12.xlsx\"; "
        f"filename*=UTF-8''{quote('收益归属_按村_2026-12.xlsx')}")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["按村", "说明"]
    sheet = workbook["按村"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["行政村", "县（市、区）· 乡镇", "销售额（元）", "农户收益（元）", "数量", "覆盖农户数", "台账条数"],
        ["铜琶村", "梅县区 · 松口镇", -79.8, -12, -2, 0, 1],
        ["程西村", "平远县 · 大柘镇", -118, -17.7, -2, 0, 2],
        ["大黄村", "梅县区 · 松口镇", -119.7, -18, -3, 0, 1],
        ["合计", None, -317.5, -47.7, -7, 0, 4],
    ]
    assert all(isinstance(value, (int, float)) for row in values[1:] for value in row[2:])
    assert sheet["C2"].number_format == "#,##0.00" and sheet["E2"].number_format == "#,##0.###"
    notes = {row[0].value: row[1].value for row in workbook["说明"].iter_rows()}
    assert notes["数据范围"] == "全部市场主体"
    assert (notes["起始月份"], notes["截止月份"]) == ("2026-12", "2026-12")
    assert (notes["销售额（元）"], notes["覆盖农户数"], notes["未归属占比（%）"]) == (-317.5, 0, 18.58)

    response = client.get(bo_url(f"{REPORT}-xlsx"), {"dimension": "household"})
    sheet = load_workbook(io.BytesIO(response.content))["按农户"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()][1] == [
        "JD44140300001", "李**", "梅县区 松口镇 大黄村", 239.4, 36, 6, 3]
    assert (Decimal(str(sheet["D6"].value)), Decimal(str(sheet["E6"].value))) == (Decimal("685"), Decimal("95.4"))


def test_export_file_names():
    import datetime

    from shop.attribution import exports
    from shop.attribution.reports import ReportFilters

    class Report:
        def __init__(self, dimension, **filters):
            self.dimension, self.filters = dimension, ReportFilters(**filters)

    today = datetime.date(2026, 12, 9)
    names = [
        exports.export_filename(Report("village"), "xlsx", today=today),
        exports.export_filename(Report("household", month_from=datetime.date(2026, 1, 1),
                                       month_to=datetime.date(2026, 12, 1)), "csv", today=today),
        exports.export_filename(Report("month", month_from=datetime.date(2026, 3, 1)), "csv", today=today),
        exports.export_filename(Report("brand", month_to=datetime.date(2025, 12, 1)), "xlsx", today=today),
    ]
    assert names == [
        ("收益归属_按村_2026-12.xlsx", "attribution_village_2026-12.xlsx"),
        ("收益归属_按农户_2026-01_2026-12.csv", "attribution_household_2026-01_2026-12.csv"),
        ("收益归属_按月_2026-03_2026-12.csv", "attribution_month_2026-03_2026-12.csv"),
        ("收益归属_按品牌_截至2025-12.xlsx", "attribution_brand_to_2025-12.xlsx"),
    ]


def _orders_in_new_villages(world, count, start):
    """``count`` orders, each from a household of a new village of its own."""
    for index in range(start, start + count):
        village = VillageFactory(township=world.township_a, code=f"4414031009{index:02d}", name=f"新村{index}")
        household = make_household(village=village, head_name=f"测试{index}", registration_number=f"JDQ{index:04d}",
                                   market_subjects=[world.subject_a])
        product = make_product(title=f"金柚{index}", market_subject=world.subject_a, brand=world.brand,
                               village=village, price=Decimal("10.00"), stock=0)
        make_batch(product=product, quantity=10, households=[(household, 10)])
        sell([(product, 1)], at(2026, 11, 1 + index % 28))


def _query_count(client, cold=True, **params):
    if cold:
        cache.clear()  # the report cache: measure a first view
    with CaptureQueriesContext(connection) as queries:
        response = client.get(bo_url(REPORT), params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["officer", "coop_a"])
def test_page_query_count_does_not_grow_with_orders(db, client, role):
    world = build_world()
    client.force_login(world.users[role])
    _orders_in_new_villages(world, 1, 0)
    client.get(bo_url(REPORT))  # warm per-process caches (content types, site)
    one = {dimension: _query_count(client, dimension=dimension) for dimension in ("household", "village", "month")}
    _orders_in_new_villages(world, 19, 1)
    twenty = {dimension: _query_count(client, dimension=dimension) for dimension in ("household", "village", "month")}
    assert one == twenty
    # 5 for the session, user, permissions and role; 1 for the report session's
    # work_mem (PostgreSQL); totals; the table and its labels; the trend, top villages and top
    # brands with their labels, unless the table already holds one of them
    # (by village, by month); the filter form's 4 lists; the ledger version of
    # the report cache; a cooperative's scope label, 1 more.
    session = 1 if connection.vendor == "postgresql" else 0
    expected = {"household": 18, "village": 16, "month": 16} if role == "officer" else {
        "household": 19, "village": 17, "month": 17}
    assert twenty == {dimension: count + session for dimension, count in expected.items()}
    html = client.get(bo_url(REPORT), {"dimension": "household"}).content.decode()
    assert "JDQ0019" in html and "测试19" not in html


def test_a_repeated_report_comes_from_the_cache_until_the_ledger_grows(db, client):
    world = build_world()
    client.force_login(world.users["officer"])
    _orders_in_new_villages(world, 2, 0)
    cold = _query_count(client, dimension="village")
    warm = _query_count(client, cold=False, dimension="village")
    # The report's own queries (totals, table, labels, trend, top brands) are skipped;
    # the ledger version is still read.
    assert cold - warm == 6
    before = client.get(bo_url(REPORT), {"dimension": "village"}).context["totals"].sales_amount
    _orders_in_new_villages(world, 1, 2)  # a new sale: the ledger's version changes
    after = client.get(bo_url(REPORT), {"dimension": "village"}).context["totals"].sales_amount
    assert after - before == Decimal("10.00")
    # That view recomputed the report and cached it again under the new version.
    assert _query_count(client, cold=False, dimension="village") == warm
