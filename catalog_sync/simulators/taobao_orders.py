"""The Taobao simulator's trades: ``taobao.trades.sold.increment.get`` (window ≤ 1 day
on ``modified``, page_size ≤ 100, ``use_has_next``) and ``taobao.trade.fullinfo.get``,
plus the helpers tests and the demo use to place and modify orders and to run a
callback between two page requests."""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from .base import CHINA, SimOrder

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_WINDOW = timedelta(days=1)
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 40
FIRST_TID = 3_000_000_000_000_000_001      # real tids are 18–19 digits, far above 2**53
PAID = ("WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART", "WAIT_BUYER_CONFIRM_GOODS",
        "TRADE_BUYER_SIGNED", "TRADE_FINISHED")


class TopError(Exception):
    """Raised by a method handler; the gateway turns it into an ``error_response``."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None):
        super().__init__(f"{code} {sub_code}: {sub_msg or msg}")
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg


def top_time(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime(TIME_FORMAT)


def parse_top_time(text: str, name: str) -> datetime:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA)
    except (TypeError, ValueError):
        raise TopError(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", f"{name} 格式应为 yyyy-MM-dd HH:mm:ss")


def whole_seconds(moment: datetime) -> datetime:
    return moment.astimezone(CHINA).replace(microsecond=0)


class TradesMixin:
    """Mixed into TaobaoSimulator (which provides ``orders``, ``catalogue`` and ``now``)."""

    def _init_trades(self) -> None:
        self._tids = itertools.count(FIRST_TID)
        self._page_hooks: list[list] = []            # [requests still to let pass, callback]
        self._hooks_lock = threading.Lock()

    # -- helpers for tests and the demo -------------------------------------------
    def place_order(self, outer_sku_id: str, quantity: int = 1, *, price: Decimal | str | None = None,
                    title: str | None = None, status: str = "WAIT_SELLER_SEND_GOODS",
                    created: datetime | None = None, modified: datetime | None = None,
                    city: str = "广州市", buyer_nick: str = "tb_买家01", receiver_name: str = "张三",
                    receiver_mobile: str = "13800138000",
                    receiver_address: str = "天河区体育西路 100 号") -> SimOrder:
        item, sku = self._find_sku(outer_sku_id)
        unit = Decimal(str(price if price is not None else (sku.price if sku else "10.00"))).quantize(Decimal("0.01"))
        modified = whole_seconds(modified or self.now())
        created = whole_seconds(created or modified)
        tid = str(next(self._tids))
        line = {"oid": str(next(self._tids)), "outer_sku_id": outer_sku_id, "quantity": quantity, "price": unit,
                "title": title or (item.title if item else outer_sku_id),
                "num_iid": item.remote_id if item else "", "sku_id": sku.remote_id if sku else "",
                "outer_iid": item.outer_id if item else ""}
        order = SimOrder(order_id=tid, status=status, created=created, modified=modified, lines=[line],
                         total=unit * quantity, city=city,
                         extra={"buyer_nick": buyer_nick, "receiver_name": receiver_name,
                                "receiver_mobile": receiver_mobile, "receiver_address": receiver_address,
                                "pay_time": created if status in PAID else None})
        return self.orders.put(order)

    def modify_order(self, order_id: str, *, status: str | None = None, modified: datetime | None = None) -> SimOrder:
        with self.orders.lock:
            order = self.orders.orders[str(order_id)]
            if status:
                order.status = status
                if status in PAID and not order.extra.get("pay_time"):
                    order.extra["pay_time"] = whole_seconds(modified or self.now())
            order.modified = whole_seconds(modified or self.now())
            return order

    def between_pages(self, callback: Callable[[], None], after: int = 1) -> None:
        """Run ``callback`` once, after the next ``after`` order-page requests were answered
        (so it falls between two page requests of a scan)."""
        with self._hooks_lock:
            self._page_hooks.append([after, callback])

    def _page_served(self) -> None:
        due = []
        with self._hooks_lock:
            for hook in self._page_hooks:
                hook[0] -= 1
                if hook[0] <= 0:
                    due.append(hook)
            for hook in due:
                self._page_hooks.remove(hook)
        for _, callback in due:
            callback()

    def _find_sku(self, outer_sku_id: str):
        with self.catalogue.lock:
            for item in self.catalogue.items.values():
                if outer_sku_id in item.skus:
                    return item, item.skus[outer_sku_id]
        return None, None

    # -- the TOP methods ---------------------------------------------------------
    def trades_sold_increment_get(self, params: dict, files: dict) -> dict:
        for name in ("start_modified", "end_modified"):
            if not params.get(name):
                raise TopError(40, "Missing Required Arguments", f"isv.missing-parameter:{name}")
        start = parse_top_time(params["start_modified"], "start_modified")
        end = parse_top_time(params["end_modified"], "end_modified")
        if end < start or end - start > MAX_WINDOW:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:end_modified",
                           "修改时间跨度不能大于一天，且结束时间不能早于开始时间")
        page_no = _int(params.get("page_no", "1"), "page_no")
        page_size = _int(params.get("page_size", str(DEFAULT_PAGE_SIZE)), "page_size")
        if not 1 <= page_size <= MAX_PAGE_SIZE or page_no < 1:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:page_size",
                           f"page_size 取值 1–{MAX_PAGE_SIZE}，page_no 从 1 开始")
        found = self.orders.modified_between(start, end)
        page = found[(page_no - 1) * page_size: page_no * page_size]
        body: dict = {"trades": {"trade": [self._trade_json(order) for order in page]}} if page else {}
        if params.get("use_has_next") == "true":
            body["has_next"] = page_no * page_size < len(found)
        else:
            body["total_results"] = len(found)
        self._page_served()
        return body

    def trade_fullinfo_get(self, params: dict, files: dict) -> dict:
        order = self.orders.orders.get(str(params.get("tid", "")))
        if order is None:
            raise TopError(15, "Remote service error", "isv.trade-not-exist", f"交易 {params.get('tid')} 不存在")
        return {"trade": self._trade_json(order)}

    def _trade_json(self, order: SimOrder) -> dict:
        """As TOP answers, personal data included (the connector must drop it)."""
        pay_time = order.extra.get("pay_time")
        trade = {"tid": int(order.order_id), "status": order.status, "type": "fixed",
                 "created": top_time(order.created), "modified": top_time(order.modified),
                 "payment": f"{Decimal(order.total):.2f}", "total_fee": f"{Decimal(order.total):.2f}",
                 "post_fee": "0.00", "buyer_nick": order.extra["buyer_nick"],
                 "receiver_name": order.extra["receiver_name"], "receiver_mobile": order.extra["receiver_mobile"],
                 "receiver_state": "广东省", "receiver_city": order.city, "receiver_district": "天河区",
                 "receiver_address": order.extra["receiver_address"],
                 "orders": {"order": [{
                     "oid": int(line["oid"]), "num_iid": int(line["num_iid"]) if line["num_iid"] else None,
                     "sku_id": int(line["sku_id"]) if line["sku_id"] else None, "outer_iid": line["outer_iid"],
                     "outer_sku_id": line["outer_sku_id"], "title": line["title"], "num": line["quantity"],
                     "price": f"{line['price']:.2f}", "total_fee": f"{line['price'] * line['quantity']:.2f}",
                     "payment": f"{line['price'] * line['quantity']:.2f}", "status": order.status,
                 } for line in order.lines]}}
        if pay_time:
            trade["pay_time"] = top_time(pay_time)
        return trade


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise TopError(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", f"{name} 应为整数")
