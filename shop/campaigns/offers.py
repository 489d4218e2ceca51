"""What the storefront shows of a campaign: an *offer* per product — the
campaign price against the regular price, the quota and what is left of it, the
per-customer limit, the state (进行中 / 未开始 / 已抢光 / 已结束) and the moment
its countdown runs to.

* on a product page or card, ``offer_for_product`` reads the live campaign from
  the pricing strategy's ``CampaignPrice`` (fresh quota counters) and the next
  campaign to start from the calendar (``shop.campaigns.calendar``);
* on a landing page, ``landing_offers`` lists a campaign's products."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class

from .calendar import current_calendar
from .models import Campaign, CampaignProduct
from .strategy import CampaignPrice

Selector = get_class("partner.strategy", "Selector")

LIVE = "live"
NOT_STARTED = "not_started"
SOLD_OUT = "sold_out"
ENDED = "ended"
STATE_LABELS = {LIVE: _("进行中"), NOT_STARTED: _("未开始"), SOLD_OUT: _("已抢光"), ENDED: _("已结束")}


@dataclass(frozen=True)
class Offer:
    state: str
    campaign_name: str
    campaign_slug: str
    price: Decimal
    was: Decimal | None  # the regular price
    quota: int | None
    quota_left: int | None
    per_customer_limit: int | None
    countdown_to: object | None  # the end while live, the start before it, None otherwise
    item_id: int | None = None  # the CampaignProduct, while live (立即抢购 posts it)

    @property
    def label(self):
        return STATE_LABELS[self.state]

    @property
    def is_live(self):
        return self.state == LIVE

    @property
    def is_sold_out(self):
        return self.state == SOLD_OUT

    @property
    def is_not_started(self):
        return self.state == NOT_STARTED

    @property
    def is_ended(self):
        return self.state == ENDED

    @property
    def saving(self) -> Decimal | None:
        return None if self.was is None else self.was - self.price


def offer_for_product(product, purchase_info, *, now=None) -> Offer | None:
    """The product's offer: the live campaign's (from the strategy's price), else
    the next campaign's to start, else None."""
    now = now or timezone.now()
    price = getattr(purchase_info, "price", None)
    if isinstance(price, CampaignPrice):
        item = price.live_item
        return Offer(
            state=SOLD_OUT if item.is_sold_out else LIVE, campaign_name=item.campaign_name,
            campaign_slug=item.campaign_slug, price=item.price, was=price.was, quota=item.quota,
            quota_left=item.quota_left, per_customer_limit=item.per_customer_limit, countdown_to=item.ends_at,
            item_id=item.item_id,
        )
    planned = current_calendar().upcoming_item(product.pk, now)
    if planned is None:
        return None
    was = price.excl_tax if price is not None and price.exists else None
    return Offer(
        state=NOT_STARTED, campaign_name=planned.campaign.name, campaign_slug=planned.campaign.slug,
        price=planned.price, was=was, quota=planned.quota, quota_left=planned.quota,
        per_customer_limit=planned.per_customer_limit, countdown_to=planned.campaign.starts_at,
    )


def _item_offer(campaign: Campaign, item: CampaignProduct, regular, now) -> Offer:
    state = campaign.state_at(now)
    if state == Campaign.State.LIVE:
        offer_state, countdown = (SOLD_OUT if item.is_sold_out else LIVE), campaign.ends_at
    elif state == Campaign.State.NOT_STARTED:
        offer_state, countdown = NOT_STARTED, campaign.starts_at
    else:
        offer_state, countdown = ENDED, None
    return Offer(
        state=offer_state, campaign_name=campaign.name, campaign_slug=campaign.slug, price=item.price,
        was=regular, quota=item.quota, quota_left=item.quota_left, per_customer_limit=item.per_customer_limit,
        countdown_to=countdown,
    )


@dataclass(frozen=True)
class LandingRow:
    item: CampaignProduct
    product: object
    offer: Offer
    purchase_info: object
    can_buy: bool
    max_quantity: int | None  # what one basket may take at most (quota left, limit, stock)


def landing_offers(campaign: Campaign, *, request=None, now=None) -> list[LandingRow]:
    """The campaign's products with their offers, in the campaign's order.
    Queries: items with products, stock records, images (3)."""
    now = now or timezone.now()
    strategy = getattr(request, "strategy", None) or Selector().strategy(request=request)
    items = (
        campaign.items.select_related("product", "product__product_class", "product__parent")
        .prefetch_related("product__stockrecords", "product__images")
        .order_by("position", "pk")
    )
    rows = []
    for item in items:
        product = item.product
        info = strategy.fetch_for_product(product)
        price = info.price
        regular = getattr(price, "was", None) if isinstance(price, CampaignPrice) else (
            price.excl_tax if price.exists else None)
        offer = _item_offer(campaign, item, regular, now)
        buyable = (offer.is_live and info.availability.is_available_to_buy and isinstance(price, CampaignPrice)
                   and price.live_item.campaign_id == campaign.pk)
        limits = [value for value in (offer.quota_left, offer.per_customer_limit) if value is not None]
        stock = getattr(info.availability, "num_available", None)
        if stock is not None:
            limits.append(stock)
        rows.append(LandingRow(item, product, offer, info, buyable, min(limits) if limits else None))
    return rows
