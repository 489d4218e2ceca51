"""The 832 platform connector ("platform_832"): a manual/feed connector, since
the platform has no public API (platforms.md).

Listings → the operator's upload template: ``push_listings`` / ``delist`` /
``update_inventory`` / ``update_price`` update a snapshot (``export_dir/
snapshot.json``, one record per SKU) and rewrite the whole template
(``xiangpin_832_products.xlsx`` and ``.csv``) atomically, once per call.  The
snapshot never drops a SKU: a delisted listing, or a SKU the product no longer
has, stays as 下架, so the operator sees what to take down.  An invalid SKU
(empty key or title, a price that is not a positive whole number of fen) gets an
INVALID result; if it was never valid it stays out of the template, otherwise
its last valid row stays, with today's status, stock and (if valid) price.

Orders ← files the operator drops into ``inbox_dir`` (``*.csv`` / ``*.xlsx``,
format in ``platform_832_template.ORDER_COLUMNS``).  Files are read in name
order and treated as immutable (a correction is a new file; the engine de-dups
by order id and the later file's ``updated_at`` wins).  An order's
``created_at`` is its 下单时间; its ``updated_at`` is the file's modification
time (when we received it).  ``fetch_orders`` returns the orders of which
EITHER time falls in [start, end): so a file dropped late, with old order
times, is still picked up in the window it arrives in (the engine de-dups the
overlap).  The cursor is JSON ``{"file": name, "offset": n}``: the next file
to read and how many of its matching orders were already returned.  A file with
any bad row fails the call as INVALID with every row problem listed, and no
order of it is returned."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .base import (FEN, ChannelError, ChannelEvent, ChannelOrder, ConnectorConfig, ConnectorError, ErrorKind,
                   ItemResult, Listing, OrderPage, RemoteListing, RemoteSku, check_window)
from .file_state import SnapshotStore
from .platform_832_orders import OrderFileError, read_orders
from .platform_832_template import (CHINA, ORDER_SUFFIXES, STATUS_DELISTED, STATUS_LISTED, ExportRow,
                                    export_rows, write_export)

PAGE_SIZE = 100


def row_problems(row: ExportRow) -> list[str]:
    problems = []
    if not row.sku_key.strip():
        problems.append(_("缺少商品编码"))
    if not row.title.strip():
        problems.append(_("缺少商品名称"))
    if not price_ok(row.price):
        problems.append(_("单价必须是大于 0 的整分金额"))
    return problems


def price_ok(price: Any) -> bool:
    try:
        price = Decimal(price)
    except (ArithmeticError, TypeError, ValueError):
        return False
    return price.is_finite() and price > 0 and price == price.quantize(FEN)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


class Platform832Connector:
    code = "platform_832"
    max_batch = 10_000
    max_order_window = timedelta(days=366)
    caps = frozenset({"file"})

    def __init__(self, config: ConnectorConfig):
        self.config = config
        extra = config.extra
        self.export_dir = Path(extra["export_dir"]) if extra.get("export_dir") else None
        self.inbox_dir = Path(extra["inbox_dir"]) if extra.get("inbox_dir") else None
        self.store = SnapshotStore(self.export_dir / "snapshot.json" if self.export_dir else None)

    # -- the export -------------------------------------------------------------
    def _publish(self, records: Mapping[str, dict]) -> ChannelError | None:
        if self.export_dir is None:
            return None
        rows = sorted((ExportRow.from_record(r) for r in records.values()), key=lambda r: (r.listing_key, r.sku_key))
        try:
            write_export(self.export_dir, rows)
        except OSError as exc:
            return self.classify(None, None, exc)
        return None

    @staticmethod
    def _result(key: str, records: Mapping[str, dict], sku_ids: Sequence[str], problems: list[str],
                error: ChannelError | None) -> ItemResult:
        present = [records[s] for s in sku_ids if s in records]
        state = "live" if any(r["status"] == STATUS_LISTED for r in present) else "delisted"
        if problems:
            return ItemResult(key=key, ok=False, state=state,
                              error=ChannelError(ErrorKind.INVALID, "invalid_item", "；".join(problems)))
        if error:
            return ItemResult(key=key, ok=False, state=state, error=error)
        return ItemResult(key=key, ok=True, remote_id=key, state=state, remote_sku_ids={r["sku_key"]: r["sku_key"]
                                                                                         for r in present})

    def push_listings(self, batch: Sequence[Listing], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """``remote_ids`` is accepted for the interface; the 832 key is our own."""
        with self.store.change() as records:
            outcome: list[tuple[str, list[str], list[str]]] = []
            for listing in batch:
                problems, ids = [], []
                for row in export_rows(listing):
                    ids.append(row.sku_key)
                    own = row_problems(row)
                    if not own:
                        records[row.sku_key] = row.to_record()
                        continue
                    problems.append(f"{row.sku_key or '?'}: {'，'.join(own)}")
                    old = records.get(row.sku_key)
                    if old is not None:
                        kept = replace(ExportRow.from_record(old), status=row.status, quantity=row.quantity)
                        if price_ok(row.price):
                            kept = replace(kept, price=row.price)
                        records[row.sku_key] = kept.to_record()
                for sku, record in records.items():
                    if record["listing_key"] == listing.key and sku not in ids:
                        record["status"] = STATUS_DELISTED
                        ids.append(sku)
                if not ids:
                    problems.append(_("商品没有可售规格"))
                outcome.append((listing.key, ids, problems))
            error = self._publish(records)
            return [self._result(key, records, ids, problems, error) for key, ids, problems in outcome]

    def delist(self, keys: Sequence[str]) -> list[ItemResult]:
        with self.store.change() as records:
            ids: dict[str, list[str]] = {key: [] for key in keys}
            for sku, record in records.items():
                if record["listing_key"] in ids:
                    record["status"] = STATUS_DELISTED
                    ids[record["listing_key"]].append(sku)
            error = self._publish(records)
            return [replace(self._result(key, records, ids[key], [], error), state="delisted") for key in keys]

    def _update(self, items, apply) -> list[ItemResult]:
        not_found = ChannelError(ErrorKind.NOT_FOUND, "not_exported", _("导出模板中没有这个商品编码"))
        with self.store.change() as records:
            outcome = []
            for sku, value in items:
                if sku not in records:
                    outcome.append((sku, None))
                    continue
                problem = apply(records[sku], value)
                outcome.append((sku, [problem] if problem else []))
            error = self._publish(records)
            return [ItemResult(key=sku, ok=False, error=not_found) if problems is None
                    else self._result(sku, records, [sku], problems, error) for sku, problems in outcome]

    def update_inventory(self, items: Sequence[tuple[str, int]]) -> list[ItemResult]:
        def apply(record, quantity):
            record["quantity"] = max(0, int(quantity))
        return self._update(items, apply)

    def update_price(self, items: Sequence[tuple[str, Decimal]]) -> list[ItemResult]:
        def apply(record, price):
            if not price_ok(price):
                return _("单价必须是大于 0 的整分金额")
            record["price"] = str(Decimal(price))
        return self._update(items, apply)

    def lookup(self, keys: Sequence[str]) -> dict[str, RemoteListing]:
        records = self.store.read()
        found = {}
        for key in keys:
            mine = sorted((r for r in records.values() if r["listing_key"] == key), key=lambda r: r["sku_key"])
            if mine:
                found[key] = RemoteListing(
                    key=key, remote_id=key, title=mine[0]["title"],
                    state="live" if any(r["status"] == STATUS_LISTED for r in mine) else "delisted",
                    skus=tuple(RemoteSku(key=r["sku_key"], remote_id=r["sku_key"], price=Decimal(r["price"]),
                                         quantity=r["quantity"]) for r in mine))
        return found

    # -- the inbox ------------------------------------------------------------------
    def _inbox(self) -> list[Path]:
        if self.inbox_dir is None or not self.inbox_dir.is_dir():
            raise ConnectorError(ChannelError(ErrorKind.CONFIG, "no_inbox", _("未配置或找不到 832 订单收件目录")))
        return sorted(p for p in self.inbox_dir.iterdir()
                      if p.is_file() and p.suffix.lower() in ORDER_SUFFIXES and not p.name.startswith((".", "~$")))

    def _read(self, path: Path) -> list[ChannelOrder]:
        received = datetime.fromtimestamp(path.stat().st_mtime, CHINA)
        try:
            return read_orders(path, updated_at=received)
        except OrderFileError as exc:
            raise ConnectorError(self.classify(None, None, exc)) from exc

    def fetch_orders(self, start: datetime, end: datetime, cursor: str | None) -> OrderPage:
        check_window(self, start, end)
        start, end = _aware(start), _aware(end)
        position = json.loads(cursor) if cursor else {"file": "", "offset": 0}
        files = [p for p in self._inbox() if p.name >= position["file"]]
        for index, path in enumerate(files):
            offset = position["offset"] if path.name == position["file"] else 0
            matching = [o for o in self._read(path)
                        if start <= o.created_at < end or start <= o.updated_at < end]
            page = matching[offset:offset + PAGE_SIZE]
            if offset + PAGE_SIZE < len(matching):
                next_cursor = json.dumps({"file": path.name, "offset": offset + PAGE_SIZE}, ensure_ascii=False)
            elif index + 1 < len(files):
                next_cursor = json.dumps({"file": files[index + 1].name, "offset": 0}, ensure_ascii=False)
            else:
                next_cursor = None
            if page or next_cursor is None:
                return OrderPage(orders=tuple(page), next_cursor=next_cursor, window=(start, end))
        return OrderPage(orders=(), next_cursor=None, window=(start, end))

    def get_order(self, order_id: str) -> ChannelOrder:
        """The order as the last file (in name order) that mentions it says."""
        found = [o for path in self._inbox() for o in self._read(path) if o.external_id == str(order_id)]
        if not found:
            raise ConnectorError(ChannelError(ErrorKind.NOT_FOUND, "no_order", _("收件目录中没有这个订单")))
        return found[-1]

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        return []

    def classify(self, http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
        if isinstance(exc, ConnectorError):
            return exc.error
        if isinstance(exc, OrderFileError):
            return ChannelError(ErrorKind.INVALID, "bad_order_file", str(exc), sub_code=exc.source)
        if isinstance(exc, (FileNotFoundError, NotADirectoryError, PermissionError)):
            return ChannelError(ErrorKind.CONFIG, "file", str(exc))
        return ChannelError(ErrorKind.TRANSIENT, "file", str(exc or body or http_status))


def connector_from_config(config: ConnectorConfig) -> Platform832Connector:
    return Platform832Connector(config)
