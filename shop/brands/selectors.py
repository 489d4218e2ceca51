"""Reads for the brand pages and the home page's brand blocks."""
from django.db.models import Count, F, Func, IntegerField, OuterRef, Prefetch, Q, Subquery

from shop.core.cache import cached_by_generation
from shop.producers.models import Household
from shop.regions.models import County

from .models import Brand


class _CountDistinct(Func):
    function = "COUNT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def _public_product_count():
    return Count(
        "product_origins",
        filter=Q(product_origins__product__is_public=True, product_origins__product__parent=None),
        distinct=True,
    )


def _counties_with_city():
    return Prefetch("counties", queryset=County.objects.select_related("city").order_by("code"))


def brands_for_listing():
    """Every brand with its counties (and their cities) and its number of
    public products: cached until the next change, else 2 queries."""
    return cached_by_generation(
        "brand-list",
        "v1",
        compute=lambda: list(
            Brand.objects.annotate(product_count=_public_product_count())
            .prefetch_related(_counties_with_city())
            .order_by("display_order", "name")
        ),
    )


def brands_for_home(*, limit):
    """Featured brands first, then the rest, in display order: cached until
    the next change, else 1 query."""
    return cached_by_generation(
        "brands-for-home",
        int(limit),
        compute=lambda: list(Brand.objects.order_by("-is_featured", "display_order", "name")[:limit]),
    )


def households_reached_subquery():
    """COUNT of distinct beneficiary households who are members of a market
    subject that supplies one of the brand's products (a number, never who)."""
    households = (
        Household.objects.filter(memberships__market_subject__product_origins__brand=OuterRef("pk"))
        .order_by()
        .annotate(n=_CountDistinct(F("pk")))
        .values("n")
    )
    return Subquery(households, output_field=IntegerField())


def brand_for_detail(*, slug):
    """One brand with its counties and cities and the number of households it
    reaches: cached until the next change, else 2 queries. Raises
    Brand.DoesNotExist."""
    brand = cached_by_generation("brand-detail", slug, compute=lambda: _brand_for_detail(slug))
    if brand is None:
        raise Brand.DoesNotExist(slug)
    return brand


def _brand_for_detail(slug):
    return (
        Brand.objects.annotate(households_reached=households_reached_subquery())
        .prefetch_related(_counties_with_city())
        .filter(slug=slug)
        .first()
    )

