"""Two relays at once on PostgreSQL (real threads, real row locks)."""
import threading

import pytest
from django.db import connection, transaction

from catalog_sync.models import ChannelListing
from catalog_sync.relay import relay_drain, relay_run

from .fake import FakeConnector
from .helpers import key, listed_product, pending, record

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")]


def _in_thread(target, errors):
    def run():
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()
    return threading.Thread(target=run)


def test_two_relays_push_each_listing_once(channel):
    products = [listed_product(channel) for _ in range(24)]
    fake = FakeConnector(max_batch=4, delay=0.02)    # slow calls: the two relays overlap
    barrier = threading.Barrier(2)
    errors, reports = [], []

    def relay():
        barrier.wait()
        reports.extend(relay_drain(channel, connector=fake, limit=6))

    threads = [_in_thread(relay, errors) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    relay_drain(channel, connector=fake)            # anything left over (none expected)
    pushed = [k for method, keys in fake.calls if method == "push_listings" for k in keys]
    assert sorted(pushed) == sorted(key(p) for p in products)     # each listing pushed exactly once
    assert all(fake.count(key(p)) == 1 for p in products)
    assert sum(report.created for report in reports) == 24
    assert pending(channel) == 0
    assert set(ChannelListing.objects.values_list("state", flat=True)) == {"live"}


def test_a_listing_held_by_another_relay_is_skipped(channel):
    product = listed_product(channel)
    fake = FakeConnector()
    relay_run(channel, connector=fake)
    locked, release, errors = threading.Event(), threading.Event(), []

    def hold():
        with transaction.atomic():
            ChannelListing.objects.select_for_update().get(channel=channel, product=product)
            locked.set()
            release.wait(timeout=30)

    holder = _in_thread(hold, errors)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        stock = record(product)
        stock.num_in_stock = 60
        stock.save()
        report = relay_run(channel, connector=fake)
        assert (report.claimed, report.skipped, report.products) == (2, 1, 0)
        assert fake.methods() == ["push_listings"]
        assert pending(channel) == 2               # still waiting for its turn
    finally:
        release.set()
        holder.join()
    assert errors == []
    relay_run(channel, connector=fake)
    assert fake.methods() == ["push_listings", "update_inventory"]
