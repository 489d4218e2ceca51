"""WeChat Shop error codes → ``ErrorKind`` and retry hints (platforms.md, Error mapping).

Errors come back inside HTTP 200 as ``{"errcode", "errmsg"}``.  Each uncertain
code is a named constant here, so it is one edit to correct."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .base import ErrorKind

CHINA = timezone(timedelta(hours=8))

# Error codes (platforms.md, Error mapping).
MINUTE_QUOTA = "45011"        # retry next minute
DAILY_QUOTA = "45009"
AUDIT_QUOTA = "1002001"       # 提审次数超过限制 ⚠️, retry in 1 h
LISTING_IN_REVIEW = "10020067"   # listing while the draft is in review (platforms.md: edit_status=7)
MINUTE_RETRY_SECONDS = 60.0
AUDIT_QUOTA_RETRY_SECONDS = 3600.0
# Not the item's fault: the earlier submission is still being audited.  Retried after
# this long instead of being dead-lettered as INVALID like the other 1002xxxx codes.
IN_REVIEW_RETRY_SECONDS = 600.0
TRANSIENT_CODES = frozenset({"-1"})
AUTH_CODES = frozenset({"40001", "42001", "40014"})
CONFIG_CODES = frozenset({"48001", "40013", "40125", "40164", "61007"})
NOT_FOUND_CODES = frozenset({"10020052", "10020056", "10021001"})   # product / SKU / order ❓
INVALID_CODES = frozenset({"40097", "47001", "44002"})
ITEM_ERRORS = range(10020000, 10030000)   # 1002xxxx: the item itself is refused



def seconds_to_midnight(now: datetime) -> float:
    local = now.astimezone(CHINA)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()


def code_kind(code: str, now: datetime) -> tuple[ErrorKind, float | None]:
    if code == MINUTE_QUOTA:
        return ErrorKind.THROTTLED, MINUTE_RETRY_SECONDS
    if code == DAILY_QUOTA:
        return ErrorKind.QUOTA_EXHAUSTED, seconds_to_midnight(now)
    if code == AUDIT_QUOTA:
        return ErrorKind.QUOTA_EXHAUSTED, AUDIT_QUOTA_RETRY_SECONDS
    if code == LISTING_IN_REVIEW:
        return ErrorKind.THROTTLED, IN_REVIEW_RETRY_SECONDS
    if code in TRANSIENT_CODES:
        return ErrorKind.TRANSIENT, None
    if code in AUTH_CODES:
        return ErrorKind.AUTH_EXPIRED, None
    if code in CONFIG_CODES:
        return ErrorKind.CONFIG, None
    if code in NOT_FOUND_CODES:
        return ErrorKind.NOT_FOUND, None
    if code in INVALID_CODES or (code.isdigit() and int(code) in ITEM_ERRORS):
        return ErrorKind.INVALID, None
    return ErrorKind.TRANSIENT, None
