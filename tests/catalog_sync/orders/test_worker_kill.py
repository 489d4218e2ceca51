"""A real Celery worker on Redis is killed (SIGKILL) in the middle of an order
import; a new worker picks the same message up again and every order ends up
imported exactly once, none lost.

Why it works: the task is acknowledged late (``task_acks_late``), so while it
runs its message sits in Redis's "unacked" set; the import is idempotent (one
ImportedOrder per channel and order, the cursor moved only after a window is
committed).  ``task_reject_on_worker_lost`` requeues at once when a prefork
*child* dies under a living parent; when the whole worker is killed, as here,
nobody is left to requeue, and Redis hands the message out again only once
it has been unacknowledged for the broker's visibility timeout.  Production
uses 3600 s; the worker started here uses ``VISIBILITY`` seconds (through
``CELERY_VISIBILITY_TIMEOUT``) so the test does not wait an hour, and sweeps
for such messages every second (``worker_settings``; kombu's default is about
every 100 s), so redelivery comes a little after ``VISIBILITY`` s.  The waits
below are generous polls, not timings."""
import os
import signal
import subprocess
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone
from oscar.core.loading import get_model

from catalog_sync.models import ImportedOrder, OrderCursor, Platform
from shop.attribution.models import LedgerEntry
from tests.factories import make_product

from . import fake
from .conftest import make_channel

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

BROKER = os.environ.get("XIANGPIN_ORDERS_CELERY_BROKER", "redis://127.0.0.1:6379/6")
VISIBILITY = 8          # seconds, for the test's workers only
COUNT = 12              # orders, 3 a page
DELAY = 0.25            # seconds the connector spends per order
CELERY = Path(settings.BASE_DIR) / ".venv" / "bin" / "celery"


def _redis_up():
    try:
        return redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs the live PostgreSQL test database"),
    pytest.mark.skipif(not _redis_up(), reason=f"no Redis at {BROKER}"),
]


def _database_url():
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_env(*, base, sku):
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tests.catalog_sync.orders.worker_settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "PYTHONPATH": str(settings.BASE_DIR),
        fake.SLOW_BASE_ENV: base.isoformat(),
        fake.SLOW_COUNT_ENV: str(COUNT),
        fake.SLOW_DELAY_ENV: str(DELAY),
        fake.SLOW_SKU_ENV: sku,
    })
    return env


def _start_worker(name, env, log):
    return subprocess.Popen(
        [str(CELERY), "-A", "shop", "worker", "--pool=solo", "--concurrency=1", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=INFO", "-n", f"{name}@%h"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _stop(process, sig):
    if process is not None and process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=60)


def _wait_for(what, predicate, log_path, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    tail = Path(log_path).read_text(errors="replace")[-4000:]
    raise AssertionError(f"gave up waiting for {what}; worker log:\n{tail}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killed_worker_mid_import_loses_and_duplicates_nothing(tmp_path):
    channel = make_channel("tb-kill", Platform.TAOBAO)
    product = make_product(title="英德红茶 100克", price=Decimal("19.90"), stock=COUNT + 8)
    sku = StockRecord.objects.get(product=product).partner_sku
    base = timezone.now() - timedelta(hours=3)
    expected = [order.external_id for order in fake.slow_orders(base=base, count=COUNT, sku=sku)]
    env = _worker_env(base=base, sku=sku)
    broker = redis.Redis.from_url(BROKER)
    broker.flushdb()   # this test's Redis database: no message left from an earlier run
    producer = Celery("orders-kill-test", broker=BROKER)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    first = second = None
    try:
        with open(logs[0], "w") as log:
            first = _start_worker("orders-kill-1", env, log)
        producer.send_task("catalog_sync.channel_import_orders", args=[channel.pk])

        _wait_for("the first imported order", lambda: ImportedOrder.objects.filter(channel=channel).exists(), logs[0])
        _stop(first, signal.SIGKILL)
        imported_at_kill = ImportedOrder.objects.filter(channel=channel).count()
        assert 0 < imported_at_kill < COUNT, "the worker must die in the middle of the import"
        assert OrderCursor.objects.get(channel=channel).imported_until is None
        # Acknowledged late: the message is still Redis's, unacknowledged.
        assert broker.hlen("unacked") == 1

        with open(logs[1], "w") as log:
            second = _start_worker("orders-kill-2", env, log)
        _wait_for("the redelivered import to finish",
                  lambda: OrderCursor.objects.filter(channel=channel, imported_until__isnull=False).exists(), logs[1])
        _stop(second, signal.SIGTERM)   # warm shutdown: lets a running task finish
    finally:
        _stop(first, signal.SIGKILL)
        _stop(second, signal.SIGKILL)
        producer.close()

    assert sorted(ImportedOrder.objects.filter(channel=channel).values_list("external_id", flat=True)) == expected
    assert sorted(Order.objects.values_list("number", flat=True)) == [f"TB-KILL-{number}" for number in expected]
    assert StockRecord.objects.get(product=product).num_allocated == COUNT
    assert LedgerEntry.objects.count() == COUNT
    assert sum(LedgerEntry.objects.values_list("sales_amount", flat=True)) == Decimal("19.90") * COUNT
    # Nothing left to deliver or waiting for an acknowledgement.
    assert (broker.llen("celery"), broker.hlen("unacked")) == (0, 0)
    broker.flushdb()
