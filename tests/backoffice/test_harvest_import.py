"""Importing a batch's household contributions from CSV or XLSX on its detail
page: all rows are written, or none and every problem is shown."""
import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shop.harvest.models import BatchContribution
from tests.factories import make_household, place_order

from .support import HEAD_NAME_A, ID_NUMBER_A, bo_url

HEADER = ["建档立卡编号", "供货数量", "收益方式", "收购单价（元/件）", "分成比例（%）"]
# World batch A's contributions before any import: household A, 40 units at 6.00 yuan.
BEFORE = [("JD44140300001", Decimal("40.000"), "purchase_price", Decimal("6.00"), None)]


def csv_bytes(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def contributions(batch):
    return [
        (row.household.registration_number, row.quantity, row.income_rule, row.purchase_price, row.sales_share)
        for row in BatchContribution.objects.filter(batch=batch).select_related("household").order_by("pk")
    ]


@pytest.fixture
def second_household(world):
    return make_household(village=world.village_a2, head_name="陈秋菊", registration_number="JD44140300002",
                          market_subjects=[world.subject_a])


@pytest.fixture
def upload(world, login):
    client = login(world.users["coop_a"])

    def _upload(data, name="农户供货.csv", batch=None):
        batch = batch or world.batch_a
        return client.post(bo_url("harvest-batch-contributions-import", pk=batch.pk),
                           {"file": SimpleUploadedFile(name, data)})

    return _upload


VALID_ROWS = [
    HEADER,
    ["JD44140300001", "50", "收购单价", "6.50", ""],
    ["JD44140300002", "30.5", "销售额分成", "", "25"],
]
AFTER = [
    ("JD44140300001", Decimal("50.000"), "purchase_price", Decimal("6.50"), None),
    ("JD44140300002", Decimal("30.500"), "sales_share", None, Decimal("25.00")),
]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("农户供货.csv", csv_bytes(VALID_ROWS, "utf-8-sig")),
        ("农户供货.csv", csv_bytes(VALID_ROWS, "utf-8")),
        ("农户供货.csv", csv_bytes(VALID_ROWS, "gbk")),
        ("农户供货.xlsx", xlsx_bytes([HEADER, ["JD44140300001", 50, "收购单价", 6.5, None],
                                      ["JD44140300002", 30.5, "销售额分成", None, 25]])),
    ],
    ids=["csv-utf8-bom", "csv-utf8", "csv-gbk", "xlsx"],
)
def test_a_valid_file_replaces_the_contributions_exactly(world, second_household, upload, name, data):
    assert contributions(world.batch_a) == BEFORE
    response = upload(data, name=name)
    assert response.status_code == 302
    assert response["Location"] == bo_url("harvest-batch-detail", pk=world.batch_a.pk)
    assert contributions(world.batch_a) == AFTER


def test_english_rule_names_are_accepted_in_a_gbk_file(world, second_household, upload):
    rows = [HEADER, ["JD44140300001", "50", "purchase_price", "6.50", ""],
            ["JD44140300002", "30.5", "sales_share", "", "25"]]
    assert upload(csv_bytes(rows, "gbk")).status_code == 302
    assert contributions(world.batch_a) == AFTER


def _row(registration="JD44140300002", quantity="30", rule="收购单价", price="5", share=""):
    return [registration, quantity, rule, price, share]


ERROR_CASES = {
    "unknown household": (
        [HEADER, _row(), _row(registration="JD44140399999")],
        ["第 3 行：建档立卡编号 JD44140399999 不存在或不属于本合作社"],
    ),
    "household of another cooperative": (
        [HEADER, _row(registration="JD44142600001")],
        ["第 2 行：建档立卡编号 JD44142600001 不存在或不属于本合作社"],
    ),
    "non-numeric quantity": ([HEADER, _row(), _row("JD44140300001", "abc")], ["第 3 行：供货数量「abc」不是数字"]),
    "negative quantity": ([HEADER, _row(quantity="-5")], ["第 2 行：供货数量「-5」须大于 0"]),
    "missing price": ([HEADER, _row(price="")], ["第 2 行：收益方式为收购单价时须填写收购单价（元/件）"]),
    "share over 100": (
        [HEADER, _row(rule="销售额分成", price="", share="120")],
        ["第 2 行：分成比例「120」须大于 0 且不超过 100（最多 2 位小数）"],
    ),
    "duplicate household": (
        [HEADER, _row("JD44140300001"), _row(), _row("JD44140300001")],
        ["第 4 行：建档立卡编号 JD44140300001 与第 2 行重复"],
    ),
    "total over the batch": (
        [HEADER, _row("JD44140300001", "60"), _row(quantity="40.5")],
        ["供货数量合计 100.5 件，超过批次数量 100 件"],
    ),
    "missing header column": (
        [HEADER[:4], _row()[:4]],
        ["缺少列：分成比例（%）",
         "第 1 行须为表头：建档立卡编号、供货数量、收益方式、收购单价（元/件）、分成比例（%）（可下载导入模板）"],
    ),
    "several bad rows": (
        [HEADER, _row(quantity="abc"), _row("JD44140300001"), _row("JD0000", "0", "分红")],
        ["第 2 行：供货数量「abc」不是数字",
         "第 4 行：建档立卡编号 JD0000 不存在或不属于本合作社",
         "第 4 行：供货数量「0」须大于 0",
         "第 4 行：收益方式「分红」无效，请填写「收购单价」或「销售额分成」"],
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_a_bad_file_writes_nothing_and_says_every_problem(world, second_household, upload, case):
    rows, expected = ERROR_CASES[case]
    response = upload(csv_bytes(rows))
    assert response.status_code == 200
    assert response.context["import_errors"] == expected
    html = response.content.decode()
    for message in expected:
        assert message in html
    assert contributions(world.batch_a) == BEFORE


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("农户供货.csv", b"", "文件是空的"),
        ("农户供货.txt", csv_bytes(VALID_ROWS), "只能导入 CSV 或 Excel（.xlsx）文件，「农户供货.txt」不是"),
        ("农户供货.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "只能导入 CSV 或 Excel（.xlsx）文件，「农户供货.pdf」不是"),
        ("农户供货.xlsx", b"not a workbook", "文件不是有效的 Excel（.xlsx）文件"),
        ("农户供货.csv", csv_bytes(VALID_ROWS) + b" " * (2 * 1024 * 1024), "文件超过 2 MB 上限，请分批导入"),
    ],
    ids=["empty", "txt", "pdf", "fake-xlsx", "too-large"],
)
def test_files_that_cannot_be_read_write_nothing(world, second_household, upload, name, data, expected):
    response = upload(data, name=name)
    assert response.status_code == 200
    assert response.context["import_errors"] == [expected]
    assert expected in response.content.decode()
    assert contributions(world.batch_a) == BEFORE


def test_more_than_5000_rows_are_refused(world, upload):
    rows = [HEADER] + [[f"JD{n:011d}", "1", "收购单价", "1", ""] for n in range(5001)]
    response = upload(csv_bytes(rows))
    assert response.context["import_errors"] == ["数据超过 5,000 行上限，请分批导入"]
    assert contributions(world.batch_a) == BEFORE


def test_no_file_is_a_form_error(world, login):
    client = login(world.users["coop_a"])
    response = client.post(bo_url("harvest-batch-contributions-import", pk=world.batch_a.pk), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["必需字段"]
    assert contributions(world.batch_a) == BEFORE


def test_import_after_a_sale_is_refused(world, second_household, upload, login):
    place_order(lines=[(world.product_a, 2)])
    world.batch_a.refresh_from_db()
    assert world.batch_a.quantity_allocated == 2
    response = upload(csv_bytes(VALID_ROWS))
    assert response.status_code == 200
    assert response.context["import_errors"] == [f"批次 {world.batch_a.code} 已有销售，农户供货不能再修改"]
    assert contributions(world.batch_a) == BEFORE
    detail = login(world.users["coop_a"]).get(bo_url("harvest-batch-detail", pk=world.batch_a.pk))
    assert detail.context["import_form"] is None
    assert "contribution_import_form" not in detail.content.decode()
    assert "本批次已有销售，农户供货不能再修改。" in detail.content.decode()


def test_the_import_page_and_the_detail_page_show_the_form_and_the_templates(world, login):
    client = login(world.users["coop_a"])
    for url in (bo_url("harvest-batch-contributions-import", pk=world.batch_a.pk),
                bo_url("harvest-batch-detail", pk=world.batch_a.pk)):
        html = client.get(url).content.decode()
        assert 'id="contribution_import_form"' in html
        assert 'enctype="multipart/form-data"' in html
        assert f'href="{bo_url("harvest-batch-contributions-template", fmt="xlsx")}"' in html
        assert f'href="{bo_url("harvest-batch-contributions-template", fmt="csv")}"' in html
        assert HEAD_NAME_A not in html and ID_NUMBER_A not in html


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("csv", "text/csv; charset=utf-8"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")],
)
def test_templates_download(world, login, fmt, content_type):
    response = login(world.users["coop_a"]).get(bo_url("harvest-batch-contributions-template", fmt=fmt))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''%E5%86%9C%E6%88%B7%E4%BE%9B%E8%B4%A7%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.{fmt}"
    )
    if fmt == "csv":
        assert response.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)


def test_an_unknown_template_format_is_404(world, login):
    client = login(world.users["coop_a"])
    assert client.get(bo_url("harvest-batch-contributions-template", fmt="pdf")).status_code == 404


def test_officers_cannot_import(world, login):
    client = login(world.users["officer"])
    response = client.post(bo_url("harvest-batch-contributions-import", pk=world.batch_a.pk),
                           {"file": SimpleUploadedFile("a.csv", csv_bytes(VALID_ROWS))})
    assert response.status_code == 403
    assert contributions(world.batch_a) == BEFORE
    detail = client.get(bo_url("harvest-batch-detail", pk=world.batch_a.pk))
    assert "import_url" not in detail.context
    assert "contribution_import_form" not in detail.content.decode()


def test_cooperative_a_cannot_import_into_cooperative_bs_batch(world, upload):
    before = contributions(world.batch_b)
    response = upload(csv_bytes([HEADER, ["JD44142600001", "1", "收购单价", "1", ""]]), batch=world.batch_b)
    assert response.status_code == 404
    assert contributions(world.batch_b) == before == [
        ("JD44142600001", Decimal("30.000"), "purchase_price", Decimal("6.00"), None)
    ]
