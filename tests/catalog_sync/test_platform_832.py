"""The 832 platform's file connector: the upload template we export, the order
files we import, and the operator stand-in that reads one and writes the other."""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from catalog_sync.connectors import build
from catalog_sync.connectors.base import Connector, ConnectorConfig, ConnectorError, ErrorKind, Listing, SkuListing
from catalog_sync.connectors.platform_832_orders import OrderFileError, read_orders
from catalog_sync.connectors.platform_832_template import CHINA, EXPORT_HEADER
from catalog_sync.simulators import platform_832 as operator_module
from catalog_sync.simulators.platform_832 import Operator832, OperatorOrder, TemplateMismatch

SITE = "https://shop.example.cn"
GRAPEFRUIT = Listing(
    key="GD-MM-001", title="梅州金柚", description="金柚", images=(f"{SITE}/1a.jpg", f"{SITE}/1b.jpg"),
    skus=(SkuListing("0012-5", Decimal("15.00"), 3, (("规格", "5斤装"),)),
          SkuListing("0012-10", Decimal("28.5"), 4, (("规格", "10斤装"),))),
    brand="梅州金柚", category="水果", origin={"county": "梅县区", "cooperative": "梅县金柚专业合作社", "village": "石扇村"})
TEA = Listing(
    key="GD-YD-002", title="英德红茶", description="红茶", images=(f"{SITE}/2.jpg",),
    skus=(SkuListing("YD-002", Decimal("88"), 5),), brand="英德红茶", category="茶叶",
    origin={"county": "英德市", "cooperative": "英德红茶合作社"})

HEADER = "商品编码,商品组编码,商品名称,规格,单价（元）,库存,产地（县）,供应商,状态,图片地址,品牌,商品分类"
ROW_10 = (f"0012-10,GD-MM-001,梅州金柚,10斤装,28.50,4,梅县区,梅县金柚专业合作社,上架,"
          f"{SITE}/1a.jpg;{SITE}/1b.jpg,梅州金柚,水果")
ROW_5 = f"0012-5,GD-MM-001,梅州金柚,5斤装,15.00,3,梅县区,梅县金柚专业合作社,上架,{SITE}/1a.jpg;{SITE}/1b.jpg,梅州金柚,水果"
ROW_TEA_DOWN = f"YD-002,GD-YD-002,英德红茶,,88.00,5,英德市,英德红茶合作社,下架,{SITE}/2.jpg,英德红茶,茶叶"

ORDER_HEADER = "订单号,下单时间,付款状态,商品编码,商品名称,数量,单价（元）,实付金额（元）,收货城市,收货人,联系电话"
GOOD_ORDER = ["0832000000000000001,2026-10-17 09:30:00,已付款,0012-5,梅州金柚,2,15.00,58.50,广州市,张三,13800000000",
              "0832000000000000001,2026-10-17 09:30:00,已付款,0012-10,梅州金柚,1,28.50,58.50,广州市,张三,13800000000"]
REFUND = "8320202610170000002,2026/10/17 10:05,已退款,YD-002,英德红茶,1,88,88.00,深圳市,李四,13900000000"
AT = datetime(2026, 10, 17, 9, 30, tzinfo=CHINA)
LONG_AGO = datetime(2020, 1, 1, tzinfo=CHINA).timestamp()


@pytest.fixture
def dirs(tmp_path):
    export, inbox = tmp_path / "export", tmp_path / "inbox"
    inbox.mkdir()
    return export, inbox


@pytest.fixture
def connector(dirs):
    export, inbox = dirs
    return build("platform_832", ConnectorConfig(base_url="", extra={"export_dir": str(export),
                                                                    "inbox_dir": str(inbox)}))


def drop(inbox, name, lines, header=ORDER_HEADER, mtime=LONG_AGO):
    path = inbox / name
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode("utf-8-sig"))
    os.utime(path, (mtime, mtime))
    return path


def export_csv(export) -> str:
    return (export / "xiangpin_832_products.csv").read_bytes().decode("utf-8-sig")


# -- export -------------------------------------------------------------------------

def test_export_writes_the_template_as_csv_and_xlsx_exactly(connector, dirs):
    export, _ = dirs
    results = connector.push_listings([GRAPEFRUIT, TEA])
    assert [(r.key, r.ok, r.state) for r in results] == [("GD-MM-001", True, "live"), ("GD-YD-002", True, "live")]
    [tea] = connector.delist(["GD-YD-002"])
    assert (tea.ok, tea.state) == (True, "delisted")

    raw = (export / "xiangpin_832_products.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert export_csv(export) == "\r\n".join([HEADER, ROW_10, ROW_5, ROW_TEA_DOWN]) + "\r\n"

    book = load_workbook(export / "xiangpin_832_products.xlsx")
    sheet = book.active
    assert sheet.title == "商品"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows == [
        HEADER.split(","),
        ["0012-10", "GD-MM-001", "梅州金柚", "10斤装", 28.5, 4, "梅县区", "梅县金柚专业合作社", "上架",
         f"{SITE}/1a.jpg;{SITE}/1b.jpg", "梅州金柚", "水果"],
        ["0012-5", "GD-MM-001", "梅州金柚", "5斤装", 15, 3, "梅县区", "梅县金柚专业合作社", "上架",
         f"{SITE}/1a.jpg;{SITE}/1b.jpg", "梅州金柚", "水果"],
        ["YD-002", "GD-YD-002", "英德红茶", None, 88, 5, "英德市", "英德红茶合作社", "下架", f"{SITE}/2.jpg",
         "英德红茶", "茶叶"]]
    assert (sheet["A2"].data_type, sheet["A2"].number_format, sheet["E2"].number_format) == ("s", "@", "0.00")
    assert tuple(HEADER.split(",")) == EXPORT_HEADER


def test_stock_and_price_updates_rewrite_only_their_rows(connector, dirs):
    export, _ = dirs
    connector.push_listings([GRAPEFRUIT])
    assert connector.update_inventory([("0012-5", 0)])[0].ok
    results = connector.update_price([("0012-10", Decimal("30.00")), ("0012-5", Decimal("1.005")),
                                      ("NOPE", Decimal("1"))])
    assert [(r.key, r.ok, r.error.kind if r.error else None) for r in results] == [
        ("0012-10", True, None), ("0012-5", False, ErrorKind.INVALID), ("NOPE", False, ErrorKind.NOT_FOUND)]
    assert export_csv(export).splitlines()[1:] == [ROW_10.replace(",28.50,", ",30.00,"),
                                                   ROW_5.replace(",15.00,3,", ",15.00,0,")]
    [remote] = connector.lookup(["GD-MM-001", "GD-NONE"]).values()
    assert [(s.key, s.price, s.quantity) for s in remote.skus] == [("0012-10", Decimal("30.00"), 4),
                                                                   ("0012-5", Decimal("15.00"), 0)]


def test_invalid_skus_stay_out_unless_they_were_valid_before(connector, dirs):
    export, _ = dirs
    connector.push_listings([GRAPEFRUIT])
    nameless = replace(TEA, title=" ")
    broken = replace(GRAPEFRUIT, active=False, skus=(SkuListing("0012-5", Decimal("0"), 9, (("规格", "5斤装"),)),))
    results = connector.push_listings([nameless, broken])
    assert [(r.key, r.ok, r.error.message) for r in results] == [
        ("GD-YD-002", False, "YD-002: 缺少商品名称"),
        ("GD-MM-001", False, "0012-5: 单价必须是大于 0 的整分金额")]
    # the tea never was valid: not in the template; the grapefruit keeps its last valid
    # price, with today's status and stock; its dropped SKU stays as 下架
    assert export_csv(export).splitlines()[1:] == [ROW_10.replace("上架", "下架"),
                                                   ROW_5.replace(",3,", ",9,").replace("上架", "下架")]


def test_delisting_a_missing_listing_is_a_success(connector):
    [result] = connector.delist(["GD-NEVER"])
    assert (result.ok, result.state) == (True, "delisted")


# -- the operator stand-in -------------------------------------------------------------

def test_the_operator_reads_our_template_and_refuses_another(connector, dirs, tmp_path):
    export, _ = dirs
    connector.push_listings([GRAPEFRUIT, TEA])
    operator = Operator832()
    from_xlsx = operator.read_export_dir(export, "xlsx")
    from_csv = operator.read_export_dir(export, "csv")
    assert sorted(from_xlsx) == ["0012-10", "0012-5", "YD-002"]
    assert from_csv["0012-5"] == {"sku_key": "0012-5", "listing_key": "GD-MM-001", "title": "梅州金柚",
                                  "spec": "5斤装", "price": "15.00", "quantity": "3", "county": "梅县区",
                                  "cooperative": "梅县金柚专业合作社", "status": "上架",
                                  "images": f"{SITE}/1a.jpg;{SITE}/1b.jpg", "brand": "梅州金柚", "category": "水果"}
    other = tmp_path / "other.csv"
    other.write_text("商品编码,商品名称,价格\r\nA,甲,1\r\n", encoding="utf-8-sig")
    with pytest.raises(TemplateMismatch):
        operator.read_export(other)


def test_operator_orders_import_exactly_from_xlsx_and_csv(connector, dirs):
    export, inbox = dirs
    connector.push_listings([GRAPEFRUIT, TEA])
    operator = Operator832(first_order_id=8320202610170000001)
    operator.read_export_dir(export)
    operator.write_orders(inbox / "a.xlsx", [OperatorOrder(items=(("0012-5", 2), ("0012-10", 1)), ordered_at=AT)])
    operator.write_orders(inbox / "b.csv", [OperatorOrder(items=(("YD-002", 1),), ordered_at=AT, status="待付款",
                                                          city="佛山市")])
    for path in inbox.iterdir():
        os.utime(path, (LONG_AGO, LONG_AGO))

    first = connector.fetch_orders(AT - timedelta(hours=1), AT + timedelta(hours=1), None)
    assert first.next_cursor == json.dumps({"file": "b.csv", "offset": 0})
    [order] = first.orders
    assert (order.external_id, order.status, order.paid, order.cancelled, order.total, order.city) == (
        "8320202610170000001", "已付款", True, False, Decimal("58.50"), "广州市")
    assert order.created_at == AT and order.updated_at == datetime.fromtimestamp(LONG_AGO, CHINA)
    assert [(li.sku_key, li.title, li.quantity, li.unit_price) for li in order.lines] == [
        ("0012-5", "梅州金柚", 2, Decimal("15.00")), ("0012-10", "梅州金柚", 1, Decimal("28.50"))]

    second = connector.fetch_orders(AT - timedelta(hours=1), AT + timedelta(hours=1), first.next_cursor)
    assert second.next_cursor is None
    [order] = second.orders
    assert (order.external_id, order.paid, order.cancelled, order.total, order.city) == (
        "8320202610170000002", False, False, Decimal("88.00"), "佛山市")


def test_the_operator_refuses_a_delisted_or_unknown_sku(connector, dirs):
    export, inbox = dirs
    connector.push_listings([GRAPEFRUIT, TEA])
    connector.delist(["GD-YD-002"])
    operator = Operator832()
    operator.read_export_dir(export)
    for items in ((("YD-002", 1),), (("NOPE", 1),), (("0012-5", 4),)):
        with pytest.raises(ValueError):
            operator.write_orders(inbox / "x.csv", [OperatorOrder(items=items)])
    assert list(inbox.iterdir()) == []


def test_operator_main_writes_an_order_file_for_the_demo(connector, dirs, capsys):
    export, inbox = dirs
    connector.push_listings([GRAPEFRUIT])
    operator_module.main(["--export-dir", str(export), "--inbox-dir", str(inbox),
                          "--order", "0012-5:1,0012-10:2", "--order", "0012-5:2"])
    [path] = inbox.iterdir()
    assert capsys.readouterr().out.strip() == str(path)
    orders = read_orders(path)
    assert [(o.total, [(li.sku_key, li.quantity) for li in o.lines]) for o in orders] == [
        (Decimal("72.00"), [("0012-5", 1), ("0012-10", 2)]), (Decimal("30.00"), [("0012-5", 2)])]


# -- import: the happy path and ids -------------------------------------------------------

def test_csv_import_keeps_ids_as_text_and_money_exact(dirs):
    _, inbox = dirs
    path = drop(inbox, "a.csv", [*GOOD_ORDER, REFUND])
    first, refund = read_orders(path)
    assert first.external_id == "0832000000000000001"
    assert [(li.sku_key, li.quantity, li.unit_price) for li in first.lines] == [
        ("0012-5", 2, Decimal("15.00")), ("0012-10", 1, Decimal("28.50"))]
    assert (first.total, first.created_at, first.updated_at) == (Decimal("58.50"), AT, AT)
    assert (refund.external_id, refund.status, refund.paid, refund.cancelled, refund.total) == (
        "8320202610170000002", "已退款", True, True, Decimal("88.00"))
    assert refund.created_at == datetime(2026, 10, 17, 10, 5, tzinfo=CHINA)
    raw = json.dumps([first.raw, refund.raw], ensure_ascii=False)
    assert "张三" not in raw and "13800000000" not in raw and "李四" not in raw
    assert first.raw["lines"][0] == {"row": 2, "sku_key": "0012-5", "title": "梅州金柚", "quantity": 2,
                                     "unit_price": "15.00"}


def _order_xlsx(path, rows):
    book = Workbook()
    book.active.append(ORDER_HEADER.split(",")[:9])
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _exact_integer_cell(path, written: bytes, exact: bytes):
    """openpyxl (like Excel) writes a 19-digit number as a double ("8.32…e+18");
    another exporter may write the exact integer.  Make the file hold that."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert written in parts[sheet]
    parts[sheet] = parts[sheet].replace(written, exact)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_xlsx_long_numeric_ids_survive_and_lossy_floats_are_refused(tmp_path):
    good = _order_xlsx(tmp_path / "good.xlsx", [
        [8320202610170000001, datetime(2026, 10, 17, 9, 30), "已付款", "000123", "金柚", 2, 15, 30, "广州市"],
        [12345.0, "2026-10-17 09:31:00", "已付款", 4501, "红茶", 1.0, 88.8, 88.8, "深圳市"]])
    _exact_integer_cell(good, b"<v>8.32020261017e+18</v>", b"<v>8320202610170000001</v>")
    first, second = read_orders(good)
    assert 8320202610170000001 > 2 ** 53
    assert (first.external_id, first.lines[0].sku_key, first.created_at, first.total) == (
        "8320202610170000001", "000123", AT, Decimal("30.00"))
    assert (second.external_id, second.lines[0].sku_key, second.lines[0].quantity, second.total) == (
        "12345", "4501", 1, Decimal("88.80"))

    lossy = _order_xlsx(tmp_path / "lossy.xlsx", [
        [8.320202610170001e18, "2026-10-17 09:30:00", "已付款", "A", "金柚", 1, 15, 15, "广州市"]])
    with pytest.raises(OrderFileError) as caught:
        read_orders(lossy)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "订单号")]
    assert "可能已丢失位数" in caught.value.problems[0].message


def test_csv_ids_in_scientific_notation_are_refused(dirs):
    _, inbox = dirs
    path = drop(inbox, "a.csv", ["8.32E+18,2026-10-17 09:30:00,已付款,0012-5,梅州金柚,1,15.00,15.00,广州市,,"])
    with pytest.raises(OrderFileError) as caught:
        read_orders(path)
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        (2, "订单号", "编号 “8.32E+18” 是科学计数法，已丢失位数，请将该列设为文本后重新导出")]


# -- import: bad input -------------------------------------------------------------------

def _bad(cells: dict) -> str:
    """GOOD_ORDER's second line with some cells replaced."""
    names = ORDER_HEADER.split(",")
    values = GOOD_ORDER[1].split(",")
    return ",".join(cells.get(name, value) for name, value in zip(names, values))


BAD_CASES = {
    "bad date": ([GOOD_ORDER[0], _bad({"下单时间": "2026-13-01 09:30:00"})],
                 [(3, "下单时间", "无法识别的时间 “2026-13-01 09:30:00”（应为 YYYY-MM-DD HH:MM:SS）")]),
    "unknown status": ([GOOD_ORDER[0], _bad({"付款状态": "已发货"})],
                       [(3, "付款状态", "未知的付款状态 “已发货”（可用：已付款、待付款、未付款、已取消、已退款）")]),
    "non-numeric quantity": ([GOOD_ORDER[0], _bad({"数量": "两"})], [(3, "数量", "数量 “两” 不是整数")]),
    "fractional quantity": ([GOOD_ORDER[0], _bad({"数量": "1.5"})], [(3, "数量", "数量 “1.5” 不是整数")]),
    "zero quantity": ([GOOD_ORDER[0], _bad({"数量": "0"})], [(3, "数量", "数量必须大于 0")]),
    "negative price": ([GOOD_ORDER[0], _bad({"单价（元）": "-28.50"})], [(3, "单价（元）", "金额不能为负数")]),
    "sub-fen price": ([GOOD_ORDER[0], _bad({"单价（元）": "28.505"})],
                      [(3, "单价（元）", "金额 “28.505” 超过两位小数")]),
    "not money": ([GOOD_ORDER[0], _bad({"实付金额（元）": "五十八"})], [(3, "实付金额（元）", "“五十八” 不是金额")]),
    "missing order id": ([GOOD_ORDER[0], _bad({"订单号": ""})], [(3, "订单号", "缺少编号")]),
    "amounts not matching lines": (
        [GOOD_ORDER[0].replace(",58.50,", ",60.00,"), GOOD_ORDER[1].replace(",58.50,", ",60.00,")],
        [(2, "实付金额（元）", "订单 0832000000000000001 实付金额 60.00 与明细合计 58.50 不符")]),
    "lines disagreeing": ([GOOD_ORDER[0], _bad({"收货城市": "深圳市"})],
                          [(3, "收货城市", "与同一订单第 2 行不一致")]),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_each_bad_row_gives_a_clear_error_and_no_partial_result(case, connector, dirs):
    _, inbox = dirs
    lines, expected = BAD_CASES[case]
    path = drop(inbox, "bad.csv", [*lines, REFUND], mtime=AT.timestamp())
    with pytest.raises(OrderFileError) as caught:
        read_orders(path)
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == expected
    with pytest.raises(ConnectorError) as failed:
        connector.fetch_orders(AT - timedelta(hours=1), AT + timedelta(hours=1), None)
    assert failed.value.error.kind is ErrorKind.INVALID
    assert failed.value.error.message == str(caught.value)


def test_several_problems_come_in_one_message_with_row_numbers(dirs):
    _, inbox = dirs
    path = drop(inbox, "bad.csv", [
        _bad({"下单时间": "昨天"}), _bad({"数量": "x"}), REFUND.replace("8320202610170000002", " ")])
    with pytest.raises(OrderFileError) as caught:
        read_orders(path)
    assert str(caught.value) == (
        "订单文件 bad.csv 有 3 处错误，未导入任何订单："
        "第 2 行 下单时间：无法识别的时间 “昨天”（应为 YYYY-MM-DD HH:MM:SS）；"
        "第 3 行 数量：数量 “x” 不是整数；第 4 行 订单号：缺少编号")


def test_a_missing_column_is_named(dirs):
    _, inbox = dirs
    header = ORDER_HEADER.replace("数量,", "")
    path = drop(inbox, "bad.csv", [",".join(c for i, c in enumerate(GOOD_ORDER[0].split(",")) if i != 5)],
                header=header)
    with pytest.raises(OrderFileError) as caught:
        read_orders(path)
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [(1, "数量", "缺少这一列")]


def test_half_width_parentheses_in_the_header_are_accepted(dirs):
    _, inbox = dirs
    path = drop(inbox, "a.csv", GOOD_ORDER, header=ORDER_HEADER.replace("（", "(").replace("）", ")"))
    [order] = read_orders(path)
    assert order.total == Decimal("58.50")


def test_a_gb18030_csv_is_read(dirs):
    _, inbox = dirs
    path = inbox / "gbk.csv"
    path.write_bytes(("\r\n".join([ORDER_HEADER, *GOOD_ORDER]) + "\r\n").encode("gb18030"))
    [order] = read_orders(path)
    assert order.lines[0].title == "梅州金柚"


# -- fetch_orders: windows, paging, late files ---------------------------------------------

def _orders(count, start, first=1):
    lines = []
    for n in range(first, first + count):
        at = (start + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{n:019d},{at},已付款,0012-5,梅州金柚,1,15.00,15.00,广州市,,")
    return lines


def _collect(connector, start, end):
    ids, cursors, cursor = [], [], None
    while True:
        page = connector.fetch_orders(start, end, cursor)
        ids.extend(o.external_id for o in page.orders)
        cursor = page.next_cursor
        if cursor is None:
            return ids, cursors
        cursors.append(json.loads(cursor))


def test_pages_of_100_with_a_file_and_offset_cursor(connector, dirs):
    _, inbox = dirs
    drop(inbox, "a.csv", _orders(150, AT))
    drop(inbox, "b.csv", _orders(3, AT, first=151))
    ids, cursors = _collect(connector, AT, AT + timedelta(days=1))
    assert ids == [f"{n:019d}" for n in range(1, 154)]
    assert cursors == [{"file": "a.csv", "offset": 100}, {"file": "b.csv", "offset": 0}]


def test_window_bounds_and_adjacent_windows_miss_nothing(connector, dirs):
    _, inbox = dirs
    start, middle, end = AT, AT + timedelta(hours=1), AT + timedelta(hours=2)
    lines = [f"{n:019d},{at:%Y-%m-%d %H:%M:%S},已付款,0012-5,梅州金柚,1,15.00,15.00,广州市,,"
             for n, at in enumerate([start - timedelta(seconds=1), start, middle - timedelta(seconds=1), middle,
                                     end - timedelta(seconds=1), end], start=1)]
    drop(inbox, "a.csv", lines)
    first, _ = _collect(connector, start, middle)
    second, _ = _collect(connector, middle, end)
    assert first == [f"{n:019d}" for n in (2, 3)]
    assert second == [f"{n:019d}" for n in (4, 5)]


def test_a_file_dropped_late_is_read_in_the_window_it_arrives_in(connector, dirs):
    _, inbox = dirs
    arrived = AT + timedelta(days=3)
    drop(inbox, "late.csv", GOOD_ORDER, mtime=arrived.timestamp())
    assert _collect(connector, AT + timedelta(days=1), AT + timedelta(days=2))[0] == []
    assert _collect(connector, arrived - timedelta(minutes=5), arrived + timedelta(minutes=5))[0] == [
        "0832000000000000001"]


def test_get_order_answers_with_the_latest_file(connector, dirs):
    _, inbox = dirs
    drop(inbox, "a.csv", [REFUND.replace("已退款", "已付款")])
    drop(inbox, "b.csv", [REFUND], mtime=LONG_AGO + 60)
    order = connector.get_order("8320202610170000002")
    assert (order.status, order.paid, order.cancelled) == ("已退款", True, True)
    with pytest.raises(ConnectorError) as missing:
        connector.get_order("404")
    assert missing.value.error.kind is ErrorKind.NOT_FOUND


def test_window_over_the_cap_and_a_missing_inbox_are_refused(tmp_path, connector):
    assert isinstance(connector, Connector) and "file" in connector.caps
    with pytest.raises(ValueError):
        connector.fetch_orders(AT, AT + timedelta(days=400), None)
    lost = build("platform_832", ConnectorConfig(base_url="", extra={"inbox_dir": str(tmp_path / "nowhere")}))
    with pytest.raises(ConnectorError) as caught:
        lost.fetch_orders(AT, AT + timedelta(days=1), None)
    assert caught.value.error.kind is ErrorKind.CONFIG
