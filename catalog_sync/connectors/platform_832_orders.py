"""Read an 832 order file (CSV or XLSX, columns ``ORDER_COLUMNS``) into
``ChannelOrder`` objects: every row is checked first and any problem raises ONE
``OrderFileError`` naming each row and problem, with no partial result.

Lines are grouped by 订单号 (in order of first appearance); the lines of one
order must agree on 下单时间, 付款状态, 实付金额 and 收货城市, and 实付金额 must
equal Σ 数量 × 单价 exactly.  Money is Decimal yuan, never float arithmetic."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .base import FEN, ChannelOrder, ChannelOrderLine
from .platform_832_template import (OPTIONAL_ORDER_FIELDS, ORDER_COLUMNS, ORDER_TIME_ZONE, PAYMENT_STATUSES,
                                    TIME_FORMATS, normalize_header, read_table)

EXCEL_DIGITS = 15                              # a spreadsheet number keeps 15 significant digits
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("第 %(row)s 行 %(column)s：%(message)s") % {"row": self.row, "column": self.column,
                                                            "message": self.message}


class OrderFileError(ValueError):
    def __init__(self, source: str, problems: list[RowProblem]):
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.row, p.column))
        details = "；".join(str(p) for p in self.problems)
        super().__init__(_("订单文件 %(source)s 有 %(count)s 处错误，未导入任何订单：%(details)s")
                         % {"source": source, "count": len(self.problems), "details": details})


class CellError(ValueError):
    pass


# -- one cell ---------------------------------------------------------------------
def id_text(value: Any) -> str:
    """An id as text.  Text cells keep every character (leading zeros; the only
    safe kind for ids: Excel and openpyxl store numbers as doubles, 15 digits).
    A cell whose XML holds an integer literal is read as ``int`` and is exact; a
    float cell, or text in scientific notation, is accepted only when it cannot
    have lost digits (a whole number under 10**15), otherwise refused."""
    if value is None or isinstance(value, bool):
        raise CellError(_("缺少编号"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10 ** EXCEL_DIGITS:
            return str(int(value))
        raise CellError(_("数字格式的编号 %(value)r 可能已丢失位数，请将该列设为文本后重新导出") % {"value": value})
    if isinstance(value, (datetime, date)):
        raise CellError(_("编号不能是日期"))
    text = str(value).strip()
    if not text:
        raise CellError(_("缺少编号"))
    if _SCIENTIFIC.match(text):
        raise CellError(_("编号 “%(value)s” 是科学计数法，已丢失位数，请将该列设为文本后重新导出") % {"value": text})
    return text


def order_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(ORDER_TIME_ZONE) if value.tzinfo else value.replace(tzinfo=ORDER_TIME_ZONE)
    text = "" if value is None else str(value).strip()
    if not text:
        raise CellError(_("缺少下单时间"))
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=ORDER_TIME_ZONE)
        except ValueError:
            continue
    raise CellError(_("无法识别的时间 “%(value)s”（应为 YYYY-MM-DD HH:MM:SS）") % {"value": text})


def quantity(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError(_("数量不是整数"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise CellError(_("数量 “%(value)s” 不是整数") % {"value": text})
    number = int(text)
    if number <= 0:
        raise CellError(_("数量必须大于 0"))
    return number


def money(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise CellError(_("缺少金额"))
    text = str(value).strip().replace(",", "").lstrip("¥￥")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” 不是金额") % {"value": value}) from None
    if not amount.is_finite():
        raise CellError(_("“%(value)s” 不是金额") % {"value": value})
    if amount < 0:
        raise CellError(_("金额不能为负数"))
    if amount != amount.quantize(FEN):
        raise CellError(_("金额 “%(value)s” 超过两位小数") % {"value": text})
    return amount.quantize(FEN)


def payment_status(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text not in PAYMENT_STATUSES:
        raise CellError(_("未知的付款状态 “%(value)s”（可用：%(known)s）")
                        % {"value": text, "known": "、".join(PAYMENT_STATUSES)})
    return text


def plain(value: Any) -> str:
    return "" if value is None else str(value).strip()


PARSERS = {"order_id": id_text, "ordered_at": order_time, "payment_status": payment_status, "sku_key": id_text,
           "title": plain, "quantity": quantity, "unit_price": money, "paid_total": money, "city": plain}


# -- the file ---------------------------------------------------------------------
def _columns(header: list[Any], problems: list[RowProblem]) -> dict[str, int]:
    wanted = {normalize_header(name): field for field, name in ORDER_COLUMNS.items()}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        field = wanted.get(normalize_header(cell))
        if field is None:
            continue
        if field in found:
            problems.append(RowProblem(1, ORDER_COLUMNS[field], _("表头重复")))
        found[field] = index
    for field, name in ORDER_COLUMNS.items():
        if field not in found and field not in OPTIONAL_ORDER_FIELDS:
            problems.append(RowProblem(1, name, _("缺少这一列")))
    return found


def parse_rows(header: list[Any], rows: list[tuple[int, list[Any]]], *, source: str,
               updated_at: datetime | None = None) -> list[ChannelOrder]:
    problems: list[RowProblem] = []
    columns = _columns(header, problems)
    if problems:
        raise OrderFileError(source, problems)
    if not rows:
        return []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, cells in rows:
        values: dict[str, Any] = {}
        for field, index in columns.items():
            cell = cells[index] if index < len(cells) else None
            try:
                values[field] = PARSERS[field](cell)
            except CellError as exc:
                problems.append(RowProblem(number, ORDER_COLUMNS[field], str(exc)))
        parsed.append((number, values))
    if problems:
        raise OrderFileError(source, problems)

    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, values in parsed:
        groups.setdefault(values["order_id"], []).append((number, values))
    for order_id, lines in groups.items():
        first_row, first = lines[0]
        for number, values in lines[1:]:
            for field in ("ordered_at", "payment_status", "paid_total", "city"):
                if values[field] != first[field]:
                    problems.append(RowProblem(number, ORDER_COLUMNS[field],
                                               _("与同一订单第 %(row)s 行不一致") % {"row": first_row}))
        computed = sum((v["quantity"] * v["unit_price"] for _row, v in lines), Decimal("0")).quantize(FEN)
        if computed != first["paid_total"]:
            problems.append(RowProblem(first_row, ORDER_COLUMNS["paid_total"],
                                       _("订单 %(order)s 实付金额 %(paid)s 与明细合计 %(computed)s 不符")
                                       % {"order": order_id, "paid": first["paid_total"], "computed": computed}))
    if problems:
        raise OrderFileError(source, problems)
    return [_order(order_id, lines, source, updated_at) for order_id, lines in groups.items()]


def _order(order_id: str, lines, source: str, updated_at: datetime | None) -> ChannelOrder:
    first = lines[0][1]
    paid, cancelled = PAYMENT_STATUSES[first["payment_status"]]
    raw_lines = [{"row": number, "sku_key": v["sku_key"], "title": v.get("title", ""), "quantity": v["quantity"],
                  "unit_price": str(v["unit_price"])} for number, v in lines]
    return ChannelOrder(
        external_id=order_id, status=first["payment_status"], paid=paid, cancelled=cancelled,
        created_at=first["ordered_at"], updated_at=updated_at or first["ordered_at"], total=first["paid_total"],
        lines=tuple(ChannelOrderLine(sku_key=v["sku_key"], title=v.get("title", ""), quantity=v["quantity"],
                                     unit_price=v["unit_price"]) for _row, v in lines),
        city=first["city"],
        raw={"source": source, "order_id": order_id, "ordered_at": first["ordered_at"].isoformat(),
             "payment_status": first["payment_status"], "paid_total": str(first["paid_total"]),
             "city": first["city"], "lines": raw_lines})


def read_orders(path: Path | str, *, updated_at: datetime | None = None) -> list[ChannelOrder]:
    """All the orders of one file, or ``OrderFileError``."""
    path = Path(path)
    try:
        header, rows = read_table(path)
    except (OSError, ValueError, KeyError) as exc:
        raise OrderFileError(path.name, [RowProblem(0, "", _("无法读取文件：%(error)s") % {"error": exc})]) from exc
    if not header:
        raise OrderFileError(path.name, [RowProblem(1, "", _("文件是空的"))])
    return parse_rows(header, rows, source=path.name, updated_at=updated_at)
