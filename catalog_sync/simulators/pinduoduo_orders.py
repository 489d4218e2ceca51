"""The Pinduoduo simulator's orders: ``pdd.order.number.list.increment.get`` (window
≤ 30 min in epoch seconds, [start, end); page_size ≤ 100; ``use_has_next`` →
``has_next`` instead of ``total_count``; sorted by ``updated_at``) and
``pdd.order.information.get``.

Late indexing, as PDD warns about: an order placed with ``index_delay`` shows up
in the increment list only once the simulator's clock has passed its
``updated_at + index_delay`` (that is why windows must end ≥3 min behind PDD's
clock).  Orders carry made-up receiver details so the tests prove the connector
drops them; ``pay_amount`` is yuan (a JSON number), SKU prices in the catalogue fen."""
from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from .base import CHINA, SimOrder

MAX_WINDOW_SECONDS = 30 * 60
MAX_PAGE_SIZE = 100
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _fmt(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime(TIME_FORMAT)


def _second(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CHINA).replace(microsecond=0) if moment else None


def _number(amount: Decimal) -> float:
    return float(amount)    # PDD sends yuan as a JSON number; two decimals survive float repr exactly


class PddOrders:
    """Mixed into ``PddSimulator`` (which provides ``orders``, ``catalogue``, ``now``)."""

    def init_orders(self) -> None:
        self._order_serial = itertools.count(1)
        self._message_ids = itertools.count(2**53 + 101)
        # Called with the page number at the start of every increment request: a
        # test moves orders between pages mid-scan from here.
        self.before_page: Callable[[int], None] | None = None

    def place_order(self, outer_sku_id: str, quantity: int = 1, *, modified: datetime | None = None,
                    created: datetime | None = None, index_delay: timedelta = timedelta(),
                    order_status: int = 1, refund_status: int = 1, confirm_status: int = 1,
                    price: Decimal | None = None, city: str = "深圳市", order_sn: str | None = None) -> SimOrder:
        goods_id = sku_id = ""
        title = outer_sku_id
        with self.catalogue.lock:
            for item in self.catalogue.items.values():
                sku = item.skus.get(outer_sku_id)
                if sku is not None:
                    goods_id, sku_id, title = item.remote_id, sku.remote_id, item.title
                    price = (Decimal(sku.price) / 100) if price is None else price    # fen → yuan
        price = Decimal("1.00") if price is None else Decimal(price)
        modified = _second(modified) or _second(self.now())
        order_sn = order_sn or f"{modified:%y%m%d}-{next(self._order_serial):015d}"
        order = SimOrder(order_id=order_sn, status=str(order_status), created=_second(created) or modified,
                         modified=modified,
                         lines=[{"outer_sku_id": outer_sku_id, "title": title, "quantity": int(quantity),
                                 "price": price, "sku_id": sku_id, "goods_id": goods_id}],
                         total=(price * int(quantity)).quantize(Decimal("0.01")), city=city,
                         extra={"refund_status": refund_status, "confirm_status": confirm_status,
                                "visible_at": modified + index_delay, "receiver_name": "李小梅",
                                "receiver_phone": "13900139000", "address": f"广东省{city}南山区科技园1号"})
        return self.orders.put(order)

    def modify_order(self, order_id: str, *, order_status: int | None = None, refund_status: int | None = None,
                     confirm_status: int | None = None, modified: datetime | None = None,
                     index_delay: timedelta = timedelta()) -> SimOrder:
        with self.orders.lock:
            order = self.orders.orders[order_id]
            if order_status is not None:
                order.status = str(order_status)
            for name, value in (("refund_status", refund_status), ("confirm_status", confirm_status)):
                if value is not None:
                    order.extra[name] = value
            order.modified = _second(modified) or _second(self.now())
            order.extra["visible_at"] = order.modified + index_delay
            return order

    def order_out(self, order: SimOrder) -> dict:
        return {
            "order_sn": order.order_id, "order_status": int(order.status),
            "refund_status": order.extra["refund_status"], "confirm_status": order.extra["confirm_status"],
            "pay_amount": _number(order.total), "goods_amount": _number(order.total), "postage": 0.0,
            "created_time": _fmt(order.created), "updated_at": _fmt(order.modified),
            "confirm_time": _fmt(order.created), "province": "广东省", "city": order.city, "town": "南山区",
            "receiver_name": order.extra["receiver_name"], "receiver_phone": order.extra["receiver_phone"],
            "address": order.extra["address"], "receiver_address": order.extra["address"],
            "item_list": [{"goods_id": int(line["goods_id"]) if line["goods_id"] else 0,
                           "sku_id": int(line["sku_id"]) if line["sku_id"] else 0,
                           "outer_id": line["outer_sku_id"], "goods_name": line["title"],
                           "goods_count": line["quantity"], "goods_price": _number(line["price"])}
                          for line in order.lines],
        }

    def order_increment(self, params: dict) -> dict:
        from .pinduoduo import CODE_PARAM, SimError

        try:
            start = datetime.fromtimestamp(int(params["start_updated_at"]), tz=CHINA)
            end = datetime.fromtimestamp(int(params["end_updated_at"]), tz=CHINA)
            page, size = int(params.get("page") or 1), int(params.get("page_size") or 100)
        except (KeyError, ValueError):
            raise SimError(CODE_PARAM, "start_updated_at/end_updated_at/page/page_size 格式错误") from None
        if end <= start or (end - start).total_seconds() > MAX_WINDOW_SECONDS:
            raise SimError(CODE_PARAM, "查询时间范围不能超过30分钟")
        if not 1 <= size <= MAX_PAGE_SIZE or page < 1:
            raise SimError(CODE_PARAM, f"page_size 必须在 1 到 {MAX_PAGE_SIZE} 之间")
        if self.before_page is not None:
            self.before_page(page)
        now = self.now()
        found = [o for o in self.orders.modified_between(start, end) if o.extra["visible_at"] <= now]
        chosen = found[(page - 1) * size: page * size]
        answer = {"order_sn_list": [self.order_out(o) for o in chosen]}
        if params.get("use_has_next") == "true":
            answer["has_next"] = page * size < len(found)
        else:
            answer["total_count"] = len(found)
        return answer

    def order_information(self, params: dict) -> dict:
        order = self.orders.orders.get(str(params.get("order_sn")))
        return {"order_info": self.order_out(order) if order else None}

    def push_frame(self, order_sn: str, message_type: str = "pdd_trade_TradeConfirmed", *,
                   message_id: int | None = None, mall_id: int = 10086) -> str:
        """A WebSocket ``Common`` frame as PDD sends it (ids as JSON numbers)."""
        send_time = int(self.now().timestamp() * 1000)
        content = json.dumps({"mall_id": mall_id, "tid": order_sn}, separators=(",", ":"))
        return json.dumps({"id": message_id or next(self._message_ids), "commandType": "Common",
                           "time": send_time, "sendTime": send_time,
                           "message": {"type": message_type, "mallID": mall_id, "content": content}},
                          ensure_ascii=False)
