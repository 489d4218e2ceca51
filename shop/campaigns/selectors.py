"""Reads of campaigns: which campaign products are live now (one query, kept on
the strategy for the rest of the request), a campaign's products for its pages."""
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from .models import Campaign, CampaignProduct


@dataclass(frozen=True)
class LiveItem:
    """A product's place in the live campaign that sells it."""

    item_id: int
    campaign_id: int
    campaign_name: str
    campaign_slug: str
    ends_at: object
    price: Decimal
    quota: int | None
    sold: int
    per_customer_limit: int | None

    @property
    def quota_left(self):
        return None if self.quota is None else max(self.quota - self.sold, 0)

    @property
    def is_sold_out(self):
        return self.quota is not None and self.sold >= self.quota


def live_campaigns(*, now=None):
    now = now or timezone.now()
    return Campaign.objects.filter(is_published=True, starts_at__lte=now, ends_at__gt=now)


def live_items_by_product(*, product_ids=None, now=None) -> dict[int, LiveItem]:
    """{product_id: LiveItem} for products in a live campaign (if a product sits in
    two overlapping live campaigns, which scheduling refuses, the one ending first)."""
    now = now or timezone.now()
    rows = CampaignProduct.objects.filter(
        campaign__is_published=True, campaign__starts_at__lte=now, campaign__ends_at__gt=now
    )
    if product_ids is not None:
        rows = rows.filter(product_id__in=list(product_ids))
    rows = rows.order_by("-campaign__ends_at", "-pk").values_list(
        "pk", "product_id", "campaign_id", "campaign__name", "campaign__slug", "campaign__ends_at", "price", "quota",
        "sold", "per_customer_limit",
    )
    items = {}
    for pk, product_id, campaign_id, name, slug, ends_at, price, quota, sold, limit in rows:
        items[product_id] = LiveItem(pk, campaign_id, name, slug, ends_at, price, quota, sold, limit)
    return items


def overlapping_items(*, product_ids, starts_at, ends_at, exclude_campaign_id=None):
    """Campaign products of published campaigns whose window overlaps
    [starts_at, ends_at) for any of ``product_ids``."""
    rows = CampaignProduct.objects.filter(
        Q(campaign__starts_at__lt=ends_at) & Q(campaign__ends_at__gt=starts_at),
        campaign__is_published=True, product_id__in=list(product_ids),
    ).select_related("campaign", "product")
    if exclude_campaign_id is not None:
        rows = rows.exclude(campaign_id=exclude_campaign_id)
    return list(rows)
