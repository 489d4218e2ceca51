"""Pinduoduo orders: ``pdd.order.number.list.increment.get`` paging, the ≥3 min
end lag, and the order mapping (``pay_amount`` in yuan).

Rules (platforms.md ✅[P2]): ``start/end_updated_at`` in epoch seconds, a window of
at most 30 min, page_size ≤ 100, pages read **backwards**, and the window must end
at least 3 min behind PDD's clock (orders PDD indexes late would otherwise be
missed).  The connector **refuses** (ValueError, before any call) a window that
ends less than ``END_LAG`` before its clock instead of clamping it: the caller
advances its cursor to the window it asked for, so a silently shortened window
would skip orders.

Paging: the first request (``use_has_next=false``) learns ``total_count``; when it
all fits one page that is the window, otherwise the last page is read
(``use_has_next=true``, which spares PDD the count) and then the ones before it.
A ``has_next`` on the last page, or a larger ``total_count`` when page 1 is read
again at the end, means orders arrived late: the scan restarts from the new end.
Reading backwards, an order modified mid-scan leaves the window (its new
``updated_at`` is past the end) and only shifts unread orders onto pages still to
be read: a repeat, which the engine de-duplicates, never a loss.  Both bounds are
whole seconds, [start, end)."""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .base import ChannelError, ChannelOrder, ChannelOrderLine, ConnectorError, ErrorKind, OrderPage, yuan

if TYPE_CHECKING:
    from .pinduoduo import PinduoduoConnector

CHINA = timezone(timedelta(hours=8))
ORDER_METHOD = "pdd.order.number.list.increment.get"    # ✅[P2]
ORDER_GET_METHOD = "pdd.order.information.get"           # ✅[P2]
ORDER_WINDOW_CAP = timedelta(minutes=30)                 # ✅[P2]
ORDER_PAGE_SIZE = 100                                    # ✅[P2]
END_LAG = timedelta(minutes=3)                           # ✅[P2] keep end ≥3 min behind PDD's clock
ORDER_STATUS_ALL, REFUND_STATUS_ALL, LUCKY_ALL = 5, 5, 0
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Status words ⚠️: confirm_status 1 成交 / 2 已取消; refund_status 4 退款成功.
PAID_CONFIRM_STATUS, CANCELLED_CONFIRM_STATUS, REFUNDED_STATUS = "1", "2", "4"
RAW_ORDER_FIELDS = ("order_sn", "order_status", "refund_status", "confirm_status", "pay_amount", "goods_amount",
                    "discount_amount", "postage", "created_time", "updated_at", "confirm_time", "pay_time")
RAW_LINE_FIELDS = ("goods_id", "sku_id", "outer_id", "outer_goods_id", "goods_name", "goods_count", "goods_price")


def _list(connector: "PinduoduoConnector", start: int, end: int, page: int, *, use_has_next: bool):
    result = connector.call(ORDER_METHOD, {
        "start_updated_at": start, "end_updated_at": end, "order_status": ORDER_STATUS_ALL,
        "refund_status": REFUND_STATUS_ALL, "is_lucky_flag": LUCKY_ALL, "page": page,
        "page_size": ORDER_PAGE_SIZE, "use_has_next": use_has_next})
    orders = [o for o in result.get("order_sn_list") or [] if isinstance(o, Mapping)]
    total = int(result.get("total_count") or 0)
    has_next = str(result.get("has_next")).lower() == "true"
    return orders, total, has_next


def _pages(total: int) -> int:
    return max(1, math.ceil(total / ORDER_PAGE_SIZE))


def _cursor(start: int, end: int, page: int | None, total: int) -> str:
    return json.dumps({"start": start, "end": end, "page": page, "total": total}, separators=(",", ":"))


def _first(connector, start: int, end: int, window) -> OrderPage:
    orders, total, _has_next = _list(connector, start, end, 1, use_has_next=False)
    last = _pages(total)
    if last == 1:
        return OrderPage(tuple(map(to_order, orders)), None, window)
    orders, _total, has_next = _list(connector, start, end, last, use_has_next=True)
    following = _cursor(start, end, None, total) if has_next else _cursor(start, end, last - 1, total)
    return OrderPage(tuple(map(to_order, orders)), following, window)


def fetch_page(connector: "PinduoduoConnector", start: datetime, end: datetime, cursor: str | None) -> OrderPage:
    start_s, end_s = int(start.timestamp()), int(end.timestamp())
    window = (start, end)
    if cursor is None:
        latest = connector.clock() - connector.end_lag
        if end > latest:
            raise ValueError(_("拼多多订单窗口须在平台时钟之前至少 %(lag)s 结束：%(end)s 晚于 %(latest)s") % {
                "lag": connector.end_lag, "end": end.isoformat(), "latest": latest.isoformat()})
        return _first(connector, start_s, end_s, window)
    state = json.loads(cursor)
    if (state.get("start"), state.get("end")) != (start_s, end_s):
        raise ValueError(_("订单游标不属于这个时间窗口"))
    if state.get("page") is None:          # restart: the window grew while we read it
        return _first(connector, start_s, end_s, window)
    page = int(state["page"])
    if page > 1:
        orders, _total, _has_next = _list(connector, start_s, end_s, page, use_has_next=True)
        return OrderPage(tuple(map(to_order, orders)), _cursor(start_s, end_s, page - 1, int(state["total"])), window)
    orders, total, _has_next = _list(connector, start_s, end_s, 1, use_has_next=False)
    following = _cursor(start_s, end_s, None, total) if total > int(state["total"]) else None
    return OrderPage(tuple(map(to_order, orders)), following, window)


def get_order(connector: "PinduoduoConnector", order_sn: str) -> ChannelOrder:
    result = connector.call(ORDER_GET_METHOD, {"order_sn": str(order_sn)})
    info = result.get("order_info")
    if not isinstance(info, Mapping):
        raise ConnectorError(ChannelError(ErrorKind.NOT_FOUND, "no_order", _("拼多多上没有订单 %(id)s") % {"id": order_sn}))
    return to_order(info)


def _time(text: Any) -> datetime:
    return datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=CHINA)


def _line(item: Mapping[str, Any]) -> ChannelOrderLine:
    return ChannelOrderLine(sku_key=str(item.get("outer_id") or ""), title=str(item.get("goods_name") or ""),
                            quantity=int(item.get("goods_count") or 0), unit_price=yuan(item.get("goods_price") or 0),
                            remote_sku_id=str(item.get("sku_id") or ""))


def to_order(data: Mapping[str, Any]) -> ChannelOrder:
    """``status`` is ``order_status/refund_status/confirm_status`` (e.g. "1/1/1")."""
    order_status, refund, confirm = (str(data.get(k) or "") for k in ("order_status", "refund_status", "confirm_status"))
    items = [i for i in data.get("item_list") or [] if isinstance(i, Mapping)]
    raw = {key: data[key] for key in RAW_ORDER_FIELDS if key in data}
    raw["item_list"] = [{key: item[key] for key in RAW_LINE_FIELDS if key in item} for item in items]
    city = str(data.get("city") or "")
    raw["city"] = city
    updated = _time(data["updated_at"])
    cancelled = confirm == CANCELLED_CONFIRM_STATUS or refund == REFUNDED_STATUS
    return ChannelOrder(external_id=str(data["order_sn"]), status=f"{order_status}/{refund}/{confirm}",
                        paid=confirm == PAID_CONFIRM_STATUS, cancelled=cancelled,
                        created_at=_time(data["created_time"]) if data.get("created_time") else updated,
                        updated_at=updated, total=yuan(data.get("pay_amount") or 0),
                        lines=tuple(_line(i) for i in items), city=city, raw=raw)
