"""rows_update writes each row's own values, exactly as a save would (PostgreSQL's
UPDATE … FROM (VALUES …); bulk_update on other databases)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog_sync import bulk
from catalog_sync.bulk import rows_update
from catalog_sync.models import ChannelListing
from catalog_sync.relay import SETTLED_FIELDS
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values(channel, monkeypatch):
    rows = [ChannelListing.objects.create(channel=channel, product=make_product(title=f"梅州金柚 {n}"), key=f"K{n}")
            for n in range(5)]
    other = ChannelListing.objects.create(channel=channel, product=make_product(title="未动"), key="UNTOUCHED")
    now = timezone.now()
    for n, row in enumerate(rows):
        row.remote_id = str(2**63 - n)
        row.remote_sku_ids = {f"K{n}-1": f"90{n}", "规格": ""}
        row.state = ["live", "failed", "in_review", "delisted", "pending"][n]
        row.content_hash, row.price_hash, row.stock_hash = f"c{n}", f"p{n}", ""
        row.outcome_unknown = n % 2 == 1
        row.attempts = n
        row.next_attempt_at = None if n % 2 else now + timedelta(seconds=n)
        row.last_error_kind, row.last_error = ("transient", f"第{n}次：'引号' \"双引号\"") if n else ("", "")
        row.last_synced_at = now - timedelta(minutes=n)
        row.updated_at = now
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 2)
    with CaptureQueriesContext(connection) as captured:
        rows_update(ChannelListing, rows, SETTLED_FIELDS)
    updates = [q["sql"] for q in captured if q["sql"].startswith("UPDATE")]
    if connection.vendor == "postgresql":
        assert len(updates) == 3                        # 5 rows, 2 a statement
    fields = SETTLED_FIELDS
    saved = {row.pk: row for row in ChannelListing.objects.filter(pk__in=[r.pk for r in rows])}
    assert [[getattr(saved[row.pk], name) for name in fields] for row in rows] == [
        [getattr(row, name) for name in fields] for row in rows]
    untouched = ChannelListing.objects.get(pk=other.pk)
    assert (untouched.key, untouched.remote_id, untouched.state) == ("UNTOUCHED", "", "pending")


def test_nothing_to_write_makes_no_query(channel):
    with CaptureQueriesContext(connection) as captured:
        rows_update(ChannelListing, [], SETTLED_FIELDS)
    assert len(captured) == 0
