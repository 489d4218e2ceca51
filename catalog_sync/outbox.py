"""The transactional outbox: a change to a product writes, in the caller's own
transaction, one ``OutboxEntry`` per channel the product is enabled on.  A
rolled-back change leaves no entry; a committed one is never lost.

Cheap on the hot paths (checkout, flash sales): one query to find the enabled
channel products and one bulk insert; and nothing at all while no channel is
enabled, thanks to a per-process flag (``any_channel_enabled``) that is cleared
whenever a channel is saved or deleted in this process.  A "no channel" answer
is trusted for a few seconds only, so another process enabling the first
channel is noticed quickly; a "some channel" answer costs only the channel
product query when it is stale."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from .models import Channel, ChannelProduct, OutboxEntry

Kind = OutboxEntry.Kind

FLAG_TTL_WHEN_NONE = 5.0      # seconds a "no channel enabled" answer is trusted
FLAG_TTL_WHEN_SOME = 300.0    # seconds a "some channel enabled" answer is trusted

_flag_lock = threading.Lock()
_flag = {"value": None, "until": 0.0}


def channels_changed() -> None:
    """Forget the cached answer (a channel was saved or deleted)."""
    with _flag_lock:
        _flag["value"] = None
        _flag["until"] = 0.0


def any_channel_enabled() -> bool:
    now = time.monotonic()
    value = _flag["value"]
    if value is not None and now < _flag["until"]:
        return value
    value = Channel.objects.filter(is_enabled=True).exists()
    with _flag_lock:
        _flag["value"] = value
        _flag["until"] = now + (FLAG_TTL_WHEN_SOME if value else FLAG_TTL_WHEN_NONE)
    return value


def _ids(products) -> list[int]:
    ids = set()
    for product in products:
        pk = product if isinstance(product, int) else product.pk
        if pk is not None:
            ids.add(pk)
    return sorted(ids)


def _kinds(kind) -> tuple[str, ...]:
    if isinstance(kind, str):
        return (kind,)
    return tuple(kind)


def outbox_mark(products: Iterable, kind, *, now: datetime | None = None) -> int:
    """Mark ``products`` (instances or ids; a variant marks its parent's listing)
    dirty on every enabled channel they are enabled on.  ``kind`` is an
    ``OutboxEntry.Kind`` or several.  Returns the number of entries written.
    Call inside the transaction that makes the change."""
    ids = _ids(products)
    if not ids or not any_channel_enabled():
        return 0
    pairs = set(
        ChannelProduct.objects.filter(Q(product_id__in=ids) | Q(product__children__in=ids),
                                      is_enabled=True, channel__is_enabled=True)
        .values_list("channel_id", "product_id")
    )
    return _write(sorted(pairs), _kinds(kind), now)


def outbox_mark_channel(channel, products: Iterable, kind, *, now: datetime | None = None) -> int:
    """Mark ``products`` dirty on ``channel`` whether or not they (or it) are
    enabled: a product taken off a channel still needs its delisting."""
    channel_id = channel if isinstance(channel, int) else channel.pk
    return _write([(channel_id, pk) for pk in _ids(products)], _kinds(kind), now)


def _write(pairs, kinds, now) -> int:
    if not pairs:
        return 0
    now = now or timezone.now()
    entries = [OutboxEntry(channel_id=channel_id, product_id=product_id, kind=kind, available_at=now)
               for channel_id, product_id in pairs for kind in kinds]
    OutboxEntry.objects.bulk_create(entries)
    return len(entries)
