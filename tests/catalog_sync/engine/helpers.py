"""Small builders shared by the engine tests."""
from decimal import Decimal

from oscar.core.loading import get_model

from catalog_sync.keys import listing_key
from catalog_sync.models import ChannelListing, ChannelProduct, OutboxEntry
from tests.factories import make_product

StockRecord = get_model("partner", "StockRecord")


def enable(channel, *products, is_enabled=True):
    for product in products:
        ChannelProduct.objects.create(channel=channel, product=product, is_enabled=is_enabled)


def listed_product(channel, **kwargs):
    """A product enabled on ``channel`` (its content entry is in the outbox)."""
    kwargs.setdefault("price", Decimal("39.90"))
    kwargs.setdefault("stock", 100)
    product = make_product(**kwargs)
    enable(channel, product)
    return product


def record(product):
    return StockRecord.objects.get(product=product)


def listing(channel, product):
    return ChannelListing.objects.get(channel=channel, product=product)


def key(product):
    return listing_key(product)


def sku(product):
    return record(product).partner_sku


def pending(channel):
    return OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True).count()
