"""Read what a channel needs to know about our products, as plain data.

``channel_products_load`` turns products into ``ProductData`` in a constant
number of queries (products with brand and origin, stock records, images,
categories, variants and their stock records), whatever the number of
products; ``catalog_sync.mapping`` then maps that data to ``Listing`` without
touching the database."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils import translation
from django.utils.http import RFC3986_SUBDELIMS
from oscar.core.loading import get_model

from .models import ChannelProduct

Product = get_model("catalogue", "Product")
ProductImage = get_model("catalogue", "ProductImage")
StockRecord = get_model("partner", "StockRecord")


@dataclass(frozen=True)
class StockData:
    """One stock record (one SKU on the channels)."""

    partner_sku: str
    price: Decimal | None          # yuan; None: not for sale
    num_in_stock: int
    num_allocated: int
    attrs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProductData:
    pk: int
    upc: str
    title: str
    description: str               # as stored (may hold HTML)
    is_public: bool
    channel_enabled: bool          # the channel product exists and is enabled
    path: str                      # our product page, relative ("/zh-hans/shop/catalogue/…")
    images: tuple[str, ...]        # image URLs as storage gives them (relative or absolute)
    stock: tuple[StockData, ...]
    brand: str = ""
    category: str = ""
    origin: dict[str, str] = field(default_factory=dict)


def _image_urls(images) -> tuple[str, ...]:
    urls = []
    for image in sorted(images, key=lambda image: (image.display_order, image.pk)):
        if image.original:
            urls.append(image.original.url)
    return tuple(urls)


def _stock(records, attrs=()) -> list[StockData]:
    return [StockData(partner_sku=record.partner_sku, price=record.price, num_in_stock=record.num_in_stock or 0,
                      num_allocated=record.num_allocated or 0, attrs=attrs)
            for record in sorted(records, key=lambda record: record.pk)]


_SLUG_MARK, _PK_MARK = "xiangpin-slug-mark", 918273645


def _product_paths() -> Callable[[object], str]:
    """``product.get_absolute_url()`` for many products with one ``reverse`` (a reverse
    through the language-prefixed URLconf costs about a millisecond each)."""
    template = reverse("catalogue:detail", kwargs={"product_slug": _SLUG_MARK, "pk": _PK_MARK})

    def path(product) -> str:
        return (template.replace(_SLUG_MARK, quote(product.slug, safe=RFC3986_SUBDELIMS + "/~:@"))
                .replace(str(_PK_MARK), str(product.pk)))
    return path


def _product_data(product, path: Callable[[object], str]) -> ProductData:
    stock = _stock(product.stockrecords.all())
    for child in sorted(product.children.all(), key=lambda child: child.pk):
        stock += _stock(child.stockrecords.all(), attrs=(("规格", child.title),) if child.title else ())
    origin = getattr(product, "origin", None)
    origin_names = {}
    brand = ""
    if origin is not None:
        brand = origin.brand.name
        origin_names = {"county": origin.county.name, "cooperative": origin.market_subject.name}
        if origin.village_id:
            origin_names["village"] = origin.village.name
    categories = sorted(product.categories.all(), key=lambda category: category.pk)
    return ProductData(
        pk=product.pk, upc=product.upc or "", title=product.get_title(), description=product.description or "",
        is_public=product.is_public, channel_enabled=bool(product.channel_enabled),
        path=path(product), images=_image_urls(product.images.all()), stock=tuple(stock),
        brand=brand, category=categories[0].name if categories else "", origin=origin_names,
    )


def channel_products_load(*, channel, product_ids: Iterable[int]) -> list[ProductData]:
    """The products ``product_ids`` as ``channel`` should offer them (a product no
    longer enabled on the channel comes back with ``channel_enabled=False``)."""
    ids = list(product_ids)
    if not ids:
        return []
    enabled = ChannelProduct.objects.filter(channel=channel, product=OuterRef("pk"), is_enabled=True)
    records = StockRecord.objects.order_by("pk")
    products = (
        Product.objects.filter(pk__in=ids)
        .annotate(channel_enabled=Exists(enabled))
        .select_related("origin__brand", "origin__county", "origin__market_subject", "origin__village")
        .prefetch_related(
            Prefetch("stockrecords", queryset=records),
            Prefetch("images", queryset=ProductImage.objects.order_by("display_order", "pk")),
            "categories",
            Prefetch("children", queryset=Product.objects.order_by("pk").prefetch_related(
                Prefetch("stockrecords", queryset=records))),
        )
        .order_by("pk")
    )
    # Links are built in the default language, whatever the worker's thread has active.
    with translation.override(settings.LANGUAGE_CODE):
        path = _product_paths()
        return [_product_data(product, path) for product in products]


def channel_enabled_product_ids(*, channel) -> list[int]:
    return list(ChannelProduct.objects.filter(channel=channel, is_enabled=True)
                .order_by("product_id").values_list("product_id", flat=True))
