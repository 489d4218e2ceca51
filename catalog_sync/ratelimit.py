"""Per-(channel, method) call budget, shared by every worker through the Django
cache (Redis in production, local memory on the embedded default).

A bucket of ``rate`` tokens, refilled whole every ``per`` seconds: each call
takes a token with one atomic ``incr`` on the window's key, so concurrent
workers cannot overspend it.  ``take`` answers 0 (go) or the seconds until the
bucket refills."""
from __future__ import annotations

import time

from django.core.cache import cache

# platform → method → (calls, per seconds); "*" for the methods not listed.
# Conservative defaults from the platforms' published figures (see
# /work/shared/reference/platforms.md); WeChat's add+update quota is 200 an hour.
RATE_LIMITS: dict[str, dict[str, tuple[int, float]]] = {
    "taobao": {"*": (20, 1.0)},
    "jd": {"*": (20, 1.0)},
    "pinduoduo": {"push_listings": (20, 1.0), "update_inventory": (100, 1.0), "*": (50, 1.0)},
    "wechat_shop": {"push_listings": (200, 3600.0), "*": (20, 1.0)},
    "merchant_feed": {"*": (5, 1.0)},
    "platform_832": {"*": (5, 1.0)},
}
DEFAULT_LIMIT = (10, 1.0)


def limit_for(platform: str, method: str) -> tuple[int, float]:
    limits = RATE_LIMITS.get(platform, {})
    return limits.get(method) or limits.get("*") or DEFAULT_LIMIT


def take(channel, method: str, *, clock=time.time) -> float:
    """Take one token for ``method`` on ``channel``; 0.0 if granted, else the
    seconds to wait before asking again."""
    rate, per = limit_for(channel.platform, method)
    now = clock()
    window = int(now // per)
    key = f"catalog_sync:rate:{channel.code}:{method}:{window}"
    cache.add(key, 0, timeout=int(per) + 2)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=int(per) + 2)
        used = 1
    if used <= rate:
        return 0.0
    return max((window + 1) * per - now, 0.001)
