"""The nightly prune: processed outbox entries older than a week and call records
older than a quarter go; pending entries stay, however old."""
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog_sync.housekeeping import PruneReport, history_prune
from catalog_sync.models import OutboxEntry, SyncCall
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_prune_keeps_pending_work_and_recent_history(channel):
    now = timezone.now()
    product = make_product(title="惠来鲍鱼 礼盒")
    entry = {"channel": channel, "product": product, "kind": "stock"}
    old_done = OutboxEntry.objects.create(**entry, available_at=now - timedelta(days=9),
                                          processed_at=now - timedelta(days=8))
    recent_done = OutboxEntry.objects.create(**entry, available_at=now - timedelta(days=6),
                                             processed_at=now - timedelta(days=6))
    old_pending = OutboxEntry.objects.create(**entry, available_at=now - timedelta(days=30))
    calls = [SyncCall.objects.create(channel=channel, operation="update_inventory", items=1) for _ in range(3)]
    SyncCall.objects.filter(pk=calls[0].pk).update(at=now - timedelta(days=91))
    SyncCall.objects.filter(pk=calls[1].pk).update(at=now - timedelta(days=89))

    assert history_prune(now=now) == PruneReport(outbox_entries=1, sync_calls=1)
    assert set(OutboxEntry.objects.values_list("pk", flat=True)) == {recent_done.pk, old_pending.pk}
    assert set(SyncCall.objects.values_list("pk", flat=True)) == {calls[1].pk, calls[2].pk}
    assert not OutboxEntry.objects.filter(pk=old_done.pk).exists()
    assert history_prune(now=now) == PruneReport(outbox_entries=0, sync_calls=0)
