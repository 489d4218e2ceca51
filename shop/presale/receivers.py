"""Thin receivers: a pre-sale's change makes cached pages stale (its box on the
product page) and refreshes the window calendar."""
from django.db.models.signals import post_delete, post_save

from shop.core.cache import page_cache_invalidate

from .calendar import presale_version_bump

DISPATCH_PREFIX = "presale"


def presale_changed(sender, **kwargs):
    presale_version_bump()
    page_cache_invalidate()


def connect():
    from .models import PreSale

    post_save.connect(presale_changed, sender=PreSale, dispatch_uid=f"{DISPATCH_PREFIX}:save")
    post_delete.connect(presale_changed, sender=PreSale, dispatch_uid=f"{DISPATCH_PREFIX}:delete")
