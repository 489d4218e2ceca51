"""Settings of the Celery worker that test_worker_kill starts: the test settings,
a broker from the environment (so tasks are queued, not run in process), the
slow fake connector for every channel, and the unacknowledged-message sweep
every second (kombu's default sweeps about every 100 s: 10 s × a throttle of 10)."""
from shop.settings.test import *  # noqa: F401,F403
from shop.settings.test import CELERY_BROKER_TRANSPORT_OPTIONS

CATALOG_SYNC_CONNECTOR_FACTORY = "tests.catalog_sync.orders.fake.slow_connector"
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS,
                                   "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
