"""The JD simulator's orders: ``jingdong.pop.order.enSearch`` (range ≤ one calendar
month ⚠️, page_size ≤ 100, sorted by modified time, ``orderTotal`` on every page)
and ``jingdong.pop.order.get``, plus the helpers tests and the demo use to place
and modify orders.  Orders carry made-up buyer details (name, phone, address) so
the tests can prove the connector drops them."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from .base import CHINA, SimOrder

MAX_PAGE_SIZE = 100
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _fmt(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime(TIME_FORMAT)


def _parse(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA)


def one_month_later(moment: datetime) -> datetime:
    """The same day and time a calendar month later (clamped to the month's last day)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(moment)


def _second(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CHINA).replace(microsecond=0) if moment else None


class JdOrders:
    """Mixed into ``JdSimulator`` (which provides ``orders``, ``catalogue``, ``now`` and ``SimError``)."""

    def init_orders(self) -> None:
        self._order_ids = itertools.count(300_000_000_001)
        # Called with the page number at the start of every enSearch request: a test
        # moves orders between pages mid-scan from here.
        self.before_page: Callable[[int], None] | None = None

    def place_order(self, outer_sku_id: str, quantity: int = 1, *, modified: datetime | None = None,
                    created: datetime | None = None, state: str = "WAIT_SELLER_STOCK_OUT",
                    price: Decimal | None = None, city: str = "广州市", order_id: str | None = None) -> SimOrder:
        ware_id = sku_id = ""
        title = outer_sku_id
        with self.catalogue.lock:
            for item in self.catalogue.items.values():
                sku = item.skus.get(outer_sku_id)
                if sku is not None:
                    ware_id, sku_id, title = item.remote_id, sku.remote_id, item.title
                    price = sku.price if price is None else price
        price = Decimal("1.00") if price is None else Decimal(price)
        modified = _second(modified) or _second(self.now())
        order = SimOrder(order_id=order_id or str(next(self._order_ids)), status=state,
                         created=_second(created) or modified, modified=modified,
                         lines=[{"outer_sku_id": outer_sku_id, "title": title, "quantity": int(quantity),
                                 "price": price, "sku_id": sku_id, "ware_id": ware_id}],
                         total=(price * int(quantity)).quantize(Decimal("0.01")), city=city,
                         extra={"fullname": "陈大文", "mobile": "13800138000", "telephone": "020-12345678",
                                "fullAddress": f"广东省{city}天河区体育西路1号", "pin": "jd_buyer_001"})
        return self.orders.put(order)

    def modify_order(self, order_id: str, *, state: str | None = None, modified: datetime | None = None) -> SimOrder:
        with self.orders.lock:
            order = self.orders.orders[order_id]
            if state is not None:
                order.status = state
            order.modified = _second(modified) or _second(self.now())
            return order

    def order_out(self, order: SimOrder) -> dict:
        return {
            "orderId": order.order_id, "orderState": order.status, "venderId": "10086",
            "orderTotalPrice": str(order.total), "orderPayment": str(order.total), "freightPrice": "0.00",
            "orderStartTime": _fmt(order.created), "modified": _fmt(order.modified), "pin": order.extra["pin"],
            "itemInfoList": [{"skuId": line["sku_id"], "outerSkuId": line["outer_sku_id"], "wareId": line["ware_id"],
                              "skuName": line["title"], "itemTotal": str(line["quantity"]),
                              "jdPrice": str(line["price"])} for line in order.lines],
            "consigneeInfo": {"fullname": order.extra["fullname"], "mobile": order.extra["mobile"],
                              "telephone": order.extra["telephone"], "fullAddress": order.extra["fullAddress"],
                              "province": "广东", "city": order.city, "county": "天河区"},
        }

    def order_search(self, business: dict) -> dict:
        try:
            start, end = _parse(str(business.get("start_date"))), _parse(str(business.get("end_date")))
            page, size = int(business.get("page") or 1), int(business.get("page_size") or 20)
        except ValueError:
            raise self.error("start_date/end_date/page/page_size 格式错误") from None
        if end < start or end > one_month_later(start):
            raise self.error("查询时间范围不能超过一个月")
        if not 1 <= size <= MAX_PAGE_SIZE or page < 1:
            raise self.error(f"page_size 必须在 1 到 {MAX_PAGE_SIZE} 之间")
        if self.before_page is not None:
            self.before_page(page)
        states = set(filter(None, str(business.get("order_state") or "").split(",")))
        found = [o for o in self.orders.modified_between(start, end) if not states or o.status in states]
        if str(business.get("sortType", "0")) != "0":
            found.reverse()
        chosen = found[(page - 1) * size: page * size]
        return {"searchorderinfo_result": {"apiResult": {"success": True, "code": "0"},
                                           "orderTotal": len(found),
                                           "orderInfoList": [self.order_out(o) for o in chosen]}}

    def order_get(self, business: dict) -> dict:
        order = self.orders.orders.get(str(business.get("order_id")))
        if order is None:
            return {"orderDetailInfo": {"orderInfo": None}}
        return {"orderDetailInfo": {"orderInfo": self.order_out(order)}}

    def error(self, message: str):
        from .jd import CODE_INVALID, SimError

        return SimError(CODE_INVALID, message, "Invalid argument")
