"""Nightly housekeeping: the outbox and the call log do not grow without end.

Processed outbox entries are kept ``OUTBOX_KEEP`` (a week, to trace a recent
push), call records ``CALLS_KEEP`` (the dashboard reads the last 24 hours; a
quarter leaves room for an incident review).  Pending entries are never deleted,
however old: they are work not yet done."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from .models import OutboxEntry, SyncCall

OUTBOX_KEEP = timedelta(days=7)
CALLS_KEEP = timedelta(days=90)


@dataclass(frozen=True)
class PruneReport:
    outbox_entries: int
    sync_calls: int


def history_prune(*, now: datetime | None = None) -> PruneReport:
    now = now or timezone.now()
    entries, _ = OutboxEntry.objects.filter(processed_at__lt=now - OUTBOX_KEEP).delete()
    calls, _ = SyncCall.objects.filter(at__lt=now - CALLS_KEEP).delete()
    return PruneReport(outbox_entries=entries, sync_calls=calls)
