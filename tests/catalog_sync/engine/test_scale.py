"""One product's change among 1,000 listed products costs exactly its own call."""
from decimal import Decimal

import pytest
from django.core.management import call_command
from oscar.core.loading import get_model

from catalog_sync.models import ChannelProduct, OutboxEntry
from catalog_sync.outbox import outbox_mark_channel
from catalog_sync.relay import relay_drain, relay_run
from shop.brands.models import ProductOrigin
from tests.factories import make_product

from .fake import FakeConnector
from .helpers import key, pending, record, sku

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db


def thousand_products(channel):
    first = make_product(title="高州荔枝 0")
    origin, stock = first.origin, record(first)
    products = Product.objects.bulk_create([
        Product(title=f"高州荔枝 {n}", slug=f"gaozhou-lychee-{n}", product_class=first.product_class,
                structure=Product.STANDALONE, upc=f"GZ-LZ-{n:04d}") for n in range(1, 1000)])
    StockRecord.objects.bulk_create([
        StockRecord(product=p, partner=stock.partner, partner_sku=f"LZ-{p.pk}", price=Decimal("59.00"),
                    price_currency="CNY", num_in_stock=200) for p in products])
    ProductOrigin.objects.bulk_create([
        ProductOrigin(product=p, brand=origin.brand, county=origin.county, village=origin.village,
                      market_subject=origin.market_subject) for p in products])
    products = [first, *products]
    ChannelProduct.objects.bulk_create([ChannelProduct(channel=channel, product=p) for p in products])
    outbox_mark_channel(channel, products, OutboxEntry.Kind.CONTENT)
    return products


def test_one_change_among_a_thousand(channel, monkeypatch):
    products = thousand_products(channel)
    fake = FakeConnector(max_batch=50)
    relay_drain(channel, connector=fake)
    assert len(fake.calls) == 20 and {m for m, _k in fake.calls} == {"push_listings"}
    assert len(fake.items) == 1000

    changed = products[637]
    stock = record(changed)
    stock.num_in_stock = 150
    stock.save()
    report = relay_run(channel, connector=fake)
    assert (report.claimed, report.products) == (2, 1)
    assert fake.calls[20:] == [("update_inventory", (sku(changed),))]
    assert fake.by_key(key(changed)).skus[sku(changed)]["quantity"] == 150

    # Everything marked dirty again: hashes match, no call at all.
    monkeypatch.setattr("catalog_sync.channels.connector_for", lambda channel: fake)
    call_command("catalog_sync_push", "--channel", channel.code, "--all", verbosity=0)
    assert len(fake.calls) == 21
    assert pending(channel) == 0
