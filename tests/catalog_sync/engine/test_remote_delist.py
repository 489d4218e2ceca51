"""A product deleted here comes off the pavilion: its listing's key and remote id
outlive the delete (RemoteDelist), the next relay delists it on the JD simulator,
a failure is retried with backoff, and nothing is left to send afterwards."""
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog_sync.connectors.jd import UP_OR_DOWN_METHOD
from catalog_sync.models import ChannelListing, OutboxEntry, RemoteDelist, SyncCall
from catalog_sync.relay import relay_run

from .helpers import key, listed_product
from .test_jd_simulator import jd, sim  # noqa: F401 - fixtures: the JD simulator and its channel

pytestmark = pytest.mark.django_db


def methods(sim):
    return [method for method, _params in sim.calls]


def test_a_deleted_product_is_delisted_on_the_channel_once(jd, sim):
    kept, deleted = listed_product(jd, title="梅州金柚 5斤装"), listed_product(jd, title="英德红茶 250克")
    relay_run(jd)
    deleted_key = key(deleted)
    remote_id = ChannelListing.objects.get(channel=jd, product=deleted).remote_id

    deleted.delete()

    assert not ChannelListing.objects.filter(key=deleted_key).exists()
    assert list(RemoteDelist.objects.values_list("channel_id", "key", "remote_id", "title", "done_at")) == [
        (jd.pk, deleted_key, remote_id, "英德红茶 250克", None)]
    assert sim.catalogue.find(deleted_key).state == "8"                 # still on sale there

    sim.reset_calls()
    report = relay_run(jd)
    assert (report.remote_delisted, methods(sim)) == (1, [UP_OR_DOWN_METHOD])
    assert sim.catalogue.find(deleted_key).state != "8"
    assert sim.catalogue.find(key(kept)).state == "8"
    assert RemoteDelist.objects.get().done_at is not None
    assert SyncCall.objects.filter(channel=jd, operation="delist", items=1, failed=0).count() == 1

    sim.reset_calls()
    assert (relay_run(jd).remote_delisted, methods(sim)) == (0, [])


def test_a_failed_delisting_is_retried_later(jd, sim):
    product = listed_product(jd)
    relay_run(jd)
    product_key = key(product)
    product.delete()
    sim.faults.arm(UP_OR_DOWN_METHOD, "fail")
    now = timezone.now()

    assert relay_run(jd, now=now).remote_delisted == 0
    pending = RemoteDelist.objects.get()
    assert (pending.attempts, pending.done_at is None, pending.next_attempt_at > now) == (1, True, True)
    assert pending.last_error
    assert sim.catalogue.find(product_key).state == "8"
    sim.reset_calls()
    assert relay_run(jd, now=now + timedelta(seconds=1)).remote_delisted == 0     # not due yet: no call
    assert methods(sim) == []

    assert relay_run(jd, now=pending.next_attempt_at + timedelta(seconds=1)).remote_delisted == 1
    assert sim.catalogue.find(product_key).state != "8"


def test_a_product_never_pushed_or_already_delisted_leaves_nothing_to_send(jd, sim):
    unsent = listed_product(jd)
    delisted = listed_product(jd)
    relay_run(jd)
    ChannelListing.objects.filter(product=delisted).update(state="delisted")
    ChannelListing.objects.filter(product=unsent).update(remote_id="")
    unsent.delete()
    delisted.delete()
    assert RemoteDelist.objects.count() == 0
    assert OutboxEntry.objects.filter(channel=jd, processed_at__isnull=True).count() == 0
