import random
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog_sync import ratelimit
from catalog_sync.connectors.base import ErrorKind
from catalog_sync.models import ChannelListing, ChannelProduct, DeadLetter, OutboxEntry, SyncCall
from catalog_sync.relay import dead_letter_retry, relay_run
from catalog_sync.retry import CAP_SECONDS, backoff_delay, retry_at
from tests.factories import make_product

from .fake import FakeConnector
from .helpers import enable, key, listed_product, listing, pending, record, sku

pytestmark = pytest.mark.django_db

State = ChannelListing.State


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def test_first_push_creates_the_listing(channel, fake):
    product = listed_product(channel)
    report = relay_run(channel, connector=fake)
    assert fake.calls == [("push_listings", (key(product),))]
    assert fake.remote_ids_seen == [{}]
    assert (report.claimed, report.products, report.created) == (1, 1, 1)
    row = listing(channel, product)
    item = fake.by_key(key(product))
    assert row.remote_id == item.remote_id and len(row.remote_id) == 18    # beyond 2**53, a string
    assert row.state == State.LIVE
    assert row.outcome_unknown is False
    assert row.remote_sku_ids == {sku(product): item.skus[sku(product)]["remote_id"]}
    assert item.skus[sku(product)]["price"] == Decimal("39.90")
    assert item.skus[sku(product)]["quantity"] == 100
    assert pending(channel) == 0
    assert list(SyncCall.objects.values_list("operation", "items", "failed")) == [("push_listings", 1, 0)]


def test_same_listing_twice_makes_no_second_call(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    product.save()                         # dirty again, nothing changed
    assert pending(channel) == 1
    report = relay_run(channel, connector=fake)
    assert fake.methods() == ["push_listings"]
    assert (report.unchanged, report.calls) == (1, {})
    assert pending(channel) == 0


def test_stock_only_change_calls_only_update_inventory(channel, fake):
    channel.stock_buffer = 2
    channel.save()
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    stock = record(product)
    stock.num_in_stock = 50
    stock.save()
    relay_run(channel, connector=fake)
    assert fake.calls[1:] == [("update_inventory", (sku(product),))]
    assert fake.by_key(key(product)).skus[sku(product)]["quantity"] == 48
    item = fake.by_key(key(product))      # a connector that takes the remote ids gets them
    assert fake.remote_skus_seen == [{sku(product): (item.remote_id, item.skus[sku(product)]["remote_id"])}]


def test_order_allocation_pushes_the_lower_stock(channel, fake):
    product = listed_product(channel, stock=10)
    relay_run(channel, connector=fake)
    record(product).allocate(3)
    relay_run(channel, connector=fake)
    assert fake.calls[1:] == [("update_inventory", (sku(product),))]
    assert fake.by_key(key(product)).skus[sku(product)]["quantity"] == 7


def test_price_only_change_calls_only_update_price(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    stock = record(product)
    stock.price = Decimal("35.50")
    stock.save()
    relay_run(channel, connector=fake)
    assert fake.calls[1:] == [("update_price", (sku(product),))]
    assert fake.by_key(key(product)).skus[sku(product)]["price"] == Decimal("35.50")


def test_content_change_updates_by_remote_id(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    remote_id = listing(channel, product).remote_id
    product.title = "梅州金柚 礼盒装"
    product.save()
    report = relay_run(channel, connector=fake)
    assert fake.methods() == ["push_listings", "push_listings"]
    assert fake.remote_ids_seen[1] == {key(product): remote_id}
    assert report.updated == 1
    assert fake.count(key(product)) == 1
    assert fake.by_key(key(product)).title == "梅州金柚 礼盒装"


def test_hidden_product_is_delisted_once(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    product.is_public = False
    product.save()
    report = relay_run(channel, connector=fake)
    assert fake.calls[1:] == [("delist", (key(product),))]
    assert report.delisted == 1
    assert listing(channel, product).state == State.DELISTED
    assert fake.by_key(key(product)).state == "delisted"
    product.save()
    relay_run(channel, connector=fake)
    assert len(fake.calls) == 2
    product.is_public = True          # back on sale: a content push relists it
    product.save()
    relay_run(channel, connector=fake)
    assert fake.methods()[2:] == ["push_listings"]
    assert fake.by_key(key(product)).state == "live"
    assert fake.count(key(product)) == 1


def test_disabled_channel_product_is_delisted(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    ChannelProduct.objects.filter(channel=channel, product=product).get().delete()
    relay_run(channel, connector=fake)
    assert fake.calls[1:] == [("delist", (key(product),))]


def test_never_listed_hidden_product_costs_no_call(channel, fake):
    product = make_product()
    product.is_public = False
    product.save()
    enable(channel, product)
    report = relay_run(channel, connector=fake)
    assert fake.calls == []
    assert report.unchanged == 1
    assert listing(channel, product).outcome_unknown is False


def test_unknown_outcome_is_looked_up_not_created_twice(channel, fake):
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.UNKNOWN_OUTCOME, commit=True)   # created, answer lost
    now = timezone.now()
    report = relay_run(channel, connector=fake, now=now)
    row = listing(channel, product)
    assert (row.outcome_unknown, row.remote_id, row.attempts) == (True, "", 1)
    assert row.next_attempt_at == now + timedelta(seconds=10)
    assert report.deferred == 1 and pending(channel) == 1
    assert relay_run(channel, connector=fake, now=now + timedelta(seconds=5)).claimed == 0   # not yet
    report = relay_run(channel, connector=fake, now=now + timedelta(seconds=11))
    assert fake.methods() == ["push_listings", "lookup", "push_listings"]
    remote_id = fake.by_key(key(product)).remote_id
    assert fake.remote_ids_seen[-1] == {key(product): remote_id}        # an update, not a create
    assert fake.count(key(product)) == 1
    assert report.adopted == 1
    row = listing(channel, product)
    assert (row.remote_id, row.outcome_unknown, row.attempts, row.state) == (remote_id, False, 0, State.LIVE)
    assert pending(channel) == 0


def test_failed_create_that_names_its_remote_id_is_updated_not_looked_up(channel, fake):
    """JD: the ware is written but listing it fails; the answer carries the ware id."""
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.UNKNOWN_OUTCOME, commit=True, with_id=True)
    relay_run(channel, connector=fake)
    row = listing(channel, product)
    assert (row.remote_id, row.outcome_unknown) == (fake.by_key(key(product)).remote_id, False)
    relay_run(channel, connector=fake, now=later(60))
    assert fake.methods() == ["push_listings", "push_listings"]
    assert fake.remote_ids_seen[-1] == {key(product): row.remote_id}
    assert fake.count(key(product)) == 1


def test_whole_call_timeout_after_commit(channel, fake):
    products = [listed_product(channel) for _ in range(2)]
    fake.fail("push_listings", ErrorKind.UNKNOWN_OUTCOME, whole=True, commit=True)
    relay_run(channel, connector=fake)
    assert all(listing(channel, p).outcome_unknown for p in products)
    relay_run(channel, connector=fake, now=later(60))
    assert fake.methods() == ["push_listings", "lookup", "push_listings"]
    assert [fake.count(key(p)) for p in products] == [1, 1]


def test_worker_dying_after_the_create_is_looked_up_next_time(channel, fake):
    """The outcome is marked unknown *before* the create is sent."""
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.TRANSIENT, whole=True, crash=True)
    with pytest.raises(RuntimeError):
        relay_run(channel, connector=fake)
    assert listing(channel, product).outcome_unknown is True
    relay_run(channel, connector=fake, now=later(3600))
    assert fake.methods() == ["push_listings", "lookup", "push_listings"]
    assert fake.count(key(product)) == 1


def test_lease_of_a_dead_relay_expires(channel, fake):
    """A claim whose relay never settled (killed) is taken over after the lease."""
    from catalog_sync.relay import LEASE_SECONDS, RelayReport, _claim

    product = listed_product(channel)
    now = timezone.now()
    _claim(channel, now=now, limit=10, report=RelayReport(channel="x"))
    assert relay_run(channel, connector=fake, now=now + timedelta(seconds=60)).claimed == 0
    relay_run(channel, connector=fake, now=now + timedelta(seconds=LEASE_SECONDS + 1))
    assert fake.calls == [("push_listings", (key(product),))]


def test_throttled_item_is_parked_until_retry_after(channel, fake):
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.THROTTLED, retry_after=120, code="7")
    now = timezone.now()
    relay_run(channel, connector=fake, now=now)
    row = listing(channel, product)
    assert (row.next_attempt_at, row.attempts, row.last_error_kind) == (now + timedelta(seconds=120), 0, "throttled")
    assert row.outcome_unknown is False         # refused: nothing was created
    assert relay_run(channel, connector=fake, now=now + timedelta(seconds=119)).claimed == 0
    assert fake.methods() == ["push_listings"]
    relay_run(channel, connector=fake, now=now + timedelta(seconds=121))
    assert fake.methods() == ["push_listings", "push_listings"]
    assert fake.count(key(product)) == 1


def test_quota_exhausted_parks_until_the_next_hour(channel, fake):
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.QUOTA_EXHAUSTED, code="45009")
    now = timezone.now()
    relay_run(channel, connector=fake, now=now)
    row = listing(channel, product)
    assert row.next_attempt_at == now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert row.attempts == 0


def test_invalid_goes_to_dead_letter_at_once(channel, fake):
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.INVALID, code="isv.invalid-parameter")
    report = relay_run(channel, connector=fake)
    (letter,) = DeadLetter.objects.all()
    assert (letter.listing.product_id, letter.operation, letter.error_kind, letter.error_code, letter.attempts) == (
        product.pk, "push_listings", "invalid", "isv.invalid-parameter", 0)
    row = listing(channel, product)
    assert (row.state, row.next_attempt_at, row.outcome_unknown) == (State.FAILED, None, False)
    assert report.dead_lettered == 1 and pending(channel) == 0
    assert relay_run(channel, connector=fake, now=later(7200)).claimed == 0
    assert fake.methods() == ["push_listings"]


def test_transient_failures_end_in_dead_letter_after_max_attempts(channel, fake):
    channel.max_attempts = 3
    channel.save()
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.TRANSIENT, times=5, code="10")
    now = timezone.now()
    for attempt in (1, 2):
        relay_run(channel, connector=fake, now=now)
        row = listing(channel, product)
        assert row.attempts == attempt and row.state == State.PENDING
        assert now <= row.next_attempt_at <= now + timedelta(seconds=CAP_SECONDS)
        assert DeadLetter.objects.count() == 0
        now = row.next_attempt_at + timedelta(seconds=1)
    relay_run(channel, connector=fake, now=now)
    (letter,) = DeadLetter.objects.all()
    assert (letter.error_kind, letter.attempts) == ("transient", 3)
    assert listing(channel, product).state == State.FAILED
    # A 5xx may have created it: each retry looks the key up before creating.
    assert fake.methods() == ["push_listings", "lookup", "push_listings", "lookup", "push_listings"]
    assert listing(channel, product).outcome_unknown is True


def test_dead_letter_retry_requeues(channel, fake):
    product = listed_product(channel)
    fake.fail("push_listings", ErrorKind.INVALID)
    relay_run(channel, connector=fake)
    letter = DeadLetter.objects.get()
    entry = dead_letter_retry(letter)
    assert (entry.product_id, entry.kind, entry.processed_at) == (product.pk, "content", None)
    assert dead_letter_retry(letter) is None          # once
    report = relay_run(channel, connector=fake)
    assert report.created == 1
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    row = listing(channel, product)
    assert (row.state, row.attempts, row.last_error) == (State.LIVE, 0, "")
    assert fake.count(key(product)) == 1


def test_whole_call_error_fails_every_item_of_the_call(channel, fake):
    products = [listed_product(channel) for _ in range(3)]
    fake.fail("push_listings", ErrorKind.TRANSIENT, whole=True, code="502")
    report = relay_run(channel, connector=fake)
    assert report.deferred == 3
    assert [listing(channel, p).attempts for p in products] == [1, 1, 1]
    assert list(SyncCall.objects.values_list("operation", "items", "failed", "error_kind")) == [
        ("push_listings", 3, 3, "transient")]


def test_one_bad_item_does_not_sink_its_batch(channel, fake):
    products = [listed_product(channel) for _ in range(3)]
    fake.fail("push_listings", ErrorKind.INVALID, key=key(products[1]))
    report = relay_run(channel, connector=fake)
    assert (report.created, report.dead_lettered) == (2, 1)
    assert [listing(channel, p).state for p in products] == [State.LIVE, State.FAILED, State.LIVE]
    assert list(SyncCall.objects.values_list("items", "failed", "error_kind")) == [(3, 1, "invalid")]


def test_batches_of_max_batch(channel):
    fake = FakeConnector(max_batch=2)
    products = [listed_product(channel) for _ in range(5)]
    relay_run(channel, connector=fake)
    assert [len(keys) for _method, keys in fake.calls] == [2, 2, 1]
    assert sorted(k for _m, keys in fake.calls for k in keys) == sorted(key(p) for p in products)


def test_stock_failure_keeps_price_success(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    stock = record(product)
    stock.price, stock.num_in_stock = Decimal("30.00"), 80
    stock.save()
    fake.fail("update_inventory", ErrorKind.TRANSIENT)
    now = timezone.now()
    relay_run(channel, connector=fake, now=now)
    assert fake.methods()[1:] == ["update_price", "update_inventory"]
    row = listing(channel, product)
    assert row.attempts == 1
    relay_run(channel, connector=fake, now=row.next_attempt_at + timedelta(seconds=1))
    assert fake.methods()[3:] == ["update_inventory"]       # the price is not sent again
    assert fake.by_key(key(product)).skus[sku(product)] | {"remote_id": ""} == {
        "remote_id": "", "price": Decimal("30.00"), "quantity": 80}


def test_remote_item_gone_is_created_again(channel, fake):
    product = listed_product(channel)
    relay_run(channel, connector=fake)
    fake.items.clear()                      # deleted on the platform
    stock = record(product)
    stock.num_in_stock = 20
    stock.save()
    relay_run(channel, connector=fake)
    assert fake.methods()[1:] == ["update_inventory"]
    relay_run(channel, connector=fake)
    assert fake.methods()[2:] == ["lookup", "push_listings"]
    assert fake.count(key(product)) == 1
    assert fake.by_key(key(product)).skus[sku(product)]["quantity"] == 20


def test_local_rate_limit_defers_instead_of_waiting_long(channel, monkeypatch):
    monkeypatch.setitem(ratelimit.RATE_LIMITS, "jd", {"push_listings": (1, 3600.0), "*": (1000, 1.0)})
    fake = FakeConnector(max_batch=1)
    first, second = listed_product(channel), listed_product(channel)
    slept = []
    report = relay_run(channel, connector=fake, sleep=slept.append)
    assert fake.calls == [("push_listings", (key(first),))]
    assert slept == []
    row = listing(channel, second)
    assert row.last_error_kind == "throttled" and row.next_attempt_at > timezone.now()
    assert (report.created, report.deferred) == (1, 1)
    assert SyncCall.objects.count() == 1            # no call was made for the second


def test_rate_limit_bucket():
    from types import SimpleNamespace

    limited = SimpleNamespace(code="jd-rl", platform="jd-rl")
    ratelimit.RATE_LIMITS["jd-rl"] = {"update_inventory": (2, 10.0)}
    try:
        clock = lambda: 1003.5  # noqa: E731
        assert ratelimit.take(limited, "update_inventory", clock=clock) == 0.0
        assert ratelimit.take(limited, "update_inventory", clock=clock) == 0.0
        assert ratelimit.take(limited, "update_inventory", clock=clock) == 6.5
        assert ratelimit.take(limited, "update_inventory", clock=lambda: 1010.0) == 0.0   # refilled
        assert ratelimit.limit_for("jd-rl", "delist") == ratelimit.DEFAULT_LIMIT
    finally:
        del ratelimit.RATE_LIMITS["jd-rl"]


def test_backoff_full_jitter_within_cap_and_visibility_timeout():
    rng = random.Random(7)
    visibility = 600.0
    delays = {attempt: [backoff_delay(attempt, base=15, cap=1800, visibility=visibility, rng=rng)
                        for _ in range(200)] for attempt in range(0, 40)}
    for attempt, values in delays.items():
        ceiling = min(1800, 15 * 2 ** attempt)
        assert all(0 <= value <= ceiling for value in values)
        assert all(value < visibility for value in values)
    high = delays[30]          # full jitter: spread over the whole range, not bunched at the top
    assert min(high) < 60 and max(high) > 500
    assert max(delays[0]) <= 15


def test_retry_at_uses_the_brokers_visibility_timeout(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    from catalog_sync.connectors.base import ChannelError

    now = datetime(2026, 11, 10, 2, 15, tzinfo=dt_timezone.utc)
    rng = random.Random(1)
    for attempt in range(1, 30):
        when = retry_at(ChannelError(ErrorKind.TRANSIENT, "10", "busy"), attempt=attempt, now=now, rng=rng)
        assert now <= when < now + timedelta(seconds=300)
    quota = retry_at(ChannelError(ErrorKind.QUOTA_EXHAUSTED, "45009", "daily"), attempt=1, now=now)
    assert quota == datetime(2026, 11, 10, 3, 0, tzinfo=dt_timezone.utc)
    throttled = retry_at(ChannelError(ErrorKind.THROTTLED, "7", "ban", retry_after=42), attempt=1, now=now)
    assert throttled == now + timedelta(seconds=42)


def test_relay_queries_do_not_grow_with_products(channel):
    def run(count):
        for _ in range(count):
            listed_product(channel)
        fake = FakeConnector(max_batch=100)
        with CaptureQueriesContext(connection) as captured:
            relay_run(channel, connector=fake)
        assert pending(channel) == 0
        return len(captured)

    assert run(2) == run(12)


def test_outbox_entries_of_a_product_are_claimed_together(channel, fake):
    product = listed_product(channel)
    for _ in range(5):
        stock = record(product)
        stock.num_in_stock -= 1
        stock.save()
    assert OutboxEntry.objects.filter(product=product).count() == 11
    report = relay_run(channel, connector=fake, limit=1)
    assert (report.claimed, report.products) == (11, 1)
    assert fake.calls == [("push_listings", (key(product),))]
    assert fake.by_key(key(product)).skus[sku(product)]["quantity"] == 95
