"""What became of listings in a platform's audit (WeChat Shop: draft → audit → listing).

The relay leaves a listing it submitted ``in_review``.  The platform's decision
comes home two ways, and both record it the same way:

- ``audit_event_record``: its push (``product_spu_audit``), at once;
- ``audits_poll``: a periodic read-back, by remote id, of the listings still in
  review, for a push that never came (and on channels without one).

Approved → ``live``; rejected → ``rejected`` with the platform's reason in
``last_error`` for the cooperative to act on (changing the product queues a new
push, which goes back into audit).  A row the relay has pushed again since it
was read is left alone (its new submission is what is in review now)."""
from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ChannelListing, SyncCall
from .relay import LOOKUP, CallCounter, _Caller, _chunks

State = ChannelListing.State
DRAFT_AUDIT = "draft_audit"
AUDIT_TOPIC = "product.audit"       # the topic of an audit result pushed by the platform
POLL_BATCH = 20
# The platform's state words a read-back may move an in-review listing to.
DECIDED = {State.LIVE, State.REJECTED, State.DRAFT, State.DELISTED}
EVENT_STATES = {"approved": State.LIVE, "rejected": State.REJECTED}


@dataclass
class AuditReport:
    channel: str
    checked: int = 0
    live: int = 0
    rejected: int = 0
    waiting: int = 0          # still in review
    errors: int = 0           # could not be read back this time

    def count(self, state: str) -> None:
        if state == State.LIVE:
            self.live += 1
        elif state == State.REJECTED:
            self.rejected += 1


def _record(row_filter, state: str, reason: str) -> bool:
    """Move the matching in-review row to ``state``; False when none matched."""
    return bool(ChannelListing.objects.filter(row_filter, state=State.IN_REVIEW).update(
        state=state, last_error=reason[:2000] if state == State.REJECTED else "",
        last_error_kind="invalid" if state == State.REJECTED else "", updated_at=timezone.now()))


def audits_poll(channel, *, connector=None, sleep=time.sleep) -> AuditReport:
    """Read back the channel's listings in review and record the decisions made."""
    report = AuditReport(channel=channel.code)
    if connector is None:
        from .channels import connector_for

        connector = connector_for(channel)
    if DRAFT_AUDIT not in getattr(connector, "caps", ()):
        return report
    rows = list(ChannelListing.objects.filter(channel=channel, state=State.IN_REVIEW).exclude(remote_id="")
                .order_by("pk").values_list("pk", "key", "remote_id", "last_synced_at"))
    caller = _Caller(channel, connector, report=CallCounter(), sleep=sleep)
    for chunk in _chunks(rows, POLL_BATCH):
        found, error = caller.call(LOOKUP, [key for _pk, key, _rid, _at in chunk], len(chunk),
                                   remote_ids={key: remote_id for _pk, key, remote_id, _at in chunk})
        if error is not None:
            report.errors += len(chunk)
            continue
        for pk, key, remote_id, synced_at in chunk:
            have = found.get(key)
            if have is None or str(have.remote_id) != remote_id:
                report.errors += 1            # gone from the platform: reconciliation recreates it
                continue
            report.checked += 1
            state = readback_record(pk, synced_at, have)
            if state is None:
                report.waiting += 1
            else:
                report.count(state)
    SyncCall.objects.bulk_create(caller.calls)
    return report


def readback_record(pk: int, synced_at, remote) -> str | None:
    """Record what a read-back (``RemoteListing``) says of a listing in review, unless the
    relay has pushed it again since (``last_synced_at`` moved): the state recorded, or None."""
    if remote.state not in DECIDED:
        return None
    return remote.state if _record(Q(pk=pk, last_synced_at=synced_at), remote.state, remote.reason) else None


def audit_event_record(channel, event) -> bool:
    """Record a verified audit push (``product.audit``): True when a listing in review moved."""
    state = EVENT_STATES.get(event.status or "")
    if state is None or not event.product_id:
        return False
    with transaction.atomic():
        return _record(Q(channel=channel, remote_id=str(event.product_id)), state, event.reason)
