"""JD JOS on the wire: the signed request, the ``…_responce`` envelope and the
error codes.  Every choice that platforms.md marks ⚠️ or ❓ is a named constant
here so it is one edit to correct (see /work/shared/reference/platforms.md, "JD JOS")."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .base import ChannelError, ConnectorError, ErrorKind

GATEWAY_PATH = "/routerjson"                  # https://api.jd.com/routerjson ✅[J1]
API_VERSION = "2.0"                           # v=2.0 ✅[J1]
FORMAT = "json"
# Signed (and sent) system parameters, besides the business JSON ✅[J1,J2].
SIGNED_PARAMS = ("app_key", "access_token", "method", "timestamp", "v", "format", "360buy_param_json")
PARAM_JSON_KEY = "360buy_param_json"
# The business JSON is signed byte for byte as it is sent, so its rendering is fixed
# here: compact separators, Chinese kept as UTF-8 (not \\uXXXX), keys sorted.  JD's
# Java SDK also emits compact, unescaped JSON; the key order is our choice (the sign
# covers whatever string is sent, so any fixed order verifies).
PARAM_JSON_OPTIONS: dict[str, Any] = {"separators": (",", ":"), "ensure_ascii": False, "sort_keys": True}
CHINA = timezone(timedelta(hours=8))
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"        # GMT+8 ✅; ±6 min allowed ⚠️[J4]
TIMESTAMP_SKEW = timedelta(minutes=6)         # ⚠️[J4] (the simulator enforces it)

# Error codes (platforms.md error table).
CODE_THROTTLED = "2"           # "App Call Limited" ⚠️[J4]
CODE_TIMESTAMP = "8"           # invalid timestamp ⚠️[J4]
CODE_SIGNATURE = "12"          # invalid signature ⚠️[J4]
# AUTH_EXPIRED is ❓ for JD in platforms.md: "19" (invalid access_token) is our
# unverified guess; the simulator answers an expired token with it.
AUTH_CODES = frozenset({"19"})
# NOT_FOUND is ❓: the simulator's answer for an unknown wareId / skuId.  Unverified.
NOT_FOUND_CODES = frozenset({"10100015"})
# QUOTA_EXHAUSTED is ❓ for JD.  "App Call Limited" is TOP's wording too, where a
# long ban means the quota is gone; we treat a ban of at least this long the same
# way (⚠️ an assumption, not seen in JD docs).
QUOTA_BAN_SECONDS = 3600.0

_BAN = re.compile(r"ban will last for (\d+(?:\.\d+)?) more seconds", re.IGNORECASE)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def param_json(business: Mapping[str, Any]) -> str:
    """The exact ``360buy_param_json`` string that is sent and signed."""
    return json.dumps(business, default=_json_default, **PARAM_JSON_OPTIONS)


def sign_string(params: Mapping[str, Any], secret: str) -> str:
    """``secret + k1v1k2v2… + secret`` over the params sorted by key, empty values skipped."""
    body = "".join(f"{key}{params[key]}" for key in sorted(params)
                   if key != "sign" and params[key] not in (None, ""))
    return f"{secret}{body}{secret}"


def sign(params: Mapping[str, Any], secret: str) -> str:
    return hashlib.md5(sign_string(params, secret).encode("utf-8")).hexdigest().upper()


def china(moment: datetime) -> datetime:
    """``moment`` in GMT+8 (a naive datetime is taken as GMT+8 already)."""
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)


def timestamp(moment: datetime) -> str:
    return china(moment).strftime(TIMESTAMP_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=CHINA)


def response_key(method: str) -> str:
    """JD's success envelope: ``jingdong.ware.write.add`` → ``jingdong_ware_write_add_responce`` ✅[J1]."""
    return method.replace(".", "_") + "_responce"


def loads(text: str | bytes) -> Any:
    """JSON with every integer kept as a string (ids beyond 2**53 never become
    floats) and every decimal as ``Decimal`` (money stays exact)."""
    return json.loads(text, parse_int=str, parse_float=Decimal)


def ban_seconds(*texts: Any) -> float | None:
    for text in texts:
        match = _BAN.search(str(text or ""))
        if match:
            return float(match.group(1))
    return None


def classify(http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
    """platforms.md: 2 → THROTTLED (a long ban → QUOTA_EXHAUSTED ⚠️), 8 → CLOCK_SKEW,
    12 → CONFIG, 5xx → TRANSIENT, AUTH_CODES → AUTH_EXPIRED ❓, other codes are
    business refusals → INVALID."""
    if isinstance(exc, ConnectorError):
        return exc.error
    if exc is not None:
        return ChannelError(ErrorKind.TRANSIENT, type(exc).__name__, str(exc))
    if http_status is not None and http_status >= 500:
        return ChannelError(ErrorKind.TRANSIENT, str(http_status), _error_text(body) or "服务暂不可用")
    error = body.get("error_response") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        if http_status not in (None, 200):
            return ChannelError(ErrorKind.CONFIG, str(http_status), _error_text(body) or "HTTP 错误")
        return ChannelError(ErrorKind.TRANSIENT, "bad_body", "京东返回了无法识别的应答")
    code = str(error.get("code", ""))
    message = str(error.get("zh_desc") or error.get("en_desc") or "")
    if code == CODE_THROTTLED:
        wait = ban_seconds(error.get("en_desc"), error.get("zh_desc"))
        kind = ErrorKind.QUOTA_EXHAUSTED if wait is not None and wait >= QUOTA_BAN_SECONDS else ErrorKind.THROTTLED
        return ChannelError(kind, code, message, retry_after=wait)
    if code == CODE_TIMESTAMP:
        return ChannelError(ErrorKind.CLOCK_SKEW, code, message)
    if code == CODE_SIGNATURE:
        return ChannelError(ErrorKind.CONFIG, code, message)
    if code in AUTH_CODES:
        return ChannelError(ErrorKind.AUTH_EXPIRED, code, message)
    if code in NOT_FOUND_CODES:
        return ChannelError(ErrorKind.NOT_FOUND, code, message)
    return ChannelError(ErrorKind.INVALID, code or "biz", message)


def _error_text(body: Any) -> str:
    if isinstance(body, Mapping) and isinstance(body.get("error_response"), Mapping):
        error = body["error_response"]
        return str(error.get("zh_desc") or error.get("en_desc") or "")
    return ""
