"""The Celery app (``celery -A shop worker`` / ``celery -A shop beat``), configured
from the Django settings whose names start with ``CELERY_``.  Without a broker
(``CELERY_BROKER_URL`` empty, the embedded default) every task runs in process."""
import os

from celery import Celery

from catalog_sync.tasks import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {**BEAT_SCHEDULE}
app.autodiscover_tasks()
