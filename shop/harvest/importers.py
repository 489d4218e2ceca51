"""Reading a file of household contributions to a batch (CSV or XLSX).

Pure parsing and row validation, no database: the caller passes the households
the file may name (``selectors.member_households_by_registration``). Every
problem gets its own message ("第 3 行：…", rows numbered as in Excel, the
header being row 1); the file is either wholly valid or wholly refused.

CSV is read as UTF-8 (with or without BOM) or, failing that, GB 18030 (a
superset of GBK, what Excel in China saves)."""
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import IncomeRule
from .services import ContributionInput

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 50
# What an .xlsx may inflate to (its XML), against zip bombs.
MAX_XLSX_UNPACKED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as in the template
    aliases: tuple[str, ...]


# The file's headers are a data format, the same in every interface language
# (a template downloaded from the English pages must import anywhere): Chinese,
# with the English keys accepted as aliases.
COLUMNS = (
    Column("registration_number", "建档立卡编号", ("建档立卡编号", "registration_number")),
    Column("quantity", "供货数量", ("供货数量", "供货数量(件)", "quantity")),
    Column("income_rule", "收益方式", ("收益方式", "income_rule")),
    Column("purchase_price", "收购单价（元/件）", ("收购单价(元/件)", "收购单价", "purchase_price")),
    Column("sales_share", "分成比例（%）", ("分成比例(%)", "分成比例", "sales_share")),
)

RULE_VALUES = {
    "收购单价": IncomeRule.PURCHASE_PRICE,
    "按收购单价": IncomeRule.PURCHASE_PRICE,
    "purchase_price": IncomeRule.PURCHASE_PRICE,
    "销售额分成": IncomeRule.SALES_SHARE,
    "按销售额分成": IncomeRule.SALES_SHARE,
    "sales_share": IncomeRule.SALES_SHARE,
}

TEMPLATE_EXAMPLE = ("JD44140300001", "120", "收购单价", "6.50", "")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


class ContributionFileError(Exception):
    """The file cannot be imported; ``messages`` says every reason."""

    def __init__(self, messages):
        self.messages = [str(message) for message in messages]
        super().__init__("; ".join(self.messages))


def _text(value) -> str:
    """A cell as clean text: full-width forms folded (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_key(value) -> str:
    return re.sub(r"\s+", "", _text(value)).lower()


_HEADER_INDEX = {_header_key(alias): column for column in COLUMNS for alias in column.aliases}


def _registration_key(value) -> str:
    return _text(value).upper()


# -- reading the table -----------------------------------------------------------

def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ContributionFileError([_("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码后重新上传")])


def _csv_rows(data: bytes):
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count) if first_line else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [[_text(cell) for cell in row[:MAX_COLUMNS]] for row in reader]
    except csv.Error:
        raise ContributionFileError([_("文件不是有效的 CSV 文件")]) from None


def _xlsx_cell(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (getattr(cell, "number_format", None) or ""):  # 30 % is stored as 0.3
            number *= 100
        return _plain(number)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _text(value)


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    invalid = ContributionFileError([_("文件不是有效的 Excel（.xlsx）文件")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise ContributionFileError([_("Excel 文件内容过大，请分批导入")])
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ContributionFileError:
        raise
    except Exception:  # an untrusted file: any failure to open it means "not an .xlsx"
        raise invalid from None
    try:
        rows, filled = [], 0
        for row in workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS):
            cells = [_xlsx_cell(cell) for cell in row]
            rows.append(cells)
            filled += any(cells)
            if filled > MAX_ROWS + 1:  # the header and one row too many: enough to refuse it
                break
        return rows
    except Exception:
        raise invalid from None
    finally:
        workbook.close()


def read_table(*, name: str, data: bytes) -> list[list[str]]:
    """The rows of an uploaded file as lists of cell texts, or ContributionFileError."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "xls":
        raise ContributionFileError([_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后重新上传")])
    if extension not in ("csv", "xlsx"):
        raise ContributionFileError([_("只能导入 CSV 或 Excel（.xlsx）文件，「%(name)s」不是") % {"name": name}])
    if not data:
        raise ContributionFileError([_("文件是空的")])
    if len(data) > MAX_BYTES:
        raise ContributionFileError([_("文件超过 2 MB 上限，请分批导入")])
    return _csv_rows(data) if extension == "csv" else _xlsx_rows(data)


# -- headers ---------------------------------------------------------------------

def _header_map(header: list[str]) -> dict[str, int]:
    """{column key: index} from the header row, or every header problem."""
    indexes, unknown, duplicated = {}, [], []
    for index, cell in enumerate(header):
        if not cell:
            continue
        column = _HEADER_INDEX.get(_header_key(cell))
        if column is None:
            unknown.append(cell)
        elif column.key in indexes:
            duplicated.append(cell)
        else:
            indexes[column.key] = index
    errors = []
    missing = [str(column.header) for column in COLUMNS if column.key not in indexes]
    if missing:
        errors.append(_("缺少列：%(columns)s") % {"columns": "、".join(missing)})
    if unknown:
        errors.append(_("无法识别的列：%(columns)s") % {"columns": "、".join(unknown)})
    for cell in duplicated:
        errors.append(_("列「%(column)s」重复") % {"column": cell})
    if errors:
        expected = "、".join(str(column.header) for column in COLUMNS)
        errors.append(_("第 1 行须为表头：%(columns)s（可下载导入模板）") % {"columns": expected})
        raise ContributionFileError(errors)
    return indexes


# -- values ----------------------------------------------------------------------

def _plain(number: Decimal) -> str:
    """120, 10.5, 0.003: no exponent, no trailing zeros."""
    return format(number.normalize(), "f")


def _decimal(text: str) -> Decimal | None:
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def _places(number: Decimal) -> int:
    return max(0, -number.normalize().as_tuple().exponent)


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    errors: list

    def error(self, message, **values):
        self.errors.append(_("第 %(row)d 行：") % {"row": self.number} + message % values)


def _quantity(row: _Row):
    text = row.cells["quantity"]
    if not text:
        return row.error(_("供货数量不能为空"))
    number = _decimal(text)
    if number is None:
        return row.error(_("供货数量「%(value)s」不是数字"), value=text)
    if number <= 0:
        return row.error(_("供货数量「%(value)s」须大于 0"), value=text)
    if _places(number) > 3 or number >= Decimal("1000000000"):
        return row.error(_("供货数量「%(value)s」超出范围（最多 3 位小数）"), value=text)
    return number


def _price(row: _Row):
    text = row.cells["purchase_price"]
    if not text:
        return row.error(_("收益方式为收购单价时须填写收购单价（元/件）"))
    number = _decimal(text.removeprefix("¥").removesuffix("元"))
    if number is None:
        return row.error(_("收购单价「%(value)s」不是数字"), value=text)
    if number < 0:
        return row.error(_("收购单价「%(value)s」不能为负数"), value=text)
    if _places(number) > 2 or number >= Decimal("100000000"):
        return row.error(_("收购单价「%(value)s」超出范围（最多 2 位小数）"), value=text)
    return number


def _share(row: _Row):
    text = row.cells["sales_share"]
    if not text:
        return row.error(_("收益方式为销售额分成时须填写分成比例（%%）"))
    number = _decimal(text.removesuffix("%").strip())
    if number is None:
        return row.error(_("分成比例「%(value)s」不是数字"), value=text)
    if not Decimal("0") < number <= Decimal("100") or _places(number) > 2:
        return row.error(_("分成比例「%(value)s」须大于 0 且不超过 100（最多 2 位小数）"), value=text)
    return number


def _rule(row: _Row):
    text = row.cells["income_rule"]
    if not text:
        return row.error(_("收益方式不能为空"))
    rule = RULE_VALUES.get(text.lower())
    if rule is None:
        return row.error(_("收益方式「%(value)s」无效，请填写「收购单价」或「销售额分成」"), value=text)
    return rule


def _contribution(row: _Row, *, households, seen):
    registration = row.cells["registration_number"]
    household = None
    if not registration:
        row.error(_("建档立卡编号不能为空"))
    elif _registration_key(registration) in seen:
        row.error(_("建档立卡编号 %(number)s 与第 %(first)d 行重复"), number=registration,
                  first=seen[_registration_key(registration)])
    else:
        seen[_registration_key(registration)] = row.number
        household = households.get(_registration_key(registration))
        if household is None:
            row.error(_("建档立卡编号 %(number)s 不存在或不属于本合作社"), number=registration)
    quantity = _quantity(row)
    rule = _rule(row)
    price = share = None
    if rule == IncomeRule.PURCHASE_PRICE:
        price = _price(row)
        if row.cells["sales_share"]:
            row.error(_("收益方式为收购单价时不应填写分成比例"))
    elif rule == IncomeRule.SALES_SHARE:
        share = _share(row)
        if row.cells["purchase_price"]:
            row.error(_("收益方式为销售额分成时不应填写收购单价"))
    if row.errors:
        return None
    return ContributionInput(household=household, quantity=quantity, income_rule=rule,
                             purchase_price=price, sales_share=share)


def contributions_from_table(rows: list[list[str]], *, households: dict,
                             batch_quantity: int) -> list[ContributionInput]:
    """Validate a table (header first) against the households it may name
    (``{registration number (upper case): Household}``) and the batch quantity."""
    header_at = next((index for index, row in enumerate(rows) if any(row)), None)
    if header_at is None:
        raise ContributionFileError([_("文件是空的")])
    indexes = _header_map(rows[header_at])
    body = [(number, row) for number, row in enumerate(rows[header_at + 1:], start=header_at + 2) if any(row)]
    if not body:
        raise ContributionFileError([_("文件中没有农户供货数据（只有表头）")])
    if len(body) > MAX_ROWS:
        raise ContributionFileError([_("数据超过 %(max)s 行上限，请分批导入") % {"max": f"{MAX_ROWS:,}"}])
    errors, contributions, seen = [], [], {}
    households = {_registration_key(key): household for key, household in households.items()}
    for number, cells in body:
        values = {key: (cells[index] if index < len(cells) else "") for key, index in indexes.items()}
        row = _Row(number=number, cells=values, errors=[])
        contribution = _contribution(row, households=households, seen=seen)
        errors += row.errors
        if contribution is not None:
            contributions.append(contribution)
    if not errors:
        total = sum((item.quantity for item in contributions), Decimal("0"))
        if total > batch_quantity:
            errors.append(_("供货数量合计 %(total)s 件，超过批次数量 %(quantity)s 件") % {
                "total": _plain(total), "quantity": batch_quantity})
    if errors:
        raise ContributionFileError(errors)
    return contributions


def contributions_parse(*, name: str, data: bytes, households: dict, batch_quantity: int) -> list[ContributionInput]:
    """An uploaded file → the batch's contributions, or ContributionFileError with every problem."""
    return contributions_from_table(read_table(name=name, data=data), households=households,
                                    batch_quantity=batch_quantity)


# -- the template ----------------------------------------------------------------

def _template_rows():
    return [[str(column.header) for column in COLUMNS], list(TEMPLATE_EXAMPLE)]


def template_csv() -> bytes:
    """The import template as CSV, UTF-8 with a BOM (so Excel opens it right)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(_template_rows())
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("农户供货")
    header, example = _template_rows()
    sheet.append(header)
    # Keep the registration number as text; the figures as numbers.
    sheet.append([example[0], int(example[1]), example[2], float(example[3]), None])
    for letter, width in zip("ABCDE", (18, 12, 14, 20, 16)):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
