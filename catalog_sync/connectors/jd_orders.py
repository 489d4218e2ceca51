"""JD orders: ``jingdong.pop.order.enSearch`` paging and the order mapping.

Paging reads the **last page first, then backwards** (as TOP and Pinduoduo ask):
pages are sorted by modified time ascending, so an order modified mid-scan leaves
the window and only shifts orders we have not read yet *down* onto pages still
to come (a repeat the engine de-duplicates, never a loss).  The first call reads
page 1 to learn ``orderTotal``; when everything fits on one page that is the
whole window, otherwise it reads the last page.  When page 1 is read again at the
end and ``orderTotal`` grew meanwhile (orders JD indexed late), the scan restarts
from the new last page.  The cursor is a JSON string: window bounds, the next
page to read, the total seen.

JD dates are ``yyyy-MM-dd HH:mm:ss`` GMT+8; both bounds are cut to the second, so
adjacent windows [a, b) [b, c) meet exactly."""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from . import jd_wire
from .base import ChannelError, ChannelOrder, ChannelOrderLine, ConnectorError, ErrorKind, OrderPage, yuan

if TYPE_CHECKING:
    from .jd import JdConnector

ORDER_METHOD = "jingdong.pop.order.enSearch"     # ✅[J1]
ORDER_GET_METHOD = "jingdong.pop.order.get"      # ❓ not in platforms.md
# "Range ≤1 month" ⚠️[J5]: 28 days fits inside any calendar month.
ORDER_RANGE_CAP = timedelta(days=28)
ORDER_PAGE_SIZE = 100                            # page_size maximum ❓ (100, as the other platforms)
DATE_TYPE_MODIFIED = "0"                         # dateType: 0 = by modified time ❓
SORT_ASCENDING = "0"                             # sortType: 0 = oldest first ❓
ORDER_STATES = ("WAIT_SELLER_STOCK_OUT", "WAIT_GOODS_RECEIVE_CONFIRM", "FINISHED_L", "TRADE_CANCELED", "LOCKED")
PAID_STATES = frozenset({"WAIT_SELLER_STOCK_OUT", "WAIT_GOODS_RECEIVE_CONFIRM", "FINISHED_L", "LOCKED"})
CANCELLED_STATES = frozenset({"TRADE_CANCELED"})
OPTIONAL_FIELDS = ("orderId", "orderState", "orderTotalPrice", "orderPayment", "freightPrice", "orderStartTime",
                   "modified", "itemInfoList", "consigneeInfo")
# What is kept of an order as ``raw``: no buyer name, phone or address (only the city).
RAW_ORDER_FIELDS = ("orderId", "orderState", "orderTotalPrice", "orderPayment", "freightPrice", "orderStartTime",
                    "modified", "venderId", "payType")
RAW_LINE_FIELDS = ("skuId", "outerSkuId", "wareId", "skuName", "itemTotal", "jdPrice")


def _search(connector: "JdConnector", start: str, end: str, page: int) -> tuple[list[Mapping], int]:
    result = connector.call(ORDER_METHOD, {
        "start_date": start, "end_date": end, "order_state": ",".join(ORDER_STATES),
        "optional_fields": ",".join(OPTIONAL_FIELDS), "page": str(page), "page_size": str(ORDER_PAGE_SIZE),
        "sortType": SORT_ASCENDING, "dateType": DATE_TYPE_MODIFIED})
    info = result.get("searchorderinfo_result") or {}
    api = info.get("apiResult") or {}
    if api and str(api.get("success")).lower() not in ("true", "1"):
        raise ConnectorError(ChannelError(ErrorKind.INVALID, str(api.get("code") or "biz"),
                                          str(api.get("chineseErrCode") or api.get("englishErrCode") or "")))
    orders = [o for o in info.get("orderInfoList") or [] if isinstance(o, Mapping)]
    return orders, int(info.get("orderTotal") or 0)


def _pages(total: int) -> int:
    return max(1, math.ceil(total / ORDER_PAGE_SIZE))


def fetch_page(connector: "JdConnector", start: datetime, end: datetime, cursor: str | None) -> OrderPage:
    start_text, end_text = jd_wire.timestamp(start), jd_wire.timestamp(end)
    window = (start, end)
    if cursor is None:
        orders, total = _search(connector, start_text, end_text, 1)
        if _pages(total) == 1:
            return OrderPage(tuple(map(to_order, orders)), None, window)
        page, next_page = _pages(total), _pages(total) - 1
        orders, _total = _search(connector, start_text, end_text, page)
        return OrderPage(tuple(map(to_order, orders)), _cursor(start_text, end_text, next_page, total), window)
    state = json.loads(cursor)
    if (state.get("start"), state.get("end")) != (start_text, end_text):
        raise ValueError(_("订单游标不属于这个时间窗口"))
    page = int(state["page"])
    orders, total = _search(connector, start_text, end_text, page)
    if page > 1:
        next_cursor = _cursor(start_text, end_text, page - 1, int(state["total"]))
    elif total > int(state["total"]):      # grew during the scan: read it all again, from the new end
        next_cursor = _cursor(start_text, end_text, _pages(total), total)
    else:
        next_cursor = None
    return OrderPage(tuple(map(to_order, orders)), next_cursor, window)


def _cursor(start: str, end: str, page: int, total: int) -> str:
    return json.dumps({"start": start, "end": end, "page": page, "total": total}, separators=(",", ":"))


def get_order(connector: "JdConnector", order_id: str) -> ChannelOrder:
    result = connector.call(ORDER_GET_METHOD, {"order_id": str(order_id), "optional_fields": ",".join(OPTIONAL_FIELDS),
                                               "order_state": ",".join(ORDER_STATES)})
    info = ((result.get("orderDetailInfo") or {}).get("orderInfo"))
    if not isinstance(info, Mapping):
        raise ConnectorError(ChannelError(ErrorKind.NOT_FOUND, "no_order", _("京东上没有订单 %(id)s") % {"id": order_id}))
    return to_order(info)


def _line(item: Mapping[str, Any]) -> ChannelOrderLine:
    return ChannelOrderLine(sku_key=str(item.get("outerSkuId") or ""), title=str(item.get("skuName") or ""),
                            quantity=int(item.get("itemTotal") or 0), unit_price=yuan(item.get("jdPrice") or 0),
                            remote_sku_id=str(item.get("skuId") or ""))


def to_order(data: Mapping[str, Any]) -> ChannelOrder:
    state = str(data.get("orderState") or "")
    consignee = data.get("consigneeInfo") or {}
    city = str(consignee.get("city") or "") if isinstance(consignee, Mapping) else ""
    items = [i for i in data.get("itemInfoList") or [] if isinstance(i, Mapping)]
    raw = {key: data[key] for key in RAW_ORDER_FIELDS if key in data}
    raw["itemInfoList"] = [{key: item[key] for key in RAW_LINE_FIELDS if key in item} for item in items]
    raw["city"] = city
    modified = jd_wire.parse_time(str(data["modified"]))
    created = jd_wire.parse_time(str(data["orderStartTime"])) if data.get("orderStartTime") else modified
    return ChannelOrder(external_id=str(data["orderId"]), status=state, paid=state in PAID_STATES,
                        cancelled=state in CANCELLED_STATES, created_at=created, updated_at=modified,
                        total=yuan(data.get("orderPayment") or 0), lines=tuple(_line(i) for i in items),
                        city=city, raw=raw)
