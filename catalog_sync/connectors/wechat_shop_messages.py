"""WeChat Shop push messages (消息推送): the signature and the events.

WeChat calls our URL with ``signature``, ``timestamp`` and ``nonce`` in the query
string (the view merges the query into the headers it hands to ``parse_push``).
The signature is ``sha1`` over the sorted strings ``token, timestamp, nonce``
joined without separator; in the encrypted mode it is ``msg_signature`` over
``token, timestamp, nonce, Encrypt`` (platforms.md, WeChat/Push [W7]).

Only the plaintext JSON mode (明文模式, data format JSON) is parsed: in that mode
the signature does not cover the body — that is WeChat's design, not ours; every
order event is therefore only a hint, and the importer re-reads the order itself
(``get_order``) before it writes anything.

Event ids.  Event messages carry no ``MsgId``; the id is ``Event:object id:CreateTime``
(for a product event also its status), and ``msg:<MsgId>`` when a message does
carry one.  A redelivery of the same message has the same id; two different
events of one order (new, then pay) have different ids."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .base import ChannelError, ChannelEvent, ConnectorError, ErrorKind, InvalidSignature

CHINA = timezone(timedelta(hours=8))

# Event name → our topic.  The names are the ones platforms.md lists ✅[W1].
ORDER_TOPICS = {
    "channels_ec_order_new": "order.created",
    "channels_ec_order_pay": "order.paid",
    "channels_ec_order_cancel": "order.cancelled",
    "channels_ec_order_deliver": "order.shipped",
    "channels_ec_order_confirm": "order.confirmed",
    "channels_ec_order_settle": "order.settled",
}
PRODUCT_EVENTS = {
    # event name → (topic, the key of its payload object)
    "product_spu_audit": ("product.audit", "ProductSpuAudit"),
    "product_spu_listing": ("product.listing", "ProductSpuListing"),
    "product_spu_update": ("product.update", "ProductSpuUpdate"),
}
# ProductSpuAudit.status ⚠️ (SDK copies of the doc: 2 = 审核不通过, 3 = 审核通过).
AUDIT_STATUS = {2: "rejected", 3: "approved"}


def push_signature(token: str, timestamp: str, nonce: str, encrypt: str | None = None) -> str:
    """sha1 hex of the sorted parts joined, UTF-8 (platforms.md [W7])."""
    parts = [token, timestamp, nonce] + ([encrypt] if encrypt is not None else [])
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in headers.items()}


def _load(body: bytes) -> Any:
    try:
        # Python ints are exact: 64-bit order and product ids never become floats.
        return json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        return None


def verify(token: str, headers: Mapping[str, str], body: bytes) -> dict:
    """The verified message as a dict; raises ``InvalidSignature``, or
    ``ConnectorError(CONFIG)`` for a verified message of the encrypted mode."""
    if not token:
        raise InvalidSignature("push_token is not configured")
    given = _lower(headers)
    timestamp, nonce = given.get("timestamp", ""), given.get("nonce", "")
    message = _load(body)
    encrypted = isinstance(message, dict) and "Encrypt" in message
    if encrypted:
        expected = push_signature(token, timestamp, nonce, str(message["Encrypt"]))
        signature = given.get("msg_signature", "")
    else:
        expected = push_signature(token, timestamp, nonce)
        signature = given.get("signature", "")
    if not signature or not hmac.compare_digest(signature.lower().encode("utf-8"), expected.encode("utf-8")):
        raise InvalidSignature("bad WeChat push signature")
    if encrypted:
        raise ConnectorError(ChannelError(ErrorKind.CONFIG, "encrypted_push",
                                          "消息推送为安全模式：请在微信小店后台改为明文模式（JSON）"))
    if not isinstance(message, dict):
        raise ConnectorError(ChannelError(ErrorKind.INVALID, "bad_push", "消息推送内容不是 JSON 对象"))
    return message


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), CHINA)
    except (TypeError, ValueError):
        return None


def _ident(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def message_events(message: Mapping[str, Any]) -> list[ChannelEvent]:
    """The events of one verified plaintext message (one event a message)."""
    name = str(message.get("Event") or message.get("MsgType") or "")
    created = message.get("CreateTime")
    raw = dict(message)
    if name in ORDER_TOPICS or isinstance(message.get("order_info"), Mapping):
        info = message.get("order_info") or {}
        order_id = _ident(info.get("order_id"))
        event_id = _event_id(message, name, order_id, created)
        return [ChannelEvent(event_id=event_id, topic=ORDER_TOPICS.get(name, f"order.{name}"), order_id=order_id,
                             status=name.rsplit("_", 1)[-1], occurred_at=_when(created), raw=raw)]
    if name in PRODUCT_EVENTS:
        topic, key = PRODUCT_EVENTS[name]
        info = message.get(key) or {}
        product_id = _ident(info.get("product_id"))
        status = info.get("status")
        word = AUDIT_STATUS.get(int(status), str(status)) if name == "product_spu_audit" and status is not None \
            else _ident(status)
        event_id = _event_id(message, name, f"{product_id}:{status}", created)
        return [ChannelEvent(event_id=event_id, topic=topic, status=word, product_id=product_id,
                             reason=str(info.get("reason") or ""), occurred_at=_when(created), raw=raw)]
    return [ChannelEvent(event_id=_event_id(message, name, None, created), topic=f"wechat.{name or 'unknown'}",
                         occurred_at=_when(created), raw=raw)]


def _event_id(message: Mapping[str, Any], name: str, subject: str | None, created: Any) -> str:
    if message.get("MsgId") not in (None, ""):
        return f"msg:{message['MsgId']}"
    return f"{name}:{subject or ''}:{created}"
