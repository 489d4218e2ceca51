"""The simulated WeChat Shop's orders: ``/channels/ec/order/list/get`` and ``/get``.

A list request takes ``update_time_range`` (or ``create_time_range``) in epoch
seconds, both ends included, at most 7 days; ``page_size`` 1..100; ``next_key``.
Pages are ordered by (time, order id) and ``next_key`` is the position after the
last order returned (a keyset, ❓ how the real gateway builds it is not public):
an order modified mid-scan moves later — seen again in this window or in the
next one — and never pushes an unread order out of the scan.

``between_pages(sim, next_key)``, when set, runs before every page after the
first: tests use it to modify orders mid-scan."""
from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .base import SimOrder
from .wechat_shop_errors import error, ok

ORDER_ID_START = 3_705_115_058_471_208_901       # > 2**53
MAX_RANGE_SECONDS = 7 * 24 * 3600
MAX_PAGE = 100
DEFAULT_UNIT_FEN = 990


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _key(seconds: int, order_id: str) -> str:
    return base64.urlsafe_b64encode(f"{seconds}:{order_id}".encode()).decode()


def _unkey(key: str) -> tuple[int, int]:
    seconds, order_id = base64.urlsafe_b64decode(key.encode()).decode().split(":")
    return int(seconds), int(order_id)


class OrderDesk:
    def __init__(self, sim):
        self.sim = sim
        self.book = sim.orders
        self.ids = itertools.count(ORDER_ID_START)
        self.between_pages: Callable[[Any, str], None] | None = None

    # -- helpers for tests and the demo -----------------------------------------------------
    def place(self, outer_sku_id: str, quantity: int = 1, *, status: int = 20, created: datetime | None = None,
              modified: datetime | None = None, city: str = "广州市", unit_fen: int | None = None) -> SimOrder:
        """An order for one SKU; its price and product come from the catalogue when the SKU is there."""
        product_id, sku_id, title, price = "0", "0", outer_sku_id, unit_fen or DEFAULT_UNIT_FEN
        with self.sim.catalogue.lock:
            for item in self.sim.catalogue.items.values():
                sku = item.skus.get(outer_sku_id)
                if sku is not None:
                    product_id, sku_id, title = item.remote_id, sku.remote_id, item.title
                    price = unit_fen or sku.price
                    out_product_id = item.outer_id
                    break
            else:
                out_product_id = ""
        created = created or self.sim.now()
        line = {"outer_sku_id": outer_sku_id, "title": title, "quantity": quantity, "price": price,
                "product_id": product_id, "sku_id": sku_id, "out_product_id": out_product_id}
        order = SimOrder(order_id=str(next(self.ids)), status=str(status), created=created,
                         modified=modified or created, lines=[line], total=price * quantity, city=city)
        return self.book.put(order)

    def modify(self, order_id: str, *, status: int | None = None, modified: datetime | None = None) -> SimOrder:
        with self.book.lock:
            order = self.book.orders[str(order_id)]
            if status is not None:
                order.status = str(status)
            order.modified = modified or self.sim.now()
            return order

    def render(self, order: SimOrder) -> dict:
        status = int(order.status)
        detail: dict[str, Any] = {
            "product_infos": [{"product_id": line["product_id"], "sku_id": line["sku_id"],
                               "out_product_id": line["out_product_id"], "out_sku_id": line["outer_sku_id"],
                               "title": line["title"], "sku_cnt": line["quantity"], "sale_price": line["price"],
                               "real_price": line["price"] * line["quantity"]} for line in order.lines],
            "price_info": {"product_price": order.total, "order_price": order.total, "freight": 0,
                           "discounted_price": 0},
            "delivery_info": {"address_info": {"user_name": "陈小明", "tel_number": "13800138000",
                                               "province_name": "广东省", "city_name": order.city,
                                               "county_name": "天河区", "detail_info": "天河路 100 号 8 栋 801",
                                               "postal_code": "510000"}},
        }
        if status in (20, 21, 30, 100, 200):
            detail["pay_info"] = {"pay_time": _seconds(order.created)}
        return {"order_id": order.order_id, "status": status, "openid": "oSimBuyer0001", "unionid": "uSimBuyer0001",
                "create_time": _seconds(order.created), "update_time": _seconds(order.modified),
                "order_detail": detail}

    # -- the API ----------------------------------------------------------------------
    def list(self, p: dict) -> dict:
        field = "update_time_range" if "update_time_range" in p else "create_time_range"
        span = p.get(field)
        if not isinstance(span, dict):
            return error(40097, "invalid args: update_time_range or create_time_range is required")
        try:
            start, end = int(span["start_time"]), int(span["end_time"])
        except (KeyError, TypeError, ValueError):
            return error(40097, "invalid args: time range")
        if end < start or end - start > MAX_RANGE_SECONDS:
            return error(40097, "invalid args: time range must be within 7 days")
        page_size = p.get("page_size", 10)
        if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE:
            return error(40097, f"invalid args: page_size must be 1..{MAX_PAGE}")
        key = str(p.get("next_key") or "")
        if key and self.between_pages is not None:
            self.between_pages(self.sim, key)
        try:
            after = _unkey(key) if key else None
        except ValueError:
            return error(40097, "invalid args: next_key")
        with self.book.lock:
            stamp = (lambda o: _seconds(o.modified)) if field == "update_time_range" else (lambda o: _seconds(o.created))
            rows = sorted((stamp(o), int(o.order_id)) for o in self.book.orders.values() if start <= stamp(o) <= end)
        if after is not None:
            rows = [row for row in rows if row > after]
        page = rows[:page_size]
        following = _key(page[-1][0], str(page[-1][1])) if page else key
        return ok(order_id_list=[str(order_id) for _, order_id in page], next_key=following,
                  has_more=len(rows) > page_size)

    def get(self, p: dict) -> dict:
        order = self.book.orders.get(str(p.get("order_id") or ""))
        if order is None:
            return error(10021001)
        with self.book.lock:
            return ok(order=self.render(order))
