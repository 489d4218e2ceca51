from decimal import Decimal

import pytest

from catalog_sync.models import SyncCall
from catalog_sync.reconcile import reconcile_run
from catalog_sync.relay import relay_run

from .helpers import key, listed_product, listing, pending, sku

pytestmark = pytest.mark.django_db


def test_reconcile_repairs_drifted_stock(channel, fake):
    drifted, steady = listed_product(channel, stock=40), listed_product(channel, stock=70)
    relay_run(channel, connector=fake)
    fake.by_key(key(drifted)).skus[sku(drifted)]["quantity"] = 3     # someone edited it on the platform
    calls_before = len(fake.calls)
    report = reconcile_run(channel, connector=fake)
    assert (report.checked, report.stock_drift, report.price_drift, report.missing, report.requeued) == (2, 1, 0, 0, 1)
    assert fake.calls[calls_before:] == [("lookup", (key(drifted), key(steady)))]
    assert listing(channel, drifted).stock_hash == ""
    assert listing(channel, steady).stock_hash != ""
    assert pending(channel) == 1
    relay_run(channel, connector=fake)
    assert fake.calls[calls_before + 1:] == [("update_inventory", (sku(drifted),))]
    assert fake.by_key(key(drifted)).skus[sku(drifted)]["quantity"] == 40
    assert SyncCall.objects.filter(operation="reconcile").values_list("items", "failed").get() == (2, 1)


def test_reconcile_repairs_drifted_price(channel, fake):
    product = listed_product(channel, price=Decimal("25.00"))
    relay_run(channel, connector=fake)
    fake.by_key(key(product)).skus[sku(product)]["price"] = Decimal("19.90")
    report = reconcile_run(channel, connector=fake)
    assert (report.price_drift, report.stock_drift) == (1, 0)
    relay_run(channel, connector=fake)
    assert fake.methods()[-1] == "update_price"
    assert fake.by_key(key(product)).skus[sku(product)]["price"] == Decimal("25.00")


def test_reconcile_recreates_a_missing_listing_once(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    fake.items.clear()
    report = reconcile_run(channel, connector=fake)
    assert (report.missing, report.requeued) == (1, 1)
    relay_run(channel, connector=fake)
    assert fake.methods() == ["push_listings", "lookup", "lookup", "push_listings"]
    assert fake.count(key(product)) == 1


def test_nothing_drifted_nothing_queued(channel, fake):
    listed_product(channel)
    relay_run(channel, connector=fake)
    report = reconcile_run(channel, connector=fake)
    assert (report.checked, report.requeued) == (1, 0)
    assert pending(channel) == 0
