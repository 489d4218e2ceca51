"""Reading a contributions file: pure parsing and row validation (no database)."""
import csv
import io
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest

from shop.harvest import importers
from shop.harvest.importers import ContributionFileError, contributions_parse

HEADER = ["建档立卡编号", "供货数量", "收益方式", "收购单价（元/件）", "分成比例（%）"]
LI = SimpleNamespace(pk=1, registration_number="JD44140300001")
WANG = SimpleNamespace(pk=2, registration_number="JD44140300002")
HOUSEHOLDS = {"JD44140300001": LI, "JD44140300002": WANG}


def csv_file(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows, formats=None):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse(data, name="供货.csv", quantity=100):
    return contributions_parse(name=name, data=data, households=HOUSEHOLDS, batch_quantity=quantity)


def summary(contributions):
    return [(c.household.registration_number, c.quantity, c.income_rule, c.purchase_price, c.sales_share)
            for c in contributions]


def errors(data, name="供货.csv", quantity=100):
    with pytest.raises(ContributionFileError) as caught:
        parse(data, name=name, quantity=quantity)
    return caught.value.messages


VALID = [HEADER, ["JD44140300001", "50", "收购单价", "6.50", ""], ["JD44140300002", "30", "销售额分成", "", "25"]]
EXPECTED = [
    ("JD44140300001", Decimal("50"), "purchase_price", Decimal("6.50"), None),
    ("JD44140300002", Decimal("30"), "sales_share", None, Decimal("25")),
]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk(encoding):
    assert summary(parse(csv_file(VALID, encoding))) == EXPECTED


def test_xlsx_with_numbers_as_numbers_and_a_percent_formatted_share():
    rows = [HEADER, ["JD44140300001", 50, "收购单价", 6.5, None], ["JD44140300002", 30, "销售额分成", None, 0.25]]
    assert summary(parse(xlsx_file(rows, {"E3": "0%"}), name="供货.XLSX")) == EXPECTED


def test_english_rule_names_headers_full_width_forms_and_blank_rows_are_accepted():
    rows = [
        ["registration_number", "quantity", "income_rule", "purchase_price", "sales_share"],
        [],
        ["jd44140300001", "５０", "purchase_price", "6.50", ""],
        ["", "", "", "", ""],
        [" JD44140300002 ", "1,030.5", "按销售额分成", "", "25%"],
    ]
    assert summary(parse(csv_file(rows), quantity=2000)) == [
        ("JD44140300001", Decimal("50"), "purchase_price", Decimal("6.50"), None),
        ("JD44140300002", Decimal("1030.5"), "sales_share", None, Decimal("25")),
    ]


def test_every_bad_row_gets_its_own_message_numbered_as_in_excel():
    rows = [
        HEADER,
        ["JD44140300001", "abc", "收购单价", "6.50", ""],
        ["JD99999999999", "-5", "收购单价", "", ""],
        ["JD44140300001", "10", "分红", "", ""],
        ["", "0", "销售额分成", "3", "120"],
        ["JD44140300002", "1.2345", "收购单价", "-1", "20"],
    ]
    assert errors(csv_file(rows)) == [
        "第 2 行：供货数量「abc」不是数字",
        "第 3 行：建档立卡编号 JD99999999999 不存在或不属于本合作社",
        "第 3 行：供货数量「-5」须大于 0",
        "第 3 行：收益方式为收购单价时须填写收购单价（元/件）",
        "第 4 行：建档立卡编号 JD44140300001 与第 2 行重复",
        "第 4 行：收益方式「分红」无效，请填写「收购单价」或「销售额分成」",
        "第 5 行：建档立卡编号不能为空",
        "第 5 行：供货数量「0」须大于 0",
        "第 5 行：分成比例「120」须大于 0 且不超过 100（最多 2 位小数）",
        "第 5 行：收益方式为销售额分成时不应填写收购单价",
        "第 6 行：供货数量「1.2345」超出范围（最多 3 位小数）",
        "第 6 行：收购单价「-1」不能为负数",
        "第 6 行：收益方式为收购单价时不应填写分成比例",
    ]


def test_the_total_may_not_exceed_the_batch():
    rows = [HEADER, ["JD44140300001", "60", "收购单价", "6", ""], ["JD44140300002", "40.5", "收购单价", "6", ""]]
    assert errors(csv_file(rows)) == ["供货数量合计 100.5 件，超过批次数量 100 件"]


def test_header_problems():
    rows = [["建档立卡编号", "数量", "收益方式", "收购单价", "收购单价", "备注"], ["JD44140300001", "1", "收购单价", "6", "6", ""]]
    expected_header = "第 1 行须为表头：建档立卡编号、供货数量、收益方式、收购单价（元/件）、分成比例（%）（可下载导入模板）"
    assert errors(csv_file(rows)) == [
        "缺少列：供货数量、分成比例（%）",
        "无法识别的列：数量、备注",
        "列「收购单价」重复",
        expected_header,
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("供货.csv", b"", "文件是空的"),
        ("供货.csv", b"\r\n\r\n,,\r\n", "文件是空的"),
        ("供货.csv", csv_file([HEADER]), "文件中没有农户供货数据（只有表头）"),
        ("供货.txt", csv_file(VALID), "只能导入 CSV 或 Excel（.xlsx）文件，「供货.txt」不是"),
        ("供货.pdf", b"%PDF-1.4\n", "只能导入 CSV 或 Excel（.xlsx）文件，「供货.pdf」不是"),
        ("供货", csv_file(VALID), "只能导入 CSV 或 Excel（.xlsx）文件，「供货」不是"),
        ("供货.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后重新上传"),
        ("供货.xlsx", csv_file(VALID), "文件不是有效的 Excel（.xlsx）文件"),
        ("供货.csv", b"\xff\xfe\x00\xd8\xff", "无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码后重新上传"),
        ("供货.csv", b"a" * (2 * 1024 * 1024 + 1), "文件超过 2 MB 上限，请分批导入"),
    ],
)
def test_files_that_cannot_be_read(name, data, message):
    assert errors(data, name=name) == [message]


def test_at_most_5000_rows():
    body = [[f"JD{n:011d}", "1", "收购单价", "1", ""] for n in range(5001)]
    assert errors(csv_file([HEADER] + body), quantity=10_000) == ["数据超过 5,000 行上限，请分批导入"]
    rows = [HEADER] + [[f"JD{n:011d}", 1, "收购单价", 1, None] for n in range(5001)]
    assert errors(xlsx_file(rows), name="供货.xlsx", quantity=10_000) == ["数据超过 5,000 行上限，请分批导入"]


def test_5000_rows_are_read():
    households = {f"JD{n:011d}": SimpleNamespace(pk=n, registration_number=f"JD{n:011d}") for n in range(5000)}
    body = [[f"JD{n:011d}", "1", "收购单价", "1", ""] for n in range(5000)]
    result = contributions_parse(name="a.csv", data=csv_file([HEADER] + body), households=households,
                                 batch_quantity=5000)
    assert len(result) == 5000


def test_the_templates_have_the_headers_and_one_example_row():
    assert importers.template_csv().decode("utf-8-sig").splitlines() == [
        "建档立卡编号,供货数量,收益方式,收购单价（元/件）,分成比例（%）",
        "JD44140300001,120,收购单价,6.50,",
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(importers.template_xlsx())).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        HEADER, ["JD44140300001", 120, "收购单价", 6.5, None],
    ]
    template_households = {"JD44140300001": LI}
    for name, data in (("t.csv", importers.template_csv()), ("t.xlsx", importers.template_xlsx())):
        parsed = contributions_parse(name=name, data=data, households=template_households, batch_quantity=120)
        assert summary(parsed) == [("JD44140300001", Decimal("120"), "purchase_price", Decimal("6.50"), None)]
