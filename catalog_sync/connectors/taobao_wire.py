"""Taobao/Tmall TOP on the wire: signing, timestamps, response envelopes and the
error table.  Every choice platforms.md marks ⚠️/❓ (Taobao table,
/work/shared/reference/platforms.md) is a named constant or a small function here,
so correcting it is a one-line change."""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .base import ChannelError, ErrorKind, yuan_to_fen

CHINA = timezone(timedelta(hours=8))
GATEWAY_PATH = "/router/rest"          # https://eco.taobao.com/router/rest ✅[T2]
API_VERSION = "2.0"
SIGN_MD5 = "md5"                       # MD5(secret + k1v1k2v2… + secret), uppercase hex ✅[T1,T2]
SIGN_HMAC = "hmac"                     # HMAC-MD5 keyed by the secret, no wrapping ✅[T1,T2]
DEFAULT_SIGN_METHOD = SIGN_MD5

# Which values are left out of the request and its signature.  The Java reference skips
# empty strings too; the official Python SDK drops only None ✅[T1,T7].  We follow the
# Python SDK; switch SKIP_POLICY to SKIP_BLANK to follow the Java one.
SKIP_NONE = "none"
SKIP_BLANK = "blank"
SKIP_POLICY = SKIP_NONE

# The doc gives 'yyyy-MM-dd HH:mm:ss' in GMT+8 ⚠️[T7]; the official Python SDK sends
# epoch milliseconds ✅[T1].  We follow the doc.
TIMESTAMP_DATETIME = "datetime"
TIMESTAMP_EPOCH_MS = "epoch_ms"
TIMESTAMP_STYLE = TIMESTAMP_DATETIME
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def kept(value: Any, policy: str = SKIP_POLICY) -> bool:
    if value is None:
        return False
    return not (policy == SKIP_BLANK and value == "")


def to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def prepare(params: Mapping[str, Any], policy: str = SKIP_POLICY) -> dict[str, str]:
    """The params as sent: skipped values gone, everything else as text.  File/byte
    params never come through here (they travel as multipart parts, unsigned)."""
    for name, value in params.items():
        if isinstance(value, (bytes, bytearray)):
            raise TypeError(f"{name}: byte params go in files=, they are not signed")
    return {name: to_text(value) for name, value in params.items() if kept(value, policy)}


def sign_text(params: Mapping[str, str]) -> str:
    """k1v1k2v2… sorted by key (ASCII), ``sign`` itself left out."""
    return "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign")


def top_sign(params: Mapping[str, str], secret: str, sign_method: str = DEFAULT_SIGN_METHOD) -> str:
    text = sign_text(params).encode("utf-8")
    key = secret.encode("utf-8")
    if sign_method == SIGN_MD5:
        digest = hashlib.md5(key + text + key).hexdigest()
    elif sign_method == SIGN_HMAC:
        digest = hmac.new(key, text, hashlib.md5).hexdigest()
    else:
        raise ValueError(f"unsupported TOP sign_method {sign_method!r}")
    return digest.upper()


def in_china(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("TOP times need an aware datetime")
    return moment.astimezone(CHINA)


def format_time(moment: datetime) -> str:
    """TOP's 'yyyy-MM-dd HH:mm:ss' in GMT+8 (seconds: a fraction is dropped)."""
    return in_china(moment).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA)


def format_timestamp(moment: datetime, style: str = TIMESTAMP_STYLE) -> str:
    if style == TIMESTAMP_EPOCH_MS:
        return str(int(moment.timestamp() * 1000))
    return format_time(moment)


def yuan_text(amount: Decimal) -> str:
    """Decimal yuan as TOP's '12.30' (exact; a sub-fen amount is refused)."""
    fen = yuan_to_fen(amount)
    if fen < 0:
        raise ValueError(f"negative price {amount}")
    return f"{fen // 100}.{fen % 100:02d}"


def response_key(method: str) -> str:
    """taobao.item.add → item_add_response."""
    return method.removeprefix("taobao.").replace(".", "_") + "_response"


def listed(node: Any, name: str) -> list:
    """TOP wraps lists in JSON as {"items": {"item": [...]}}; absent when empty."""
    if not isinstance(node, Mapping):
        return []
    inner = node.get(name)
    if inner is None:
        return []
    return list(inner) if isinstance(inner, list) else [inner]


# -- errors -----------------------------------------------------------------------
THROTTLE_CODE = "7"                                              # App Call Limited ✅[T6]
API_BAN = "accesscontrol.limited-by-api-access-count"            # one API, short ban
APP_BAN = "accesscontrol.limited-by-app-access-count"            # the app's whole quota
APP_API_BAN = "accesscontrol.limited-by-app-api-access-count"    # the app on one API
QUOTA_SUB_CODES = frozenset({APP_BAN})
LONG_BAN_SECONDS = 3600      # ❓ a ban at least this long is a quota, whatever its sub code
BAN_PATTERN = re.compile(r"ban will last for (\d+) more seconds", re.IGNORECASE)

CODE_KINDS: dict[str, ErrorKind] = {
    "10": ErrorKind.TRANSIENT,        # Service Currently Unavailable
    "11": ErrorKind.CONFIG,           # Insufficient ISV Permissions
    "25": ErrorKind.CONFIG,           # Invalid Signature
    "27": ErrorKind.AUTH_EXPIRED,     # Invalid Session
    "31": ErrorKind.CLOCK_SKEW,       # Invalid Timestamp (platforms.md error-mapping table)
    "40": ErrorKind.INVALID,          # Missing Required Arguments
    "41": ErrorKind.INVALID,          # Invalid Arguments
    "43": ErrorKind.INVALID,          # Parameter Error
    "50": ErrorKind.INVALID,
}
# The rest of TOP's 2x/3x request-shape codes (missing/invalid method, format, app key,
# version, session missing …) are our configuration or our bug: no retry.
CONFIG_CODES = frozenset({"21", "22", "23", "24", "26", "28", "29", "30", "32", "33", "34"})
# ❓ the sub codes meaning "no such item/trade" are not in platforms.md; these are ours.
NOT_FOUND_SUB_CODES = ("isv.item-not-exist", "isv.sku-not-exist", "isv.trade-not-exist")


def ban_seconds(text: str | None) -> float | None:
    match = BAN_PATTERN.search(text or "")
    return float(match.group(1)) if match else None


def classify_error(error: Mapping[str, Any]) -> ChannelError:
    """One ``error_response`` body → ChannelError."""
    code = str(error.get("code", ""))
    sub_code = error.get("sub_code") or None
    message = error.get("sub_msg") or error.get("msg") or ""
    retry_after = ban_seconds(error.get("sub_msg")) or ban_seconds(error.get("msg"))
    kind = _kind(code, sub_code, retry_after)
    return ChannelError(kind=kind, code=code, message=str(message), sub_code=sub_code, retry_after=retry_after)


def _kind(code: str, sub_code: str | None, retry_after: float | None) -> ErrorKind:
    if code == THROTTLE_CODE:
        if sub_code in QUOTA_SUB_CODES or (retry_after or 0) >= LONG_BAN_SECONDS:
            return ErrorKind.QUOTA_EXHAUSTED
        return ErrorKind.THROTTLED
    sub = sub_code or ""
    if sub.startswith(NOT_FOUND_SUB_CODES):
        return ErrorKind.NOT_FOUND
    if code in CODE_KINDS:
        return CODE_KINDS[code]
    if code in CONFIG_CODES:
        return ErrorKind.CONFIG
    if sub.startswith("isv."):
        return ErrorKind.INVALID
    return ErrorKind.TRANSIENT      # 15 with isp.*, and anything unknown: retry, then DLQ
