"""Pinduoduo open platform on the wire: the signed request, the response envelope
and the error codes (platforms.md, "Pinduoduo").  Choices platforms.md leaves open
(⚠️/❓) are named constants here."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .base import ChannelError, ConnectorError, ErrorKind

GATEWAY_PATH = "/api/router"          # https://gw-api.pinduoduo.com/api/router ✅[P1]
DATA_TYPE = "JSON"
# Objects and lists are sent (and signed) as JSON text ✅[P1]; the rendering is ours:
# compact, Chinese kept as UTF-8.  The sign covers the exact text sent.
JSON_OPTIONS: dict[str, Any] = {"separators": (",", ":"), "ensure_ascii": False}
# Empty values: platforms.md is silent (❓).  The connector never sends a None or
# empty parameter, so "skip empties" and "sign empties" give the same sign.
SEND_EMPTY_VALUES = False

THROTTLED_CODES = frozenset({52101, 70031})     # throttled / calls too frequent ✅[P1]
TRANSIENT_CODES = frozenset({52102, 52103})     # retryable ✅[P1]
AUTH_EXPIRED_CODE = 10019                       # access_token expired ✅[P1]
CONFIG_RANGE = range(10000, 40000)              # 10000–39999 non-retryable: our setup ✅[P1]
INVALID_RANGE = range(50000, 52004)             # 50000–52003 non-retryable: the request ✅[P1]
# PDD does not tell a short ban from an exhausted quota (❓): both are THROTTLED.

_BAN = re.compile(r"ban will last for (\d+(?:\.\d+)?) more seconds", re.IGNORECASE)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def param_value(value: Any) -> str:
    """A parameter as sent: objects and lists JSON-stringified, booleans as JSON."""
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, default=_default, **JSON_OPTIONS)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def wire_params(params: Mapping[str, Any]) -> dict[str, str]:
    return {key: param_value(value) for key, value in params.items()
            if SEND_EMPTY_VALUES or value not in (None, "")}


def sign_string(params: Mapping[str, str], secret: str) -> str:
    """``client_secret + k1v1k2v2… + client_secret``, keys sorted by code point (ASCII)."""
    return secret + "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign") + secret


def sign(params: Mapping[str, str], secret: str) -> str:
    return hashlib.md5(sign_string(params, secret).encode("utf-8")).hexdigest().upper()


def loads(text: str | bytes) -> Any:
    """Integers as strings (goods ids and message ids pass 2**53), decimals as ``Decimal``."""
    return json.loads(text, parse_int=str, parse_float=Decimal)


def ban_seconds(*texts: Any) -> float | None:
    for text in texts:
        match = _BAN.search(str(text or ""))
        if match:
            return float(match.group(1))
    return None


def response_body(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The one ``…_response`` object of a successful answer (its name varies per method)."""
    for key, value in body.items():
        if key.endswith("_response") and key != "error_response" and isinstance(value, Mapping):
            return value
    return None


def classify(http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
    if isinstance(exc, ConnectorError):
        return exc.error
    if exc is not None:
        return ChannelError(ErrorKind.TRANSIENT, type(exc).__name__, str(exc))
    if http_status is not None and http_status >= 500:
        return ChannelError(ErrorKind.TRANSIENT, str(http_status), "拼多多服务暂不可用")
    error = body.get("error_response") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        if http_status not in (None, 200):
            return ChannelError(ErrorKind.CONFIG, str(http_status), "HTTP 错误")
        return ChannelError(ErrorKind.TRANSIENT, "bad_body", "拼多多返回了无法识别的应答")
    try:
        code = int(str(error.get("error_code")))
    except ValueError:
        code = -1
    message = str(error.get("sub_msg") or error.get("error_msg") or "")
    sub_code = str(error["sub_code"]) if error.get("sub_code") not in (None, "") else None
    if code in THROTTLED_CODES:
        wait = ban_seconds(error.get("sub_msg"), error.get("error_msg"))
        return ChannelError(ErrorKind.THROTTLED, str(code), message, sub_code=sub_code, retry_after=wait)
    if code in TRANSIENT_CODES:
        kind = ErrorKind.TRANSIENT
    elif code == AUTH_EXPIRED_CODE:
        kind = ErrorKind.AUTH_EXPIRED
    elif code in CONFIG_RANGE:
        kind = ErrorKind.CONFIG
    elif code in INVALID_RANGE:
        kind = ErrorKind.INVALID
    else:
        kind = ErrorKind.TRANSIENT        # an unknown code: retried a bounded number of times
    return ChannelError(kind, str(code), message, sub_code=sub_code)
