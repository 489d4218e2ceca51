"""WeChat Shop orders → ``ChannelOrder`` (pure functions, no network).

``/channels/ec/order/get`` answers ``{"order": {...}}`` with amounts in fen
(``sale_price`` per unit, ``price_info.order_price`` for the order) and times in
epoch seconds ✅[W3].  Status words are WeChat's own numbers, kept as strings."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from .base import ChannelOrder, ChannelOrderLine, fen_to_yuan

CHINA = timezone(timedelta(hours=8))

# 10 待付款, 12 礼物待收下, 13 凑单买凑团中, 20 待发货, 21 部分发货, 30 待收货, 100 完成,
# 200 全部商品售后之后订单取消, 250 未付款用户主动取消或超时未付款订单自动取消.
PAID_STATUSES = frozenset({20, 21, 30, 100, 200})
CANCELLED_STATUSES = frozenset({200, 250})

# Keys that identify or locate the buyer: never kept in ``raw``.
PERSONAL_KEYS = frozenset({"openid", "unionid", "user_name", "tel_number", "detail_info", "postal_code",
                           "house_number", "virtual_order_tel_number", "tel_number_ext_info", "lat", "lng",
                           "present_giver_openid", "present_giver_unionid", "present_note", "customer_notes",
                           "receiver_name", "receiver_phone", "id_card_no"})


def when(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds or 0), CHINA)


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        cleaned = {}
        for key, item in value.items():
            if key in PERSONAL_KEYS or "openid" in key or "unionid" in key:
                continue
            if key == "address_info" and isinstance(item, Mapping):
                cleaned[key] = {"city_name": item.get("city_name", "")}
                continue
            cleaned[key] = _scrub(item)
        return cleaned
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def order_city(order: Mapping[str, Any]) -> str:
    detail = order.get("order_detail") or {}
    address = (detail.get("delivery_info") or {}).get("address_info") or {}
    return str(address.get("city_name") or "")


def channel_order(order: Mapping[str, Any]) -> ChannelOrder:
    status = int(order.get("status") or 0)
    detail = order.get("order_detail") or {}
    lines = tuple(
        ChannelOrderLine(sku_key=str(item.get("out_sku_id") or ""), title=str(item.get("title") or ""),
                         quantity=int(item.get("sku_cnt") or 0), unit_price=fen_to_yuan(item.get("sale_price") or 0),
                         remote_sku_id=str(item.get("sku_id") or ""))
        for item in detail.get("product_infos") or [])
    price = detail.get("price_info") or {}
    return ChannelOrder(
        external_id=str(order["order_id"]),
        status=str(status),
        paid=status in PAID_STATUSES,
        cancelled=status in CANCELLED_STATUSES,
        created_at=when(order.get("create_time")),
        updated_at=when(order.get("update_time") or order.get("create_time")),
        total=fen_to_yuan(price.get("order_price") or 0),
        lines=lines,
        city=order_city(order),
        raw=_scrub(order),
    )
