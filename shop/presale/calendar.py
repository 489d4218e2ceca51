"""Which products have a pre-sale, and the moments a pre-sale's box changes
by itself (the order window opens or closes, the balance window opens or
closes), as a time epoch of the page cache
(``shop.core.cache.register_epoch_source``): a product page rendered before
such a moment is never served after it, with no write at the moment.

The calendar of every published pre-sale is read once per change per
process: a change to a pre-sale bumps a version in the shared cache
(``presale_version_bump``, from ``receivers``)."""
import bisect
import secrets
import threading

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

VERSION_KEY = "presale:version"

_lock = threading.Lock()
_memo = (None, None)  # (version, Calendar)


class Calendar:
    """Every published pre-sale's window boundaries, and which products have
    one (so a product page without a pre-sale costs no query for its box)."""

    def __init__(self, rows):
        moments, by_product = set(), {}
        for pk, product_id, ship_until, *windows in rows:
            moments.update(moment.timestamp() for moment in windows if moment is not None)
            by_product.setdefault(product_id, []).append((pk, ship_until))
        self.boundaries = tuple(sorted(moments))
        self.by_product = by_product

    def presale_ids(self, product_id, today):
        """The product's published pre-sales whose ship window is not over."""
        return [pk for pk, ship_until in self.by_product.get(product_id, ()) if ship_until >= today]


def _read_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)


def presale_version_bump() -> None:
    _bump()
    transaction.on_commit(_bump)


def _build():
    from .models import PreSale

    return Calendar(PreSale.objects.filter(status=PreSale.Status.PUBLISHED).values_list(
        "pk", "product_id", "ship_until", "order_starts", "order_ends", "balance_starts", "balance_deadline"))


def current_calendar() -> Calendar:
    global _memo
    version = _read_version()
    if _memo[0] == version:
        return _memo[1]
    calendar = _build()
    with _lock:
        _memo = (version, calendar)
    return calendar


def presale_epoch() -> str:
    points = current_calendar().boundaries
    index = bisect.bisect_right(points, timezone.now().timestamp())
    return "p0" if index == 0 else f"p{points[index - 1]:.0f}"
