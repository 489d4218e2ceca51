"""Thin receivers, connected by ``apps.CampaignsConfig.ready()`` (``connect``):

- a cancelled or returned order gives its campaign units back
  (``services.campaign_order_release``);
- a change to a campaign, a campaign product or a landing page bumps the
  campaign version (``calendar.bump_campaign_version``), so every process
  rebuilds its calendar, and makes every cached page stale (prices, quotas,
  banner, theme). A sale needs nothing here: placing the order allocates stock,
  whose StockRecord signal invalidates the page cache."""
from django.db.models.signals import post_delete, post_save
from oscar.apps.order.signals import order_status_changed

from shop.core.cache import page_cache_invalidate
from shop.fulfilment.statuses import CANCELLED, RETURNED

from .calendar import bump_campaign_version
from .services import campaign_order_release

RELEASING_STATUSES = (CANCELLED, RETURNED)


def order_released(sender, order, old_status, new_status, **kwargs):
    if new_status in RELEASING_STATUSES and old_status not in RELEASING_STATUSES:
        campaign_order_release(order=order)


def campaigns_changed(sender, **kwargs):
    bump_campaign_version()
    page_cache_invalidate()  # prices, quotas, banner and theme on cached pages


def connect():
    from cms.models import CampaignPage

    from .models import Campaign, CampaignProduct

    order_status_changed.connect(order_released, dispatch_uid="campaigns_order_released")
    for model in (Campaign, CampaignProduct, CampaignPage):
        post_save.connect(campaigns_changed, sender=model, dispatch_uid=f"campaigns_changed_save_{model.__name__}")
        post_delete.connect(campaigns_changed, sender=model, dispatch_uid=f"campaigns_changed_delete_{model.__name__}")
