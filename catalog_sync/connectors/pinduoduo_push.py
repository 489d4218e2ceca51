"""Pinduoduo push over WebSocket (platforms.md ✅[P3]).

The engine keeps the socket; this module only reads its frames.  A ``Common``
frame is JSON text ``{"id", "commandType": "Common", "time", "sendTime",
"message": {"type", "mallID", "content": "<JSON text>"}}``.

**Nothing is verified per frame, by design**: PDD authenticates the connection
itself (the path carries ``base64(md5hex(client_id + ms + secret))``, see
``ws_path``), not each message.  ``parse_frame`` therefore only parses: ids (past
2**53) stay strings, ``HeartBeat``/``Ack`` frames give no event, and text that is
not a frame at all raises ``InvalidSignature`` so nothing is processed.

The ack (``ack_frame``) must be sent by the engine **after** the event is
durably committed; PDD redelivers an unacked message, and the engine's event-id
de-duplication absorbs the repeat."""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from .base import ChannelEvent, InvalidSignature
from .pinduoduo_wire import loads

CHINA = timezone(timedelta(hours=8))
# Message types → our topics (types seen in SDK copies ⚠️); others pass as "pdd:<type>".
TOPICS = {
    "pdd_trade_TradeConfirmed": "order.paid",
    "pdd_trade_TradeSellerShip": "order.shipped",
    "pdd_trade_TradeSuccess": "order.completed",
    "pdd_trade_TradeLogisticsAddressChanged": "order.updated",
    "pdd_trade_TradeMemoModified": "order.updated",
    "pdd_refund_RefundCreated": "order.refund",
    "pdd_refund_RefundAgreeAgreement": "order.refund",
    "pdd_refund_RefundClosed": "order.refund",
}
ORDER_ID_FIELDS = ("tid", "order_sn")


def ws_path(client_id: str, millis: int, secret: str) -> str:
    """``/message/{client_id}/{ms}/{base64(md5hex(client_id + ms + secret))}`` ✅[P3]."""
    digest = hashlib.md5(f"{client_id}{millis}{secret}".encode("utf-8")).hexdigest()
    return f"/message/{client_id}/{millis}/{base64.b64encode(digest.encode('ascii')).decode('ascii')}"


def _millis(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, tz=CHINA)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_frame(body: bytes | str) -> list[ChannelEvent]:
    try:
        frame = loads(body)
    except ValueError as exc:
        raise InvalidSignature(f"not a Pinduoduo frame: {exc}") from exc
    if not isinstance(frame, Mapping) or "commandType" not in frame:
        raise InvalidSignature("not a Pinduoduo frame")
    if frame.get("commandType") != "Common":
        return []
    message = frame.get("message")
    if not isinstance(message, Mapping) or frame.get("id") in (None, ""):
        raise InvalidSignature("Common frame without id or message")
    try:
        content = loads(message.get("content") or "{}")
    except ValueError:
        content = {}
    content = content if isinstance(content, Mapping) else {}
    order_id = next((str(content[k]) for k in ORDER_ID_FIELDS if content.get(k) not in (None, "")), None)
    kind = str(message.get("type") or "")
    raw = {"id": str(frame["id"]), "commandType": "Common", "sendTime": str(frame.get("sendTime") or ""),
           "type": kind, "mallID": str(message.get("mallID") or ""), "order_sn": order_id}
    return [ChannelEvent(event_id=str(frame["id"]), topic=TOPICS.get(kind, f"pdd:{kind}"), order_id=order_id,
                         status=kind, occurred_at=_millis(frame.get("sendTime") or frame.get("time")), raw=raw)]


def ack_frame(event: ChannelEvent, now_millis: int) -> str:
    """The Ack frame for an event, ids written as the JSON integers PDD sent."""
    raw = event.raw
    payload = {"commandType": "Ack", "id": int(raw["id"]), "sendTime": int(raw["sendTime"] or 0),
               "time": int(now_millis), "type": raw.get("type", ""), "mallID": int(raw["mallID"] or 0)}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
