"""A product deleted here comes off every channel it was listed on.

Deleting a product deletes its listing rows (and outbox entries) with it, so
``remote_delists_record`` runs before the delete, in its transaction: each listing
the channel holds (a remote id, not delisted) leaves a ``RemoteDelist`` with the
key and remote id.  The relay sends them (``remote_delists_send``) before its own
work, in the connector's batches; a delisting the channel confirms, or a listing
it no longer has, is done; anything else is retried with backoff, without end
(the listing must come off), and shown on the channel's dashboard."""
from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from .connectors.base import ChannelError, ErrorKind
from .models import ChannelListing, RemoteDelist, SyncCall
from .retry import retry_at

State = ChannelListing.State
BATCH_LIMIT = 200
LEASE = timedelta(minutes=10)
FIELDS = ["attempts", "next_attempt_at", "last_error", "done_at"]


def remote_delists_record(product_ids: Iterable[int]) -> int:
    """Keep what the channels need to delist the products about to be deleted."""
    rows = (ChannelListing.objects.filter(product_id__in=list(product_ids)).exclude(remote_id="")
            .exclude(state=State.DELISTED).select_related("product"))
    pending = [RemoteDelist(channel_id=row.channel_id, key=row.key, remote_id=row.remote_id,
                            title=row.product.title[:255]) for row in rows]
    RemoteDelist.objects.bulk_create(pending)
    return len(pending)


def pending_remote_delists(channel, now: datetime):
    return RemoteDelist.objects.filter(channel=channel, done_at__isnull=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def remote_delists_send(channel, connector, *, report, now: datetime, sleep=time.sleep,
                        rng: random.Random | None = None) -> int:
    """Send the channel's due delistings of deleted products; the number confirmed."""
    from .relay import DELIST, _Caller, _chunks

    with transaction.atomic():
        rows = list(pending_remote_delists(channel, now).order_by("pk").select_for_update(skip_locked=True)
                    [:BATCH_LIMIT])
        if not rows:
            return 0
        RemoteDelist.objects.filter(pk__in=[row.pk for row in rows]).update(next_attempt_at=now + LEASE)
    caller = _Caller(channel, connector, report, sleep)
    done = 0
    for chunk in _chunks(rows, connector.max_batch):
        results, error = caller.call(DELIST, [row.key for row in chunk], len(chunk),
                                     remote_ids={row.key: row.remote_id for row in chunk if row.remote_id})
        answered = {item.key: item for item in results or []}
        for row in chunk:
            item = answered.get(row.key)
            problem = error or (None if item is None else item.error)
            if item is not None and (item.ok or (problem is not None and problem.kind == ErrorKind.NOT_FOUND)):
                row.done_at, row.next_attempt_at, row.last_error = now, None, ""
                done += 1
                continue
            problem = problem or ChannelError(ErrorKind.UNKNOWN_OUTCOME, "no_result", f"渠道未返回 {row.key} 的结果")
            row.attempts += 1
            row.last_error = f"{problem.code} {problem.message}"[:2000]
            row.next_attempt_at = retry_at(problem, attempt=row.attempts, now=now, rng=rng)
    with transaction.atomic():
        RemoteDelist.objects.bulk_update(rows, FIELDS)
        SyncCall.objects.bulk_create(caller.calls)
    return done
