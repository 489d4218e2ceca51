"""One small seeded database for the whole module, rolled back at the end."""
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from shop.core.demo.seed import model_counts

HOUSEHOLDS = 40
PRODUCTS = 30


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Runs ``seed_demo`` twice at a small scale; yields the counts after each run."""
    media = tmp_path_factory.mktemp("seed-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        try:
            with transaction.atomic():
                outputs = []
                counts = []
                for _ in range(2):
                    out = io.StringIO()
                    call_command("seed_demo", households=HOUSEHOLDS, products=PRODUCTS, no_progress=True, stdout=out)
                    outputs.append(out.getvalue())
                    counts.append(model_counts())
                yield {"counts": counts, "outputs": outputs, "media": media}
                raise _Rollback
        except _Rollback:
            pass
