"""Template tags for Wagtail pages and their StreamField blocks.

Each tag is one batched read for a whole block, never one per item, and its
result is kept in the cache under the page-cache generation: any catalogue or
page change makes it stale together with the cached pages. (The block
templates also keep their product grid as a ``{% cached_fragment %}``.)
"""
from django import template

from shop.brands import selectors as brand_selectors
from shop.core.cache import cached_by_generation
from shop.storefront import selectors as storefront_selectors

register = template.Library()


def _as_int(value, default):
    try:
        return max(1, min(int(value), 48))
    except (TypeError, ValueError):
        return default


@register.simple_tag
def featured_brands(limit=12):
    """Featured brands first, then the rest: 1 query when not cached."""
    return brand_selectors.brands_for_home(limit=_as_int(limit, 12))


@register.simple_tag
def featured_products(brand_slug="", limit=8):
    """Newest public products (of one brand when ``brand_slug`` is set) as
    product cards: 3 queries when not cached (products with origin chain,
    stock records, images)."""
    limit = _as_int(limit, 8)
    brand_slug = (brand_slug or "").strip()[:64]
    filters = storefront_selectors.CatalogueFilters(brand=brand_slug)
    return cached_by_generation(
        "featured-products", brand_slug, limit,
        compute=lambda: list(storefront_selectors.products_for_catalogue(filters)[:limit]),
    )
