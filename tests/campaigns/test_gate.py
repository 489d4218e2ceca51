"""The flash-sale gate on real Redis: the counter is atomic across threads, it
never lets more through than the database would, and after 10,000 operations
with failures injected between taking from Redis and committing to the
database, reconciliation brings the difference to 0."""
import datetime
import random
import threading
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from shop.campaigns import gate
from shop.campaigns.models import Campaign, CampaignProduct
from tests.factories import make_product

REDIS_URL = "redis://127.0.0.1:6379/7"
REDIS_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        "KEY_PREFIX": "xiangpin-gate-test",
    }
}


@pytest.fixture
def redis_cache():
    with override_settings(CACHES=REDIS_CACHE):
        from django.core.cache import caches

        caches["default"].clear()
        yield caches["default"]
        caches["default"].clear()


def live_item(*, quota, stock=100000):
    now = timezone.now()
    campaign = Campaign.objects.create(name="年货节", slug=f"nianhuo-{quota}", theme="default", is_published=True,
                                       starts_at=now - datetime.timedelta(hours=1),
                                       ends_at=now + datetime.timedelta(hours=5))
    product = make_product(title="连州菜心 礼盒", price=Decimal("29.90"), stock=stock)
    return CampaignProduct.objects.create(campaign=campaign, product=product, price=Decimal("9.90"), quota=quota)


def commit_sale(item_id):
    """The database side of a purchase: one unit sold if the quota allows."""
    with transaction.atomic():
        return CampaignProduct.objects.filter(pk=item_id, sold__lt=F("quota")).update(sold=F("sold") + 1) == 1


@pytest.mark.django_db
def test_counter_is_set_from_the_database_and_closes_at_zero(redis_cache):
    item = live_item(quota=3)
    assert [gate.take(item.pk, 1) for _ in range(3)] == [True, True, True]
    assert cache.get(f"campaigns:gate:{item.pk}:left") == 0
    assert gate.take(item.pk, 1) is False
    assert cache.get(f"campaigns:gate:{item.pk}:left") == 0
    gate.give_back(item.pk, 1)
    assert gate.take(item.pk, 2) is False  # one unit back, two asked
    assert gate.take(item.pk, 1) is True


@pytest.mark.django_db
def test_no_quota_means_no_gate(redis_cache):
    item = live_item(quota=None)
    assert all(gate.take(item.pk, 5) for _ in range(10))
    assert cache.get(f"campaigns:gate:{item.pk}:left") is None


@pytest.mark.django_db
def test_a_low_counter_is_repaired_from_the_database_when_the_gate_refuses(redis_cache):
    item = live_item(quota=10)
    gate.reconcile(item.pk)
    cache.set(f"campaigns:gate:{item.pk}:left", 0)  # as if units were lost in a crash
    cache.delete(f"campaigns:gate:{item.pk}:checked")
    assert gate.take(item.pk, 1) is True  # looked at the database: 10 open
    assert cache.get(f"campaigns:gate:{item.pk}:left") == 9


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row updates from threads need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_10k_operations_with_injected_failures_reconcile_to_zero_difference(redis_cache):
    quota = 6000
    item = live_item(quota=quota)
    operations, workers = 10000, 8
    lost = []  # units taken from Redis whose give-back never happened (a crash)
    outcomes = {"sold": 0, "refused_by_gate": 0, "refused_by_database": 0, "failed_and_given_back": 0,
                "crashed": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def count(name):
        with lock:
            outcomes[name] += 1

    def work(seed, share):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(share):
                if not gate.take(item.pk, 1):
                    count("refused_by_gate")
                    continue
                roll = rng.random()
                if roll < 0.10:  # crash between Redis and the database: nothing given back
                    with lock:
                        lost.append(1)
                    count("crashed")
                elif roll < 0.20:  # the purchase failed (e.g. the pickup point refused it)
                    gate.give_back(item.pk, 1)
                    count("failed_and_given_back")
                elif commit_sale(item.pk):
                    count("sold")
                else:
                    gate.reconcile(item.pk)
                    count("refused_by_database")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n, operations // workers)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)

    item.refresh_from_db()
    assert sum(outcomes.values()) == operations
    assert outcomes["crashed"] > 0 and outcomes["failed_and_given_back"] > 0
    assert item.sold == outcomes["sold"] <= quota
    counter = cache.get(f"campaigns:gate:{item.pk}:left")
    open_in_database = quota - item.sold
    # Crashes leave the counter low by at most the units they lost (reconciling
    # on the way only repairs it); the database alone kept sold ≤ quota.
    assert counter >= open_in_database - len(lost)
    gate.reconcile(item.pk)
    assert cache.get(f"campaigns:gate:{item.pk}:left") - (quota - item.sold) == 0
