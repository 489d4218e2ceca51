"""An in-memory channel behind the connector interface, for the engine's tests.

It behaves like a real platform where it matters to the engine: a create
without a remote id always makes a *new* item (so a duplicate create shows up
as two items with one key), updates need the remote id, stock and price are
set per SKU key, delisting a missing item is fine.  Every call is logged as
``(method, keys)``; faults are armed per method (and optionally per key), and
can fail before or *after* committing (an answer lost in transit)."""
from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from catalog_sync.connectors.base import (
    ChannelError,
    ConnectorError,
    ErrorKind,
    ItemResult,
    RemoteListing,
    RemoteSku,
)


@dataclass
class RemoteItem:
    remote_id: str
    key: str
    title: str
    description: str
    state: str
    skus: dict[str, dict] = field(default_factory=dict)   # sku key → {"remote_id", "price", "quantity"}


@dataclass
class Fault:
    method: str
    kind: ErrorKind
    key: str | None = None
    times: int = 1
    retry_after: float | None = None
    whole: bool = False        # the whole call fails (ConnectorError) instead of one item
    commit: bool = False       # do the work first, then lose the answer
    crash: bool = False        # raise a plain exception (a bug, a killed worker) after committing
    with_id: bool = False      # a committed item's failure still carries its remote id
    code: str = "E1"


class FakeConnector:
    code = "fake"
    max_order_window = timedelta(days=1)
    caps = frozenset({"native_batch"})

    def __init__(self, max_batch: int = 20, delay: float = 0.0):
        self.max_batch = max_batch
        self.delay = delay                 # seconds each write call takes (to overlap threads)
        self.items: dict[str, RemoteItem] = {}
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.remote_ids_seen: list[dict[str, str]] = []
        self.remote_skus_seen: list[dict[str, tuple[str, str]]] = []
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(880000000000000001)   # larger than 2**53, kept as strings

    # --- test helpers ----------------------------------------------------------------------

    def fail(self, method: str, kind: ErrorKind, **kwargs) -> Fault:
        fault = Fault(method=method, kind=kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def count(self, key: str) -> int:
        return sum(1 for item in self.items.values() if item.key == key)

    def by_key(self, key: str) -> RemoteItem:
        (item,) = [item for item in self.items.values() if item.key == key]
        return item

    def methods(self) -> list[str]:
        return [method for method, _keys in self.calls]

    def _take_fault(self, method: str, key: str | None, *, whole: bool) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.whole == whole and fault.times > 0 and (
                    whole or fault.key is None or fault.key == key):
                fault.times -= 1
                return fault
        return None

    @staticmethod
    def _error(fault: Fault) -> ChannelError:
        return ChannelError(kind=fault.kind, code=fault.code, message=f"fake {fault.kind.value}",
                            retry_after=fault.retry_after)

    def _begin(self, method, keys):
        self.calls.append((method, tuple(keys)))
        fault = self._take_fault(method, None, whole=True)
        if fault is not None and not (fault.commit or fault.crash):
            raise ConnectorError(self._error(fault))
        return fault

    def _end(self, fault):
        if self.delay:
            time.sleep(self.delay)
        if fault is not None:
            if fault.crash:
                raise RuntimeError("worker died after the platform committed")
            raise ConnectorError(self._error(fault))

    def _item_fault(self, method, key):
        fault = self._take_fault(method, key, whole=False)
        if fault is None:
            return None, None
        return fault, ItemResult(key=key, ok=False, error=self._error(fault))

    def _find_sku(self, sku_key):
        for item in self.items.values():
            if sku_key in item.skus:
                return item
        return None

    # --- the interface ---------------------------------------------------------------------

    def push_listings(self, batch, remote_ids=None):
        remote_ids = dict(remote_ids or {})
        with self._lock:
            fault = self._begin("push_listings", [listing.key for listing in batch])
            self.remote_ids_seen.append(remote_ids)
            results = []
            for listing in batch:
                item_fault, failed = self._item_fault("push_listings", listing.key)
                if item_fault is not None and not item_fault.commit:
                    results.append(failed)
                    continue
                remote_id = remote_ids.get(listing.key)
                if remote_id:
                    item = self.items.get(remote_id)
                    if item is None:
                        results.append(ItemResult(key=listing.key, ok=False, error=ChannelError(
                            ErrorKind.NOT_FOUND, "404", "no such item")))
                        continue
                else:
                    remote_id = str(next(self._ids))
                    item = RemoteItem(remote_id=remote_id, key=listing.key, title="", description="", state="live")
                    self.items[remote_id] = item
                item.title, item.description = listing.title, listing.description
                item.state = "live" if listing.active else "delisted"
                item.skus = {sku.key: {"remote_id": item.skus.get(sku.key, {}).get("remote_id")
                                       or str(next(self._ids)), "price": sku.price, "quantity": sku.quantity}
                             for sku in listing.skus}
                if item_fault is not None:          # committed, then failed or answer lost
                    results.append(ItemResult(key=listing.key, ok=False, error=failed.error,
                                              remote_id=remote_id if item_fault.with_id else None))
                else:
                    results.append(ItemResult(key=listing.key, ok=True, remote_id=remote_id, state=item.state,
                                              remote_sku_ids={k: v["remote_id"] for k, v in item.skus.items()}))
            self._end(fault)
            return results

    def delist(self, keys):
        with self._lock:
            fault = self._begin("delist", keys)
            results = []
            for key in keys:
                item_fault, failed = self._item_fault("delist", key)
                if item_fault is not None:
                    results.append(failed)
                    continue
                for item in self.items.values():
                    if item.key == key:
                        item.state = "delisted"
                results.append(ItemResult(key=key, ok=True, state="delisted"))
            self._end(fault)
            return results

    def _set_sku(self, method, items, name):
        with self._lock:
            fault = self._begin(method, [key for key, _value in items])
            results = []
            for key, value in items:
                item_fault, failed = self._item_fault(method, key)
                if item_fault is not None and not item_fault.commit:
                    results.append(failed)
                    continue
                item = self._find_sku(key)
                if item is None:
                    results.append(ItemResult(key=key, ok=False, error=ChannelError(
                        ErrorKind.NOT_FOUND, "404", "no such sku")))
                    continue
                item.skus[key][name] = value
                results.append(failed if item_fault is not None else ItemResult(key=key, ok=True,
                                                                                remote_id=item.remote_id))
            self._end(fault)
            return results

    def update_inventory(self, items, *, remote_skus=None):
        self.remote_skus_seen.append(dict(remote_skus or {}))
        return self._set_sku("update_inventory", items, "quantity")

    def update_price(self, items):
        return self._set_sku("update_price", items, "price")

    def lookup(self, keys):
        with self._lock:
            fault = self._begin("lookup", keys)
            found = {}
            for key in keys:
                matches = sorted((item for item in self.items.values() if item.key == key),
                                 key=lambda item: int(item.remote_id))
                if matches:
                    item = matches[0]
                    found[key] = RemoteListing(
                        key=key, remote_id=item.remote_id, state=item.state, title=item.title,
                        skus=tuple(RemoteSku(key=sku_key, remote_id=sku["remote_id"], price=Decimal(sku["price"]),
                                             quantity=int(sku["quantity"])) for sku_key, sku in item.skus.items()))
            self._end(fault)
            return found

    def fetch_orders(self, start, end, cursor):
        raise NotImplementedError

    def get_order(self, order_id):
        raise NotImplementedError

    def parse_push(self, headers, body):
        raise NotImplementedError

    def classify(self, http_status, body, exc):
        return ChannelError(ErrorKind.TRANSIENT, str(http_status), "fake")
