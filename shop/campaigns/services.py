"""Writes of campaign sales: what an order sold in a campaign, and giving it back.

``campaign_order_record`` runs inside ``shop.checkout.placement.order_create``'s
transaction, after Oscar's ``OrderCreator``, while the basket's stock records and
campaign products are still locked by the check in ``limits`` (so the counts it
increments are the ones that check just read).  ``campaign_order_release`` runs
when an order is cancelled or returned (``receivers``)."""
from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from oscar.core.loading import get_model

from .limits import basket_campaign_items
from .models import CampaignOrderLine, CampaignProduct, CustomerPurchase

StockRecord = get_model("partner", "StockRecord")


def _purchase_add(*, item_id, user_id, quantity):
    """Add ``quantity`` to the customer's count. ``INSERT … ON CONFLICT DO NOTHING``
    then an ``F()`` update: two transactions creating the same row cannot both
    insert (the second waits for the first and inserts nothing) and neither loses
    the other's units, with no IntegrityError to recover from."""
    CustomerPurchase.objects.bulk_create(
        [CustomerPurchase(item_id=item_id, user_id=user_id, quantity=0)], ignore_conflicts=True
    )
    CustomerPurchase.objects.filter(item_id=item_id, user_id=user_id).update(quantity=F("quantity") + quantity)


def campaign_order_record(*, order, basket, now=None) -> list[CampaignOrderLine]:
    """Record the order's lines sold in a campaign (the basket lines the strategy
    priced there): a ``CampaignOrderLine`` each (units, unit price paid, when),
    ``sold`` of each campaign product and, for a signed-in customer, their
    ``CustomerPurchase`` raised by the units. The CHECK ``sold <= quota`` refuses
    an increment past the quota (``shop.checkout.stock.stock_placement_atomic``
    turns that into the sold-out message)."""
    items = basket_campaign_items(basket=basket)
    if not items:
        return []
    now = now or timezone.now()
    rows = [
        CampaignOrderLine(item_id=items[line.product_id], line=line, quantity=line.quantity,
                          unit_price=line.unit_price_incl_tax, sold_at=now)
        for line in order.lines.order_by("pk")
        if line.product_id in items
    ]
    CampaignOrderLine.objects.bulk_create(rows)
    units = defaultdict(int)
    for row in rows:
        units[row.item_id] += row.quantity
    for item_id in sorted(units):
        CampaignProduct.objects.filter(pk=item_id).update(sold=F("sold") + units[item_id])
        if order.user_id is not None:
            _purchase_add(item_id=item_id, user_id=order.user_id, quantity=units[item_id])
    return rows


@transaction.atomic
def campaign_order_release(*, order, now=None) -> int:
    """A cancelled (or returned) order gives its campaign units back: to each
    campaign product's quota (``sold``) and to the customer's count, once
    (``released_at``). Returns the units given back (0 when there is nothing left
    to give, e.g. the second time)."""
    if not CampaignOrderLine.objects.filter(line__order=order, released_at__isnull=True).exists():
        return 0
    # Lock in placement's order (stock records, then campaign products) so a
    # release never deadlocks with a checkout of the same products.
    stockrecord_ids = order.lines.exclude(stockrecord_id=None).values_list("stockrecord_id", flat=True)
    list(StockRecord.objects.select_for_update().filter(pk__in=list(stockrecord_ids)).order_by("pk"))
    rows = list(
        CampaignOrderLine.objects.select_for_update()
        .filter(line__order=order, released_at__isnull=True)
        .order_by("pk")
    )
    if not rows:
        return 0
    units = defaultdict(int)
    for row in rows:
        units[row.item_id] += row.quantity
    list(CampaignProduct.objects.select_for_update().filter(pk__in=list(units)).order_by("pk"))
    for item_id in sorted(units):
        CampaignProduct.objects.filter(pk=item_id).update(sold=F("sold") - units[item_id])
        if order.user_id is not None:
            CustomerPurchase.objects.filter(item_id=item_id, user_id=order.user_id).update(
                quantity=F("quantity") - units[item_id]
            )
    CampaignOrderLine.objects.filter(pk__in=[row.pk for row in rows]).update(released_at=now or timezone.now())
    return sum(units.values())
