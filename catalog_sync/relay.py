"""The outbox relay: push what changed to one channel, and only that.

One run:

1. **Claim** (a short transaction): the due outbox entries of up to ``limit``
   products, locked ``FOR UPDATE SKIP LOCKED``; their ``ChannelListing`` rows
   (created if missing), locked the same way, skipping any listing another
   relay holds or that waits for a retry; each claimed listing is then leased
   (``next_attempt_at`` = now + ``LEASE_SECONDS``), so no other relay touches it
   until this one is done or the lease runs out (a crashed worker).  A listing
   about to be created is marked ``outcome_unknown`` *before* the call: if the
   worker dies after the platform committed the create, the next run looks the
   key up instead of creating a second copy.
2. **Calls** (no transaction open): products mapped to listings and compared
   with the hashes of what the channel last accepted.  A listing with an
   unknown outcome is looked up first and its remote id adopted when found;
   then a new listing is created, a changed content pushed with its remote id
   (an update), a changed price or stock sent alone, an inactive listing
   delisted; an unchanged listing costs no call at all.  Calls go in batches
   of ``connector.max_batch``, within the per-(channel, method) rate limit.
3. **Settle** (one transaction): hashes updated only for what succeeded, each
   failure scheduled by its kind (``catalog_sync.retry``) or dead-lettered, the
   outbox entries of finished listings marked processed, one ``SyncCall`` per
   connector call."""
from __future__ import annotations

import inspect
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone
from oscar.core.loading import get_model

from . import ratelimit
from .bulk import rows_update
from .delists import remote_delists_send
from .connectors.base import ChannelError, ConnectorError, ErrorKind, ItemResult, Listing
from .keys import listing_key
from .mapping import product_listing
from .models import ChannelListing, DeadLetter, OutboxEntry, SyncCall
from .retry import retry_at
from .selectors import channel_products_load

Product = get_model("catalogue", "Product")
State = ChannelListing.State

LEASE_SECONDS = 600          # how long a claimed listing is held by one relay
MAX_RATE_WAIT = 5.0          # wait for the rate limiter up to this; beyond it, defer the items

DEAD_AT_ONCE = frozenset({ErrorKind.INVALID, ErrorKind.CONFIG})
COUNTED = frozenset({ErrorKind.TRANSIENT, ErrorKind.AUTH_EXPIRED, ErrorKind.CLOCK_SKEW,
                     ErrorKind.UNKNOWN_OUTCOME, ErrorKind.NOT_FOUND})
# Refused before anything was done: a create that failed so was not made.
NO_EFFECT = frozenset({ErrorKind.THROTTLED, ErrorKind.QUOTA_EXHAUSTED, ErrorKind.AUTH_EXPIRED,
                       ErrorKind.CLOCK_SKEW, ErrorKind.CONFIG, ErrorKind.INVALID})

PUSH, PRICE, STOCK, DELIST, LOOKUP = "push_listings", "update_price", "update_inventory", "delist", "lookup"
SETTLED_FIELDS = ["key", "remote_id", "remote_sku_ids", "state", "content_hash", "price_hash", "stock_hash",
                  "outcome_unknown", "attempts", "next_attempt_at", "last_error_kind", "last_error",
                  "last_synced_at", "updated_at"]


@dataclass
class RelayReport:
    channel: str
    claimed: int = 0            # outbox entries claimed
    products: int = 0           # listings worked on
    skipped: int = 0            # products held by another relay
    unchanged: int = 0          # nothing to send
    created: int = 0
    updated: int = 0            # content pushed to an existing remote listing
    adopted: int = 0            # an unknown outcome found on the channel by its key
    price_updates: int = 0
    stock_updates: int = 0
    delisted: int = 0
    remote_delisted: int = 0    # listings of products deleted here, taken off the channel
    deferred: int = 0           # failed, to be retried
    dead_lettered: int = 0
    calls: dict[str, int] = field(default_factory=dict)


@dataclass
class _Work:
    row: ChannelListing
    listing: Listing
    entry_ids: list[int]
    was_unknown: bool
    creating: bool = False
    adopted: bool = False
    attempted: set[str] = field(default_factory=set)   # operations the channel answered
    failed: set[str] = field(default_factory=set)      # operations that failed (for any SKU)
    error: ChannelError | None = None
    error_op: str = ""
    push_result: ItemResult | None = None

    @property
    def done(self) -> set[str]:
        return self.attempted - self.failed

    def fail(self, op: str, error: ChannelError) -> None:
        if self.error is None or _severity(error) > _severity(self.error):
            self.error, self.error_op = error, op
        self.failed.add(op)


def _severity(error: ChannelError) -> int:
    if error.kind in DEAD_AT_ONCE:
        return 3
    if error.kind in COUNTED:
        return 2
    return 1


def _chunks(items: Sequence, size: int):
    size = max(1, int(size or 1))
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- 1. claim ------------------------------------------------------------------------------

def due_entries(channel, now):
    busy = ChannelListing.objects.filter(channel_id=channel.pk, product_id=OuterRef("product_id"),
                                         next_attempt_at__gt=now)
    return OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True,
                                      available_at__lte=now).filter(~Exists(busy))


def _claim(channel, *, now, limit, report) -> dict[int, tuple[ChannelListing, list[int]]]:
    """{product id: (locked and leased listing row, its claimed entry ids)}."""
    with transaction.atomic():
        due = due_entries(channel, now)
        product_ids = [pid for pid, _first in due.values("product_id").annotate(first=Min("pk"))
                       .order_by("first").values_list("product_id", "first")[:limit]]
        if not product_ids:
            return {}
        entries = defaultdict(list)
        for pk, product_id in (due.filter(product_id__in=product_ids).order_by("pk")
                               .select_for_update(skip_locked=True).values_list("pk", "product_id")):
            entries[product_id].append(pk)
        report.claimed = sum(len(ids) for ids in entries.values())
        if not entries:
            return {}
        listings = ChannelListing.objects.filter(channel=channel, product_id__in=list(entries))
        existing = set(listings.values_list("product_id", flat=True))
        missing = [pid for pid in entries if pid not in existing]
        if missing:
            upcs = dict(Product.objects.filter(pk__in=missing).values_list("pk", "upc"))
            ChannelListing.objects.bulk_create(
                [ChannelListing(channel=channel, product_id=pid, key=listing_key(SimpleNamespace(pk=pid, upc=upcs[pid])))
                 for pid in missing if pid in upcs],
                ignore_conflicts=True)
        rows = list(listings.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                    .select_for_update(skip_locked=True))
        report.skipped = len(entries) - len(rows)
        if rows:
            ChannelListing.objects.filter(pk__in=[row.pk for row in rows]).update(
                next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
        return {row.product_id: (row, entries[row.product_id]) for row in rows}


def _prepare(channel, claimed, *, base_url) -> list[_Work]:
    products = {data.pk: data for data in channel_products_load(channel=channel, product_ids=list(claimed))}
    works = []
    for product_id, (row, entry_ids) in claimed.items():
        listing = product_listing(products[product_id], stock_buffer=channel.stock_buffer, base_url=base_url)
        if listing.key != row.key:      # the key the channel knows stays the listing's key
            listing = replace(listing, key=row.key)
        works.append(_Work(row=row, listing=listing, entry_ids=entry_ids, was_unknown=row.outcome_unknown))
    creating = [work.row.pk for work in works if work.listing.active and not work.row.remote_id]
    if creating:
        # Write-ahead: a create whose answer is lost (a crash, a timeout) is looked up next time.
        ChannelListing.objects.filter(pk__in=creating).update(outcome_unknown=True)
    return works


# --- 2. calls ------------------------------------------------------------------------------

class CallCounter:
    """What ``_Caller`` counts calls on, for runs other than the relay's (its report has the same attribute)."""

    def __init__(self):
        self.calls = {}


class _Caller:
    """Makes connector calls within the rate limit and records one SyncCall each."""

    def __init__(self, channel, connector, report, sleep):
        self.channel, self.connector, self.report, self.sleep = channel, connector, report, sleep
        self.calls: list[SyncCall] = []

    def _wait(self, method) -> float:
        waited = 0.0
        wait = ratelimit.take(self.channel, method)
        while 0 < wait and waited + wait <= MAX_RATE_WAIT:
            self.sleep(wait)
            waited += wait
            wait = ratelimit.take(self.channel, method)
        return wait

    def _accepted(self, method, kwargs):
        """The optional id maps the connector's method takes (``remote_ids`` for
        push_listings always; ``remote_ids`` / ``remote_skus`` elsewhere if it wants them)."""
        if not kwargs:
            return {}
        try:
            parameters = inspect.signature(getattr(self.connector, method)).parameters
        except (TypeError, ValueError):
            return {}
        if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return kwargs
        return {name: value for name, value in kwargs.items() if name in parameters}

    def accepts(self, method: str, name: str) -> bool:
        return name in self._accepted(method, {name: None})

    def call(self, method: str, payload, size: int, **kwargs):
        """(result, error): the connector's answer, or the error of the whole call."""
        if method != PUSH:      # push_listings(batch, remote_ids=...) is the interface itself
            kwargs = self._accepted(method, kwargs)
        wait = self._wait(method)
        if wait > 0:
            return None, ChannelError(ErrorKind.THROTTLED, "rate_limit", "本地限流：调用过于频繁", retry_after=wait)
        self.report.calls[method] = self.report.calls.get(method, 0) + 1
        try:
            result = getattr(self.connector, method)(payload, **kwargs)
        except ConnectorError as exc:
            self.calls.append(SyncCall(channel=self.channel, operation=method, items=size, failed=size,
                                       error_kind=exc.error.kind.value))
            return None, exc.error
        if method == LOOKUP:
            failed, kind = 0, ""
        else:
            failures = [item for item in result if not item.ok]
            failed = len(failures)
            kind = failures[0].error.kind.value if failures and failures[0].error else ""
        self.calls.append(SyncCall(channel=self.channel, operation=method, items=size, failed=failed, error_kind=kind))
        return result, None


def _missing_result(key) -> ChannelError:
    return ChannelError(ErrorKind.UNKNOWN_OUTCOME, "no_result", f"渠道未返回 {key} 的结果")


def merge_sku_ids(held: dict, answered) -> dict:
    """Our SKU key → remote sku id: what the channel answered, where it gave an id ("" never
    replaces a known id; a platform that answers "" only says the SKU is on that remote id)."""
    merged = dict(held)
    for key, sku_id in answered.items():
        if sku_id or key not in merged:
            merged[key] = str(sku_id or "")
    return merged


def _apply(op, pairs, results, error):
    """Hand each (key, work) its item result; SKU-level ops succeed only if all SKUs do."""
    got = {} if results is None else {item.key: item for item in results}
    for key, work in pairs:
        work.attempted.add(op)
        if error is not None:
            work.fail(op, error)
            continue
        item = got.get(key)
        if item is None:
            work.fail(op, _missing_result(key))
        elif item.ok or (op == DELIST and item.error is not None and item.error.kind == ErrorKind.NOT_FOUND):
            if op == PUSH:
                work.push_result = item
            elif item.remote_sku_ids:      # ids the connector had to read: the next call needs no read
                work.row.remote_sku_ids = merge_sku_ids(work.row.remote_sku_ids, item.remote_sku_ids)
        else:
            work.fail(op, item.error or ChannelError(ErrorKind.TRANSIENT, "failed", "渠道返回失败"))
            if op == PUSH and item.remote_id and not work.row.remote_id:
                # Written, then something else failed (e.g. JD's list/delist step):
                # the id is known now, so the retry updates instead of creating.
                work.row.remote_id = str(item.remote_id)
                work.row.remote_sku_ids = {k: str(v) for k, v in item.remote_sku_ids.items()}


def _lookups(caller, works, size):
    pending = [work for work in works if work.was_unknown and not work.row.remote_id]
    kwargs = {}
    if pending and caller.accepts(LOOKUP, "known_ids"):
        # A connector that must scan the platform's catalogue skips what is already ours.
        kwargs["known_ids"] = frozenset(ChannelListing.objects.filter(channel=caller.channel)
                                        .exclude(remote_id="").values_list("remote_id", flat=True))
    for chunk in _chunks(pending, size):
        found, error = caller.call(LOOKUP, [work.listing.key for work in chunk], len(chunk), **kwargs)
        for work in chunk:
            if error is not None:
                work.fail(LOOKUP, error)
                continue
            remote = found.get(work.listing.key)
            if remote is not None:
                work.row.remote_id = str(remote.remote_id)
                work.row.remote_sku_ids = {sku.key: str(sku.remote_id) for sku in remote.skus}
                if remote.state in State.values:
                    work.row.state = remote.state
                work.adopted = True


def _plan(works):
    delists, pushes, prices, stocks = [], [], [], []
    for work in works:
        if work.error is not None:
            continue
        listing, row = work.listing, work.row
        if not listing.active:
            if row.remote_id and row.state != State.DELISTED:
                delists.append(work)
        elif not row.remote_id or row.content_hash != listing.content_hash():
            work.creating = not row.remote_id
            pushes.append(work)
        else:
            if row.price_hash != listing.price_hash():
                prices.append(work)
            if row.stock_hash != listing.stock_hash():
                stocks.append(work)
    return delists, pushes, prices, stocks


def _send(caller, size, delists, pushes, prices, stocks):
    for chunk in _chunks(delists, size):
        remote_ids = {work.listing.key: work.row.remote_id for work in chunk}
        results, error = caller.call(DELIST, [work.listing.key for work in chunk], len(chunk), remote_ids=remote_ids)
        _apply(DELIST, [(work.listing.key, work) for work in chunk], results, error)
    for chunk in _chunks(pushes, size):
        remote_ids = {work.listing.key: work.row.remote_id for work in chunk if work.row.remote_id}
        results, error = caller.call(PUSH, [work.listing for work in chunk], len(chunk), remote_ids=remote_ids)
        _apply(PUSH, [(work.listing.key, work) for work in chunk], results, error)
    for op, works, value in ((PRICE, prices, lambda sku: sku.price), (STOCK, stocks, lambda sku: sku.quantity)):
        pairs = [(sku.key, work) for work in works for sku in work.listing.skus]
        for chunk in _chunks(pairs, size):
            items = [(key, value(work.listing.sku(key))) for key, work in chunk]
            remote_skus = {key: (work.row.remote_id, work.row.remote_sku_ids[key]) for key, work in chunk
                           if key in work.row.remote_sku_ids}
            results, error = caller.call(op, items, len(items), remote_skus=remote_skus)
            _apply(op, chunk, results, error)


# --- 3. settle -----------------------------------------------------------------------------

def _settle_success(work, report, now):
    row, listing = work.row, work.listing
    if work.done:
        row.last_synced_at = now
    if PUSH in work.done:
        result = work.push_result
        # A channel without ids of its own (a feed) knows the listing by its key.
        row.remote_id = str(result.remote_id) if result and result.remote_id else (row.remote_id or listing.key)
        if result is not None:
            row.remote_sku_ids = merge_sku_ids(row.remote_sku_ids, result.remote_sku_ids)
            row.state = result.state if result.state in State.values else State.LIVE
        row.content_hash, row.price_hash, row.stock_hash = (listing.content_hash(), listing.price_hash(),
                                                             listing.stock_hash())
        row.outcome_unknown = False
        if work.creating:
            report.created += 1
        else:
            report.updated += 1
    if work.adopted:
        row.outcome_unknown = False
        report.adopted += 1
    if PRICE in work.done:
        row.price_hash = listing.price_hash()
        report.price_updates += 1
    if STOCK in work.done:
        row.stock_hash = listing.stock_hash()
        report.stock_updates += 1
    if DELIST in work.done:
        row.state = State.DELISTED
        row.content_hash = listing.content_hash()
        report.delisted += 1


def _settle_failure(work, channel, now, rng) -> DeadLetter | None:
    row, error = work.row, work.error
    if work.creating or (work.error_op == LOOKUP and not row.remote_id):
        # Did a create perhaps happen?  Only a refusal before any work says no.
        row.outcome_unknown = work.was_unknown or work.error_op != PUSH or error.kind not in NO_EFFECT
    if row.remote_id:
        row.outcome_unknown = False     # nothing to look up: we know the remote id
    row.last_error_kind = error.kind.value
    row.last_error = f"{work.error_op}: {error.code} {error.message}"[:2000]
    if error.kind in COUNTED:
        row.attempts += 1
    if error.kind in DEAD_AT_ONCE or row.attempts >= channel.max_attempts:
        row.state = State.FAILED
        row.next_attempt_at = None
        return DeadLetter(listing=row, operation=work.error_op, error_kind=error.kind.value,
                          error_code=error.code[:64], message=error.message, attempts=row.attempts)
    if error.kind == ErrorKind.NOT_FOUND and work.error_op in (PUSH, PRICE, STOCK) and row.remote_id:
        # The channel no longer has it: create it afresh (looked up first).
        row.remote_id, row.remote_sku_ids = "", {}
        row.content_hash = row.price_hash = row.stock_hash = ""
        row.outcome_unknown = True
        row.next_attempt_at = now
        return None
    row.next_attempt_at = retry_at(error, attempt=max(row.attempts, 1), now=now, rng=rng)
    return None


def _settle(channel, works, caller, report, now, rng):
    dead, done_entries = [], []
    for work in works:
        row = work.row
        _settle_success(work, report, now)
        if work.error is None:
            row.attempts = 0
            row.next_attempt_at = None
            row.last_error_kind = row.last_error = ""
            if not work.done and not work.adopted:
                report.unchanged += 1
            done_entries += work.entry_ids
        else:
            letter = _settle_failure(work, channel, now, rng)
            if letter is not None:
                dead.append(letter)
                done_entries += work.entry_ids
                report.dead_lettered += 1
            else:
                report.deferred += 1
        row.updated_at = now
    with transaction.atomic():
        rows_update(ChannelListing, [work.row for work in works], SETTLED_FIELDS)
        if dead:
            DeadLetter.objects.bulk_create(dead)
        if done_entries:
            OutboxEntry.objects.filter(pk__in=done_entries).update(processed_at=now)
        if caller.calls:
            SyncCall.objects.bulk_create(caller.calls)


# --- the run -------------------------------------------------------------------------------

def relay_run(channel, *, connector=None, limit: int = 500, now: datetime | None = None,
              progress: Callable[[int], None] | None = None, sleep: Callable[[float], None] = time.sleep,
              rng: random.Random | None = None) -> RelayReport:
    """Send the due changes of up to ``limit`` products to ``channel``."""
    if connector is None:
        from .channels import connector_for

        connector = connector_for(channel)
    now = now or timezone.now()
    report = RelayReport(channel=channel.code)
    report.remote_delisted = remote_delists_send(channel, connector, report=report, now=now, sleep=sleep, rng=rng)
    claimed = _claim(channel, now=now, limit=limit, report=report)
    if not claimed:
        return report
    caller = _Caller(channel, connector, report, sleep)
    works: list[_Work] = []
    try:
        works = _prepare(channel, claimed, base_url=settings.CATALOG_SYNC_PUBLIC_URL)
    except BaseException:   # nothing prepared: give the claims back at once
        ChannelListing.objects.filter(pk__in=[row.pk for row, _ids in claimed.values()]).update(next_attempt_at=None)
        raise
    report.products = len(works)
    try:
        _lookups(caller, works, connector.max_batch)
        _send(caller, connector.max_batch, *_plan(works))
    except BaseException as exc:
        # A bug or a crash mid-run: what was answered is kept, the rest is retried
        # (and a create that may have been sent is looked up first).
        internal = ChannelError(ErrorKind.TRANSIENT, "internal", repr(exc)[:500])
        for work in works:
            if work.error is None:
                work.fail("internal", internal)
        _settle(channel, works, caller, report, now, rng)
        raise
    _settle(channel, works, caller, report, now, rng)
    if progress is not None:
        progress(len(works))
    return report


def relay_drain(channel, *, connector=None, limit: int = 500, progress=None, sleep=time.sleep) -> list[RelayReport]:
    """Run the relay until no due entry is left (entries waiting for a retry stay)."""
    reports = []
    while True:
        report = relay_run(channel, connector=connector, limit=limit, progress=progress, sleep=sleep)
        reports.append(report)
        if report.claimed == 0 or report.products == 0:
            return reports


def dead_letter_retry(dead_letter, *, now: datetime | None = None) -> OutboxEntry | None:
    """Give a dead listing another go: the letter is resolved, the listing's
    attempts reset, and a content entry queued (the relay decides what to send).
    None if the letter was already resolved."""
    now = now or timezone.now()
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().select_related("listing").get(pk=dead_letter.pk)
        if letter.resolved_at is not None:
            return None
        letter.resolved_at = now
        letter.save(update_fields=["resolved_at"])
        listing = letter.listing
        ChannelListing.objects.filter(pk=listing.pk).update(
            attempts=0, next_attempt_at=None, last_error="", last_error_kind="",
            state=State.PENDING if not listing.remote_id else State.LIVE, updated_at=now)
        return OutboxEntry.objects.create(channel_id=listing.channel_id, product_id=listing.product_id,
                                          kind=OutboxEntry.Kind.CONTENT, available_at=now)
