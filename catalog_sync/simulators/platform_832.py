"""An in-process stand-in for the 832 platform's operator: reads the upload
template we exported (refusing one whose header is not ``EXPORT_HEADER``) and
writes an order file in the 832 format (``ORDER_COLUMNS``) for a list of
(商品编码, 数量), priced from the template.  No HTTP: the 832 connector works by files.

    python -m catalog_sync.simulators.platform_832 --export-dir EXPORT --inbox-dir INBOX \\
        --order GD-MM-001-5:2,GD-YD-002:1 --order GD-MM-001-10:1 [--format xlsx]
writes one file into INBOX with one order per ``--order``."""
from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from catalog_sync.connectors.base import FEN
from catalog_sync.connectors.file_state import atomic_write
from catalog_sync.connectors.platform_832_template import (CHINA, EXPORT_BASENAME, EXPORT_COLUMNS, EXPORT_HEADER,
                                                           ORDER_COLUMNS, STATUS_LISTED, csv_bytes,
                                                           read_table, xlsx_bytes)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class TemplateMismatch(ValueError):
    pass


@dataclass(frozen=True)
class OperatorOrder:
    items: tuple[tuple[str, int], ...]          # (商品编码, 数量)
    order_id: str = ""                           # "" → the operator numbers it
    ordered_at: datetime | None = None           # None → now (Beijing time)
    status: str = "已付款"
    city: str = "广州市"


class Operator832:
    def __init__(self, *, first_order_id: int = 8320_2025_1017_0000_001):
        # 19-digit order numbers: larger than 2**53, as the platforms' ids are
        self._ids = itertools.count(first_order_id)
        self.products: dict[str, dict[str, str]] = {}

    def read_export(self, path: Path | str) -> dict[str, dict[str, str]]:
        """The template's rows by 商品编码, each as {ExportRow field: text}."""
        header, rows = read_table(path)
        if tuple("" if h is None else str(h) for h in header) != EXPORT_HEADER:
            raise TemplateMismatch(f"template header {list(header)} is not {list(EXPORT_HEADER)}")
        products = {}
        for _number, cells in rows:
            values = {name: ("" if c is None else str(c)) for (_, name), c in zip(EXPORT_COLUMNS, cells)}
            products[values["sku_key"]] = values
        self.products = products
        return products

    def read_export_dir(self, export_dir: Path | str, fmt: str = "xlsx") -> dict[str, dict[str, str]]:
        return self.read_export(Path(export_dir) / f"{EXPORT_BASENAME}.{fmt}")

    def _lines(self, order: OperatorOrder) -> list[tuple[str, str, int, Decimal]]:
        lines = []
        for sku, qty in order.items:
            product = self.products.get(sku)
            if product is None:
                raise ValueError(f"商品编码 {sku} is not in the template")
            if product["status"] != STATUS_LISTED:
                raise ValueError(f"商品编码 {sku} is 下架")
            if int(product["quantity"]) < qty:
                raise ValueError(f"商品编码 {sku}: only {product['quantity']} in stock")
            lines.append((sku, product["title"], qty, Decimal(product["price"]).quantize(FEN)))
        return lines

    def order_rows(self, orders, *, xlsx: bool) -> list[list]:
        rows = []
        for order in orders:
            order_id = order.order_id or str(next(self._ids))
            ordered_at = order.ordered_at or datetime.now(CHINA).replace(microsecond=0)
            lines = self._lines(order)
            total = sum((qty * price for _, _, qty, price in lines), Decimal("0")).quantize(FEN)
            for sku, title, qty, price in lines:
                values = {"order_id": order_id,
                          "ordered_at": ordered_at.replace(tzinfo=None) if xlsx else ordered_at.strftime(TIME_FORMAT),
                          "payment_status": order.status, "sku_key": sku, "title": title, "quantity": qty,
                          "unit_price": price, "paid_total": total, "city": order.city}
                rows.append([values[field] for field in ORDER_COLUMNS])
        return rows

    def write_orders(self, path: Path | str, orders) -> Path:
        """One order file (CSV or XLSX by the suffix) holding ``orders``."""
        path = Path(path)
        header = list(ORDER_COLUMNS.values())
        xlsx = path.suffix.lower() == ".xlsx"
        rows = self.order_rows(orders, xlsx=xlsx)
        fields = list(ORDER_COLUMNS)
        if xlsx:
            data = xlsx_bytes(header, rows, sheet="订单",
                              text_columns={fields.index("order_id"), fields.index("sku_key")},
                              money_columns={fields.index("unit_price"), fields.index("paid_total")})
        else:
            data = csv_bytes(header, rows)
        atomic_write(path, data)
        return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="The 832 operator: read our template, write an order file")
    parser.add_argument("--export-dir", required=True)
    parser.add_argument("--inbox-dir", required=True)
    parser.add_argument("--order", action="append", required=True, help="SKU:QTY[,SKU:QTY...] (one order)")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--city", default="广州市")
    args = parser.parse_args(argv)
    operator = Operator832()
    operator.read_export_dir(args.export_dir)
    orders = [OperatorOrder(items=tuple((sku, int(qty)) for sku, qty in (part.rsplit(":", 1)
                                                                           for part in spec.split(","))),
                            city=args.city) for spec in args.order]
    stamp = datetime.now(CHINA).strftime("%Y%m%d%H%M%S")
    path = operator.write_orders(Path(args.inbox_dir) / f"orders_{stamp}.{args.format}", orders)
    print(path, flush=True)


if __name__ == "__main__":
    main()
