"""An in-test connector with the order side of a real platform: an increment
query over [start, end] (both ends inclusive, so an order on a window bound is
seen by both windows) read **backwards**, last page first, like TOP and PDD; a
hook that runs before each page is read (to modify an order mid-scan, which
moves it and shifts the pages); ``get_order``; signed push messages."""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from catalog_sync.connectors.base import (
    ChannelError,
    ChannelEvent,
    ChannelOrder,
    ChannelOrderLine,
    ConnectorError,
    ErrorKind,
    InvalidSignature,
    OrderPage,
    check_window,
)

CHINA = timezone(timedelta(hours=8))
SECRET = "fake-push-secret"
SIGNATURE_HEADER = "X-Fake-Signature"


def channel_order(external_id, updated_at, *, lines=(), paid=True, cancelled=False, total=None,
                  created_at=None, raw=None, status=None):
    """``lines``: (sku_key, quantity, unit price) triples; ``total`` defaults to their sum."""
    order_lines = tuple(ChannelOrderLine(sku_key=sku, title="", quantity=quantity, unit_price=Decimal(price))
                        for sku, quantity, price in lines)
    if total is None:
        total = sum((line.unit_price * line.quantity for line in order_lines), Decimal("0.00"))
    return ChannelOrder(
        external_id=external_id, status=status or ("cancelled" if cancelled else "paid" if paid else "unpaid"),
        paid=paid, cancelled=cancelled, created_at=created_at or updated_at, updated_at=updated_at,
        total=Decimal(total), lines=order_lines, raw=raw or {},
    )


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push_body(*events: dict) -> bytes:
    return json.dumps({"events": list(events)}).encode()


class FakeConnector:
    code = "fake"
    max_batch = 20
    caps = frozenset({"push"})
    push_reply = "success"

    def __init__(self, orders: Iterable[ChannelOrder] = (), *, max_order_window=timedelta(minutes=30),
                 page_size=2, secret=SECRET):
        self.max_order_window = max_order_window
        self.page_size = page_size
        self.secret = secret
        self.orders: dict[str, ChannelOrder] = {}
        self.fetch_calls: list[tuple[datetime, datetime, str | None]] = []
        self.get_order_calls: list[str] = []
        # Called before each page is read: hook(connector, call_number, start, end, cursor).
        self.on_fetch: Callable | None = None
        self.fetch_failures: list[ConnectorError] = []   # raised, one per call, before anything else
        self._lock = threading.Lock()
        for order in orders:
            self.put(order)

    def put(self, order: ChannelOrder) -> None:
        with self._lock:
            self.orders[order.external_id] = order

    def change(self, external_id: str, **changes) -> ChannelOrder:
        with self._lock:
            self.orders[external_id] = replace(self.orders[external_id], **changes)
            return self.orders[external_id]

    def _matching(self, start, end) -> list[ChannelOrder]:
        with self._lock:
            found = [order for order in self.orders.values() if start <= order.updated_at <= end]
        return sorted(found, key=lambda order: (order.updated_at, order.external_id))

    def fetch_orders(self, start, end, cursor):
        check_window(self, start, end)
        if self.fetch_failures:
            raise self.fetch_failures.pop(0)
        self.fetch_calls.append((start, end, cursor))
        if self.on_fetch is not None:
            self.on_fetch(self, len(self.fetch_calls), start, end, cursor)
        matching = self._matching(start, end)
        pages = max(1, math.ceil(len(matching) / self.page_size))
        page = pages if cursor is None else int(cursor)
        chunk = matching[(page - 1) * self.page_size: page * self.page_size]
        return OrderPage(orders=tuple(chunk), next_cursor=str(page - 1) if page > 1 else None, window=(start, end))

    def get_order(self, order_id):
        self.get_order_calls.append(order_id)
        with self._lock:
            order = self.orders.get(order_id)
        if order is None:
            raise ConnectorError(ChannelError(ErrorKind.NOT_FOUND, "not_found", order_id))
        return order

    def parse_push(self, headers, body):
        given = {key.lower(): value for key, value in headers.items()}.get(SIGNATURE_HEADER.lower(), "")
        if not hmac.compare_digest(given, sign(body, self.secret)):
            raise InvalidSignature("bad signature")
        data = json.loads(body)
        return [ChannelEvent(event_id=str(event["id"]), topic=event["topic"], order_id=event.get("order_id"),
                             status=event.get("status")) for event in data["events"]]

    def push_listings(self, batch):
        raise NotImplementedError

    def delist(self, keys):
        raise NotImplementedError

    def update_inventory(self, items):
        raise NotImplementedError

    def update_price(self, items):
        raise NotImplementedError

    def lookup(self, keys):
        return {}

    def classify(self, http_status, body, exc):
        return ChannelError(ErrorKind.TRANSIENT, "fake", str(exc))


# --- picked by settings.CATALOG_SYNC_CONNECTOR_FACTORY ----------------------------------

REGISTRY: dict[str, FakeConnector] = {}


def registered_connector(channel) -> FakeConnector:
    """The connector a test registered for the channel's code."""
    return REGISTRY[channel.code]


class SlowConnector(FakeConnector):
    """Sleeps ``delay`` seconds per order it returns: slow enough to kill its worker mid-task."""

    def __init__(self, *args, delay: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.delay = delay

    def fetch_orders(self, start, end, cursor):
        page = super().fetch_orders(start, end, cursor)
        time.sleep(self.delay * len(page.orders))
        return page


SLOW_SKU_ENV = "XP_FAKE_SKU"
SLOW_BASE_ENV = "XP_FAKE_ORDERS_BASE"
SLOW_COUNT_ENV = "XP_FAKE_ORDERS"
SLOW_DELAY_ENV = "XP_FAKE_DELAY"


def slow_orders(*, base: datetime, count: int, sku: str) -> list[ChannelOrder]:
    return [channel_order(f"SLOW{index:03d}", base + timedelta(minutes=index), lines=[(sku, 1, "19.90")])
            for index in range(count)]


def slow_connector(channel) -> SlowConnector:
    """The worker's connector (tests.catalog_sync.orders.worker_settings): the same
    orders in every process, from the environment the test gives the worker."""
    orders = slow_orders(base=datetime.fromisoformat(os.environ[SLOW_BASE_ENV]),
                         count=int(os.environ[SLOW_COUNT_ENV]), sku=os.environ[SLOW_SKU_ENV])
    return SlowConnector(orders, delay=float(os.environ[SLOW_DELAY_ENV]), max_order_window=timedelta(days=2),
                         page_size=3)
