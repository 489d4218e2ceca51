"""Read the channel back and repair drift (run nightly, and after incidents).

For every listing the channel should have, ``connector.lookup`` (in batches)
returns what it really shows; where a SKU's price or stock differs from what we
should offer, the listing's price or stock hash is cleared and a push queued,
so the next relay run sends it again.  A listing the channel no longer has is
queued for creation (looked up first, so a slow index never makes a copy)."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .mapping import product_listing
from .models import ChannelListing, OutboxEntry, SyncCall
from .audits import readback_record
from .relay import LOOKUP, CallCounter, _Caller, _chunks
from .selectors import channel_products_load

State = ChannelListing.State
Kind = OutboxEntry.Kind


@dataclass
class ReconcileReport:
    channel: str
    checked: int = 0
    missing: int = 0          # the channel does not have it any more
    price_drift: int = 0      # listings with at least one SKU priced differently
    stock_drift: int = 0      # listings with at least one SKU's stock different
    requeued: int = 0         # listings queued for a push
    errors: int = 0           # listings that could not be read back
    audited: int = 0          # listings in review whose audit result was recorded

    @property
    def drifted(self) -> int:
        return self.requeued


def _drift(want, have) -> tuple[bool, bool]:
    remote = {sku.key: sku for sku in have.skus}
    price = stock = False
    for sku in want.skus:
        got = remote.get(sku.key)
        if got is None:
            price = stock = True
            continue
        price = price or got.price != sku.price
        stock = stock or int(got.quantity) != sku.quantity
    return price, stock


def reconcile_run(channel, *, connector=None, now: datetime | None = None,
                  sleep=time.sleep) -> ReconcileReport:
    if connector is None:
        from .channels import connector_for

        connector = connector_for(channel)
    now = now or timezone.now()
    report = ReconcileReport(channel=channel.code)
    caller = _Caller(channel, connector, report=CallCounter(), sleep=sleep)
    rows = list(ChannelListing.objects.filter(channel=channel).exclude(remote_id="")
                .exclude(state__in=[State.DELISTED, State.FAILED]).order_by("pk")
                .values_list("pk", "product_id", "key", "remote_id", "state", "last_synced_at"))
    for chunk in _chunks(rows, connector.max_batch):
        products = {data.pk: data for data in channel_products_load(
            channel=channel, product_ids=[row[1] for row in chunk])}
        wanted, remote_ids, in_review = {}, {}, {}
        for pk, product_id, key, remote_id, state, synced_at in chunk:
            remote_ids[key] = remote_id
            if state == State.IN_REVIEW:
                in_review[pk] = synced_at
            listing = product_listing(products[product_id], stock_buffer=channel.stock_buffer,
                                      base_url=settings.CATALOG_SYNC_PUBLIC_URL)
            if listing.active:       # an inactive one is the relay's to delist
                wanted[pk] = (product_id, replace(listing, key=key))
        if not wanted:
            continue
        found, error = caller.call(LOOKUP, [listing.key for _pid, listing in wanted.values()], len(wanted),
                                   remote_ids={listing.key: remote_ids[listing.key] for _pid, listing in wanted.values()})
        if error is not None:
            report.errors += len(wanted)
            continue
        report.checked += len(wanted)
        repairs = {}    # listing pk → (product id, kinds, missing)
        for pk, (product_id, listing) in wanted.items():
            have = found.get(listing.key)
            if have is None:
                report.missing += 1
                repairs[pk] = (product_id, (Kind.CONTENT,), True)
                continue
            if pk in in_review:
                report.audited += bool(readback_record(pk, in_review[pk], have))
            price, stock = _drift(listing, have)
            report.price_drift += price
            report.stock_drift += stock
            kinds = ((Kind.PRICE,) if price else ()) + ((Kind.STOCK,) if stock else ())
            if kinds:
                repairs[pk] = (product_id, kinds, False)
        if repairs:
            report.requeued += _requeue(channel, repairs, now)
    SyncCall.objects.bulk_create(caller.calls + [SyncCall(channel=channel, operation="reconcile",
                                                          items=report.checked, failed=report.requeued)])
    return report


def _requeue(channel, repairs, now) -> int:
    """Clear the hashes of the drifted listings that no relay holds right now
    (one that does is being pushed anyway) and queue their pushes."""
    with transaction.atomic():
        rows = list(ChannelListing.objects.filter(pk__in=list(repairs))
                    .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                    .select_for_update(skip_locked=True))
        entries = []
        for row in rows:
            product_id, kinds, missing = repairs[row.pk]
            if missing:
                row.remote_id, row.remote_sku_ids = "", {}
                row.content_hash = row.price_hash = row.stock_hash = ""
                row.outcome_unknown = True
                row.state = State.PENDING
            if Kind.PRICE in kinds:
                row.price_hash = ""
            if Kind.STOCK in kinds:
                row.stock_hash = ""
            row.updated_at = now
            entries += [OutboxEntry(channel=channel, product_id=product_id, kind=kind, available_at=now)
                        for kind in kinds]
        ChannelListing.objects.bulk_update(rows, ["remote_id", "remote_sku_ids", "content_hash", "price_hash",
                                                  "stock_hash", "outcome_unknown", "state", "updated_at"])
        OutboxEntry.objects.bulk_create(entries)
    return len(rows)
