"""Background jobs of catalog_sync: thin, idempotent Celery tasks.

Each task is safe to run twice (the relay claims under row locks, order imports
are unique per channel and order, push receipts per event), which is what lets
them be acknowledged late: a worker that dies mid-task leaves its message to be
delivered again (``CELERY_TASK_ACKS_LATE``, ``CELERY_TASK_REJECT_ON_WORKER_LOST``).

Transient failures (a platform that is busy or throttling, a dropped database
connection) are retried with exponential backoff and full jitter, capped at
``MAX_RETRY_DELAY``: well below the broker's visibility timeout, or Redis would
hand a delayed retry to a second worker while the first still holds it.

Nothing here imports a model at import time (``shop.celery`` reads the beat
schedule before Django is set up)."""
from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab
from django.db import InterfaceError, OperationalError

from .connectors.base import ConnectorError

MAX_RETRY_DELAY = 600          # seconds; the visibility timeout is 3600 (shop.settings.base)
RETRY_BACKOFF = 10             # first retry after up to 10 s, then 20, 40, … up to MAX_RETRY_DELAY
MAX_RETRIES = 8


class TransientChannelError(Exception):
    """A retryable ``ConnectorError`` (throttled, busy, token refreshed, …)."""


TRANSIENT = (TransientChannelError, OperationalError, InterfaceError, ConnectionError, TimeoutError)

RETRYING = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": RETRY_BACKOFF,
    "retry_backoff_max": MAX_RETRY_DELAY,
    "retry_jitter": True,
    "max_retries": MAX_RETRIES,
}

BEAT_SCHEDULE = {
    "catalog-sync-push": {"task": "catalog_sync.channels_push_all", "schedule": 60.0,
                          "options": {"expires": 60}},
    "catalog-sync-orders": {"task": "catalog_sync.channels_import_orders_all", "schedule": 300.0,
                            "options": {"expires": 300}},
    "catalog-sync-audits": {"task": "catalog_sync.channels_audits_all", "schedule": 600.0,
                            "options": {"expires": 600}},
    "catalog-sync-prune": {"task": "catalog_sync.history_prune", "schedule": crontab(hour=3, minute=40),
                           "options": {"expires": 3600}},
    "catalog-sync-reconcile": {"task": "catalog_sync.channels_reconcile_all",
                               "schedule": crontab(hour=2, minute=30),
                               "options": {"expires": 3600}},
}


def _channel(channel_id):
    from .models import Channel

    return Channel.objects.filter(pk=channel_id, is_enabled=True).first()


def _transient(task, call):
    """Run ``call``; a retryable connector error becomes a retry (after the
    platform's own ``retry_after`` when it gives one)."""
    try:
        return call()
    except ConnectorError as exc:
        if not exc.error.retryable:
            raise
        if exc.error.retry_after:
            raise task.retry(exc=exc, countdown=min(exc.error.retry_after, MAX_RETRY_DELAY)) from exc
        raise TransientChannelError(str(exc)) from exc


@shared_task(name="catalog_sync.channel_push", **RETRYING)
def channel_push(self, channel_id):
    """Send the channel's pending listing changes (the outbox relay)."""
    channel = _channel(channel_id)
    if channel is None:
        return
    from .orders import channel_connector
    from .relay import relay_run

    _transient(self, lambda: relay_run(channel, connector=channel_connector(channel)))


@shared_task(name="catalog_sync.channel_import_orders", **RETRYING)
def channel_import_orders(self, channel_id):
    """Import the channel's orders since its cursor."""
    channel = _channel(channel_id)
    if channel is None:
        return
    from .models import Platform
    from .orders import channel_connector, orders_import

    if channel.platform == Platform.MERCHANT_FEED:   # a product feed has no orders
        return
    _transient(self, lambda: orders_import(channel, channel_connector(channel)))


@shared_task(name="catalog_sync.channel_reconcile", **RETRYING)
def channel_reconcile(self, channel_id):
    """Nightly: re-read the last two days of orders (whatever the cursor says) and
    compare the channel's stock and prices with ours."""
    channel = _channel(channel_id)
    if channel is None:
        return
    from django.utils import timezone

    from .models import Platform
    from .orders import RECONCILE_SPAN, channel_connector, orders_import

    connector = channel_connector(channel)
    now = timezone.now()
    if channel.platform != Platform.MERCHANT_FEED:
        _transient(self, lambda: orders_import(channel, connector, now=now, since=now - RECONCILE_SPAN))
    from .reconcile import reconcile_run

    _transient(self, lambda: reconcile_run(channel, connector=connector))


@shared_task(name="catalog_sync.channel_audits", **RETRYING)
def channel_audits(self, channel_id):
    """Read back the channel's listings in review (WeChat Shop's audit) and record the decisions."""
    channel = _channel(channel_id)
    if channel is None:
        return
    from .audits import audits_poll
    from .orders import channel_connector

    _transient(self, lambda: audits_poll(channel, connector=channel_connector(channel)))


@shared_task(name="catalog_sync.channel_push_events", **RETRYING)
def channel_push_events(self, channel_id, events):
    """Process verified push events (dicts from ``orders.event_to_dict``)."""
    channel = _channel(channel_id)
    if channel is None:
        return
    from .orders import channel_connector, event_from_dict, push_events_process

    _transient(self, lambda: push_events_process(channel, channel_connector(channel),
                                                 [event_from_dict(event) for event in events]))


def _enabled_channel_ids(*, with_orders=False):
    from .models import Channel, Platform

    channels = Channel.objects.filter(is_enabled=True)
    if with_orders:   # a product feed has no orders
        channels = channels.exclude(platform=Platform.MERCHANT_FEED)
    return list(channels.order_by("pk").values_list("pk", flat=True))


@shared_task(name="catalog_sync.channels_push_all", ignore_result=True)
def channels_push_all():
    for channel_id in _enabled_channel_ids():
        channel_push.delay(channel_id)


@shared_task(name="catalog_sync.channels_import_orders_all", ignore_result=True)
def channels_import_orders_all():
    for channel_id in _enabled_channel_ids(with_orders=True):
        channel_import_orders.delay(channel_id)


@shared_task(name="catalog_sync.channels_audits_all", ignore_result=True)
def channels_audits_all():
    from .models import Channel, ChannelListing

    in_review = ChannelListing.objects.filter(state=ChannelListing.State.IN_REVIEW).values("channel_id")
    for channel_id in (Channel.objects.filter(is_enabled=True, pk__in=in_review)
                       .order_by("pk").values_list("pk", flat=True)):
        channel_audits.delay(channel_id)


@shared_task(name="catalog_sync.channels_reconcile_all", ignore_result=True)
def channels_reconcile_all():
    for channel_id in _enabled_channel_ids():
        channel_reconcile.delay(channel_id)


@shared_task(name="catalog_sync.history_prune", ignore_result=True)
def history_prune():
    """Nightly: delete processed outbox entries and old call records."""
    from .housekeeping import history_prune as prune

    prune()
