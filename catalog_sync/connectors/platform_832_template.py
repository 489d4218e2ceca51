"""The 832 platform's files, as constants easy to change to the operator's real
templates (platforms.md: no public API; we were not given the templates yet):
the product upload template we export (XLSX and CSV) and the order file we
import.  Plain data and file helpers, no Django (the operator simulator uses them).

Ids are text: the exporter writes 商品编码 as a text cell; the order reader
keeps whatever digits a cell holds (leading zeros included) and refuses numeric
cells that may have lost digits (see ``platform_832_orders.id_text``)."""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from .base import FEN, Listing
from .file_state import atomic_write

CHINA = timezone(timedelta(hours=8))

# -- export: the product upload template ---------------------------------------
# (header the operator's template uses, ExportRow field).  Reorder, rename or drop
# pairs to match the real template; the simulator checks the header against it.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("商品编码", "sku_key"),
    ("商品组编码", "listing_key"),
    ("商品名称", "title"),
    ("规格", "spec"),
    ("单价（元）", "price"),
    ("库存", "quantity"),
    ("产地（县）", "county"),
    ("供应商", "cooperative"),
    ("状态", "status"),
    ("图片地址", "images"),
    ("品牌", "brand"),
    ("商品分类", "category"),
)
EXPORT_HEADER = tuple(header for header, _ in EXPORT_COLUMNS)
EXPORT_BASENAME = "xiangpin_832_products"          # .xlsx and .csv in export_dir
EXPORT_SHEET = "商品"
STATUS_LISTED, STATUS_DELISTED = "上架", "下架"
IMAGE_SEPARATOR = ";"
SPEC_SEPARATOR = "，"
TEXT_FIELDS = frozenset({"sku_key", "listing_key"})    # written as text cells (leading zeros, long digits)

# -- import: the order file -------------------------------------------------------
# field → header.  商品名称 is optional; any other column (buyer name, phone,
# address...) is never read.  实付金额（元） is the ORDER's paid total, repeated on
# each of its lines, and must equal Σ 数量 × 单价 over those lines.
ORDER_COLUMNS: dict[str, str] = {
    "order_id": "订单号",
    "ordered_at": "下单时间",
    "payment_status": "付款状态",
    "sku_key": "商品编码",
    "title": "商品名称",
    "quantity": "数量",
    "unit_price": "单价（元）",
    "paid_total": "实付金额（元）",
    "city": "收货城市",
}
OPTIONAL_ORDER_FIELDS = frozenset({"title"})
# 付款状态 word → (paid, cancelled).  A refund is an order that was paid and is now cancelled.
PAYMENT_STATUSES: dict[str, tuple[bool, bool]] = {
    "已付款": (True, False),
    "待付款": (False, False),
    "未付款": (False, False),
    "已取消": (False, True),
    "已退款": (True, True),
}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
ORDER_TIME_ZONE = CHINA          # 下单时间 is Beijing time without an offset
ORDER_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class ExportRow:
    sku_key: str
    listing_key: str
    title: str
    spec: str
    price: Decimal
    quantity: int
    county: str
    cooperative: str
    status: str
    images: str
    brand: str
    category: str

    def to_record(self) -> dict:
        return {**asdict(self), "price": str(self.price)}

    @classmethod
    def from_record(cls, record: dict) -> "ExportRow":
        return cls(**{**record, "price": Decimal(record["price"])})


def export_rows(listing: Listing) -> list[ExportRow]:
    origin = listing.origin or {}
    return [ExportRow(
        sku_key=sku.key, listing_key=listing.key, title=listing.title,
        spec=SPEC_SEPARATOR.join(value for _, value in sku.attrs if value),
        price=sku.price, quantity=max(0, int(sku.quantity)),
        county=origin.get("county", ""), cooperative=origin.get("cooperative", ""),
        status=STATUS_LISTED if listing.active else STATUS_DELISTED,
        images=IMAGE_SEPARATOR.join(listing.images), brand=listing.brand, category=listing.category,
    ) for sku in listing.skus]


def normalize_header(value: Any) -> str:
    """Header cells compared loosely: surrounding and inner spaces ignored,
    half-width parentheses read as full-width."""
    text = "" if value is None else str(value)
    return text.replace(" ", "").replace("\u3000", "").replace("(", "（").replace(")", "）").strip()


# -- writing ------------------------------------------------------------------------
def xlsx_bytes(header, rows, *, text_columns=frozenset(), money_columns=frozenset(), sheet=EXPORT_SHEET) -> bytes:
    """A one-sheet workbook; ``text_columns`` (indexes) are text cells, money ones "0.00"."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(header))
    for values in rows:
        ws.append(list(values))
        for index in text_columns:
            cell = ws.cell(row=ws.max_row, column=index + 1)
            cell.number_format = "@"
        for index in money_columns:
            ws.cell(row=ws.max_row, column=index + 1).number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(header, rows) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    for values in rows:
        writer.writerow(["" if v is None else str(v) for v in values])
    return out.getvalue().encode("utf-8-sig")


def write_export(export_dir: Path, rows: list[ExportRow]) -> tuple[Path, Path]:
    """The upload template as XLSX and CSV, each written atomically."""
    fields = [name for _, name in EXPORT_COLUMNS]
    values = [[Decimal(getattr(row, name)).quantize(FEN) if name == "price" else getattr(row, name)
               for name in fields] for row in rows]
    xlsx = Path(export_dir) / f"{EXPORT_BASENAME}.xlsx"
    csv_path = Path(export_dir) / f"{EXPORT_BASENAME}.csv"
    atomic_write(xlsx, xlsx_bytes(EXPORT_HEADER, values,
                                  text_columns={i for i, name in enumerate(fields) if name in TEXT_FIELDS},
                                  money_columns={i for i, name in enumerate(fields) if name == "price"}))
    atomic_write(csv_path, csv_bytes(EXPORT_HEADER, values))
    return xlsx, csv_path


# -- reading --------------------------------------------------------------------------
def read_table(path: Path | str) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """(header cells, [(row number as the spreadsheet shows it, cells)]) of a CSV
    (UTF-8, with or without BOM, else GB18030) or the first sheet of an XLSX.
    CSV cells are strings; XLSX cells keep their types (str, int, float, datetime)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            table = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        table = list(csv.reader(io.StringIO(text, newline="")))
    if not table:
        return [], []
    rows = [(number, cells) for number, cells in enumerate(table[1:], start=2)
            if any(c is not None and str(c).strip() for c in cells)]
    return table[0], rows
