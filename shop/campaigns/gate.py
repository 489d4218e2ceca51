"""A gate in front of the database for flash quotas (抢购闸门).

Hundreds of buyers hit a flash product in the same second; most of them will be
told 已抢光. The gate keeps, per campaign product, a counter of units it may
still let through, in the cache (Redis in production: ``INCRBY`` / ``DECRBY``
are atomic across every web worker; the local-memory cache on the embedded
default, which serves one process). A buyer takes their units from the counter
first; when it would go below zero they are answered at once, without a
database transaction. Everyone the gate lets through still goes through the
locked check and the CHECK constraint in the database, which alone decide.

The counter is only ever a hint, so it is reconciled with the database:
- when it is missing it is set from the database (``quota − sold − units held in
  other baskets' reservations``);
- units taken by a purchase that then failed are given back;
- when the database refuses a purchase the gate let through (the counter was too
  high), or when the gate refuses and its last look at the database is more than
  ``RECHECK_SECONDS`` old (the counter may be too low, e.g. a worker died
  between taking and giving back), it is set from the database again.
"""
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from shop.inventory.models import StockReservation

from .models import CampaignProduct

RECHECK_SECONDS = 2
TTL_SECONDS = 24 * 3600


def _key(item_id):
    return f"campaigns:gate:{item_id}:left"


def _recheck_key(item_id):
    return f"campaigns:gate:{item_id}:checked"


def units_open_in_database(item_id):
    """What the database would still let through: quota − sold − units other
    baskets hold in unexpired reservations of the product (None: no quota)."""
    item = CampaignProduct.objects.filter(pk=item_id).values("quota", "sold", "product_id").first()
    if item is None:
        return 0
    if item["quota"] is None:
        return None
    held = StockReservation.objects.filter(
        stockrecord__product_id=item["product_id"], expires_at__gt=timezone.now()
    ).aggregate(units=Sum("quantity"))["units"] or 0
    return max(item["quota"] - item["sold"] - held, 0)


def reconcile(item_id):
    """Set the counter from the database; returns the value set (None: no quota)."""
    units = units_open_in_database(item_id)
    if units is None:
        cache.delete(_key(item_id))
    else:
        cache.set(_key(item_id), units, TTL_SECONDS)
    cache.set(_recheck_key(item_id), 1, RECHECK_SECONDS)
    return units


def take(item_id, quantity):
    """Take ``quantity`` units; False when the gate is closed for them."""
    key = _key(item_id)
    if cache.get(key) is None and reconcile(item_id) is None:
        return True  # no quota: only the stock check applies
    try:
        left = cache.decr(key, quantity)
    except ValueError:  # expired between the two calls
        reconcile(item_id)
        left = cache.decr(key, quantity)
    if left >= 0:
        return True
    cache.incr(key, quantity)
    if cache.add(_recheck_key(item_id), 1, RECHECK_SECONDS):
        # Not looked at the database for a while: maybe the counter is low.
        if (reconcile(item_id) or 0) >= quantity:
            return take(item_id, quantity)
    return False


def give_back(item_id, quantity):
    try:
        cache.incr(_key(item_id), quantity)
    except ValueError:
        pass  # gone: the next take sets it from the database
