"""The Celery configuration that makes the import tasks safe to redeliver, the
tasks run in process without a broker, their retries, the beat schedule and
the management command."""
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from celery.exceptions import Retry
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from oscar.core.loading import get_model

from catalog_sync import tasks
from catalog_sync.connectors.base import ChannelError, ConnectorError, ErrorKind
from catalog_sync.models import ImportedOrder, OrderCursor, Platform
from shop.celery import app
from tests.factories import make_product

from .conftest import make_channel
from .fake import FakeConnector, channel_order

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")


def test_late_ack_redelivery_and_retry_delays_below_the_visibility_timeout():
    conf = app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (True, True, 1)
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert visibility == 3600
    assert tasks.MAX_RETRY_DELAY == 600
    # A delayed retry waits in the worker unacknowledged: it must come due long
    # before Redis would hand the same message to another worker.
    assert tasks.MAX_RETRY_DELAY * 4 <= visibility
    for task in (tasks.channel_push, tasks.channel_import_orders, tasks.channel_reconcile, tasks.channel_push_events,
                 tasks.channel_audits):
        assert (task.acks_late, task.reject_on_worker_lost, task.retry_backoff_max, task.retry_jitter) == (
            True, True, tasks.MAX_RETRY_DELAY, True)
        assert tasks.TransientChannelError in task.autoretry_for
    # No broker configured (the embedded default): tasks run in process.
    assert settings.CELERY_BROKER_URL == ""
    assert conf.task_always_eager is True


def test_beat_schedule():
    schedule = app.conf.beat_schedule
    assert {name: (entry["task"], entry["schedule"]) for name, entry in schedule.items()} == {
        "catalog-sync-push": ("catalog_sync.channels_push_all", 60.0),
        "catalog-sync-orders": ("catalog_sync.channels_import_orders_all", 300.0),
        "catalog-sync-audits": ("catalog_sync.channels_audits_all", 600.0),
        "catalog-sync-reconcile": ("catalog_sync.channels_reconcile_all", crontab(hour=2, minute=30)),
        "catalog-sync-prune": ("catalog_sync.history_prune", crontab(hour=3, minute=40)),
    }
    assert set(app.tasks) >= {entry["task"] for entry in schedule.values()}


@pytest.fixture
def tea(db):
    return make_product(title="英德红茶 100克", price=Decimal("12.50"), stock=20)


def _orders(tea, count):
    sku = StockRecord.objects.get(product=tea).partner_sku
    moment = timezone.now() - timedelta(minutes=30)
    return [channel_order(f"T{index}", moment + timedelta(minutes=index), lines=[(sku, 1, "12.50")])
            for index in range(count)]


@pytest.mark.django_db
def test_import_task_runs_in_process(pdd, tea, registered):
    registered(pdd, FakeConnector(_orders(tea, 3), max_order_window=timedelta(days=2)))
    tasks.channel_import_orders.delay(pdd.pk)
    assert sorted(ImportedOrder.objects.values_list("external_id", flat=True)) == ["T0", "T1", "T2"]
    assert Order.objects.count() == 3
    assert OrderCursor.objects.get(channel=pdd).last_error == ""


@pytest.mark.django_db
def test_transient_errors_are_retried_after_a_backoff_or_the_platforms_wait(pdd, tea, registered):
    fake = registered(pdd, FakeConnector(_orders(tea, 1), max_order_window=timedelta(days=2)))
    # In process the retry surfaces to the caller (task_eager_propagates): its delay can be read.
    fake.fetch_failures = [ConnectorError(ChannelError(ErrorKind.TRANSIENT, "52102", "服务繁忙"))]
    with pytest.raises(Retry) as retry:
        tasks.channel_import_orders.delay(pdd.pk)
    assert isinstance(retry.value.exc, tasks.TransientChannelError)
    assert 0 <= retry.value.when <= tasks.RETRY_BACKOFF          # full jitter over the first backoff step
    fake.fetch_failures = [ConnectorError(ChannelError(ErrorKind.THROTTLED, "52101", "限流", retry_after=7.0))]
    with pytest.raises(Retry) as retry:
        tasks.channel_import_orders.delay(pdd.pk)
    assert retry.value.when == 7.0                                # "this ban will last 7 more seconds"
    fake.fetch_failures = [ConnectorError(ChannelError(ErrorKind.QUOTA_EXHAUSTED, "7", "配额", retry_after=86400.0))]
    with pytest.raises(Retry) as retry:
        tasks.channel_import_orders.delay(pdd.pk)
    assert retry.value.when == tasks.MAX_RETRY_DELAY              # never past the visibility timeout
    assert ImportedOrder.objects.count() == 0


@pytest.mark.django_db
def test_retried_task_completes_the_import(pdd, tea, registered, monkeypatch):
    fake = registered(pdd, FakeConnector(_orders(tea, 3), max_order_window=timedelta(days=2)))
    fake.fetch_failures = [ConnectorError(ChannelError(ErrorKind.TRANSIENT, "52102", "服务繁忙")),
                           ConnectorError(ChannelError(ErrorKind.THROTTLED, "52101", "限流", retry_after=2.0))]
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)   # let apply() run the retries
    result = tasks.channel_import_orders.apply(args=[pdd.pk])
    assert result.state == "SUCCESS"
    assert (fake.fetch_failures, len(fake.fetch_calls)) == ([], 2)   # both refusals used; then two pages read
    assert sorted(ImportedOrder.objects.values_list("external_id", flat=True)) == ["T0", "T1", "T2"]


@pytest.mark.django_db
def test_a_non_retryable_error_is_raised_at_once(pdd, tea, registered):
    fake = registered(pdd, FakeConnector(_orders(tea, 1), max_order_window=timedelta(days=2)))
    fake.fetch_failures = [ConnectorError(ChannelError(ErrorKind.CONFIG, "10001", "签名错误"))]
    with pytest.raises(ConnectorError):
        tasks.channel_import_orders.delay(pdd.pk)
    assert ImportedOrder.objects.count() == 0
    assert "签名错误" in OrderCursor.objects.get(channel=pdd).last_error


@pytest.mark.django_db
def test_fan_out_imports_every_enabled_channel_with_orders(pdd, tea, registered):
    registered(pdd, FakeConnector(_orders(tea, 2), max_order_window=timedelta(days=2)))
    make_channel("feed-test", Platform.MERCHANT_FEED)          # no orders: never asked
    off = make_channel("jd-off", Platform.JD)
    off.is_enabled = False
    off.save()
    tasks.channels_import_orders_all.delay()
    assert list(OrderCursor.objects.values_list("channel__code", flat=True)) == ["pdd-test"]
    assert ImportedOrder.objects.count() == 2


@pytest.mark.django_db
def test_reconcile_rescans_orders_behind_the_cursor(pdd, tea, registered, monkeypatch):
    fake = registered(pdd, FakeConnector(_orders(tea, 2), max_order_window=timedelta(days=3)))
    OrderCursor.objects.create(channel=pdd, imported_until=timezone.now())   # the cursor is past them
    monkeypatch.setattr("catalog_sync.reconcile.reconcile_run", lambda channel, connector: None)
    tasks.channel_reconcile.delay(pdd.pk)
    assert ImportedOrder.objects.count() == 2


@pytest.mark.django_db
def test_command_imports_with_a_progress_bar_over_windows(pdd, tea, registered, capsys):
    registered(pdd, FakeConnector(_orders(tea, 4), max_order_window=timedelta(hours=12)))
    out = StringIO()
    call_command("catalog_sync_orders", "--channel", "pdd-test", stdout=out)
    # One day back, 5 min overlap, 3 min behind: 24 h 2 min in 12-hour windows; the
    # orders (the last half hour) fill two pages of the last window.
    assert out.getvalue().strip() == "pdd-test：3 个时段，4 页，读到 4 单，新订单 4，生成本店订单 4，取消 0，待处理 0"
    assert "3/3" in capsys.readouterr().err        # tqdm draws its bar on stderr
    assert Order.objects.count() == 4
