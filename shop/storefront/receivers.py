"""Invalidate the page cache when anything a storefront page shows changes.

Receivers are one line: they call ``shop.core.cache.page_cache_invalidate``.
"""
from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move

from shop.core.cache import page_cache_invalidate

# (app label, model name) of everything shown on a cached page.
WATCHED_MODELS = (
    ("catalogue", "Product"),
    ("catalogue", "ProductImage"),
    ("catalogue", "ProductCategory"),
    ("catalogue", "Category"),
    ("catalogue", "ProductClass"),
    ("catalogue", "ProductAttributeValue"),
    ("partner", "StockRecord"),
    ("partner", "Partner"),
    ("brands", "Brand"),
    ("brands", "ProductOrigin"),
    ("regions", "City"),
    ("regions", "County"),
    ("regions", "Township"),
    ("regions", "Village"),
    ("producers", "MarketSubject"),
    ("producers", "Membership"),  # the beneficiary count on product pages
    ("harvest", "HarvestBatch"),  # the batch links on product pages (trace pages are not page-cached)
    ("wagtailcore", "Page"),
    ("wagtailcore", "Site"),
    ("wagtailcore", "PageViewRestriction"),  # cached routing skips the check while there is none
    ("wagtailimages", "Image"),
)
DISPATCH_PREFIX = "storefront-page-cache"


def invalidate_page_cache(sender, **kwargs):
    page_cache_invalidate()


def invalidate_page_cache_on_m2m(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        page_cache_invalidate()


def connect():
    for app_label, model_name in WATCHED_MODELS:
        model = apps.get_model(app_label, model_name)
        uid = f"{DISPATCH_PREFIX}:{app_label}.{model_name}"
        post_save.connect(invalidate_page_cache, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(invalidate_page_cache, sender=model, dispatch_uid=uid + ":delete")
    for through in (
        apps.get_model("brands", "Brand").counties.through,
        apps.get_model("catalogue", "Product").categories.through,
    ):
        m2m_changed.connect(invalidate_page_cache_on_m2m, sender=through, dispatch_uid=f"{DISPATCH_PREFIX}:m2m:{through._meta.label}")
    # Wagtail sends these with the specific page class as sender: no sender filter.
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(invalidate_page_cache, dispatch_uid=f"{DISPATCH_PREFIX}:{id(signal)}")
