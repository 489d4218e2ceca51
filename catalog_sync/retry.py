"""When to try a failed listing again: truncated exponential backoff with full
jitter (a random delay between 0 and ``min(cap, base * 2**attempt)``), the
platform's own ``retry_after`` when it gives one, and the next hour for an
exhausted quota.  Every backoff delay also stays below the broker's visibility
timeout, so a retry scheduled as a delayed task is never redelivered twice."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings

from .connectors.base import ChannelError, ErrorKind

BASE_SECONDS = 15.0
CAP_SECONDS = 1800.0
UNKNOWN_OUTCOME_SECONDS = 10.0     # retry soon: the retry looks the listing up first
DEFAULT_VISIBILITY_TIMEOUT = 3600.0

_random = random.SystemRandom()


def visibility_timeout() -> float:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    return float(options.get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT))


def backoff_delay(attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS,
                  visibility: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
    visibility = visibility_timeout() if visibility is None else visibility
    ceiling = min(cap, base * 2 ** min(max(attempt, 0), 32), visibility * 0.9)
    return (rng or _random).uniform(0, ceiling)


def next_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def retry_at(error: ChannelError, *, attempt: int, now: datetime, rng: random.Random | None = None) -> datetime:
    """When a listing that failed with ``error`` on its ``attempt``-th try is due again."""
    if error.kind == ErrorKind.QUOTA_EXHAUSTED:
        if error.retry_after:
            return now + timedelta(seconds=error.retry_after)
        return next_hour(now)
    if error.kind == ErrorKind.THROTTLED and error.retry_after:
        return now + timedelta(seconds=error.retry_after)
    if error.kind == ErrorKind.UNKNOWN_OUTCOME:
        return now + timedelta(seconds=UNKNOWN_OUTCOME_SECONDS)
    return now + timedelta(seconds=backoff_delay(attempt, rng=rng))
