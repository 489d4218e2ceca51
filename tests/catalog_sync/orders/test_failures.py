"""A write that fails mid-window: the run stops, the cursor stays where the last
complete window ended, and the re-run imports the rest without duplicates."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from catalog_sync import orders as orders_module
from catalog_sync.connectors.base import ChannelError, ConnectorError, ErrorKind
from catalog_sync.models import ImportedOrder, OrderCursor
from catalog_sync.orders import orders_import
from tests.factories import make_product

from .fake import CHINA, FakeConnector, channel_order

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=CHINA)


def at(hour, minute):
    return datetime(2026, 11, 20, hour, minute, tzinfo=CHINA)


@pytest.fixture
def fake(pdd):
    product = make_product(title="化州橘红 250克", price=Decimal("58.00"), stock=50)
    sku = StockRecord.objects.get(product=product).partner_sku
    connector = FakeConnector(page_size=2, max_order_window=timedelta(minutes=30))
    # Window 1 [10:55, 11:25]: W1..W4; window 2 [11:25, 11:55]: W5, W6; window 3 [11:55, 11:57].
    for index, moment in enumerate([at(11, 0), at(11, 5), at(11, 10), at(11, 22), at(11, 30), at(11, 40)], 1):
        connector.put(channel_order(f"W{index}", moment, lines=[(sku, 2, "58.00")]))
    OrderCursor.objects.create(channel=pdd, imported_until=at(11, 0))
    connector.product = product
    return connector


def test_cursor_not_advanced_past_a_window_whose_write_failed(pdd, fake, monkeypatch):
    real = orders_module._order_create
    failures = []

    def failing_once(channel, channel_order):
        if channel_order.external_id == "W4" and not failures:   # W4 is read 2nd (last page first: W3, W4)
            failures.append(channel_order.external_id)
            raise RuntimeError("database went away")
        return real(channel, channel_order)

    monkeypatch.setattr(orders_module, "_order_create", failing_once)
    with pytest.raises(RuntimeError, match="database went away"):
        orders_import(pdd, fake, now=NOW)
    cursor = OrderCursor.objects.get(channel=pdd)
    assert (cursor.imported_until, cursor.last_error, cursor.last_success_at) == (
        at(11, 0), "RuntimeError('database went away')", None)
    # W3 was committed before W4 failed; W4 left nothing behind.
    assert list(ImportedOrder.objects.values_list("external_id", flat=True)) == ["W3"]
    assert StockRecord.objects.get(product=fake.product).num_allocated == 2

    report = orders_import(pdd, fake, now=NOW)
    assert (report.seen, report.new, report.orders_created) == (6, 5, 5)
    assert sorted(Order.objects.values_list("number", flat=True)) == [f"PDD-TEST-W{i}" for i in range(1, 7)]
    assert ImportedOrder.objects.count() == 6
    assert StockRecord.objects.get(product=fake.product).num_allocated == 12
    cursor.refresh_from_db()
    assert (cursor.imported_until, cursor.last_error, cursor.last_success_at) == (at(11, 57), "", NOW)


def test_a_connector_failure_in_a_later_window_keeps_the_earlier_windows(pdd, fake):
    def fail_in_window_2(connector, call, start, end, cursor):
        if start == at(11, 25):
            raise ConnectorError(ChannelError(ErrorKind.TRANSIENT, "52102", "服务繁忙"))

    fake.on_fetch = fail_in_window_2
    with pytest.raises(ConnectorError):
        orders_import(pdd, fake, now=NOW)
    assert OrderCursor.objects.get(channel=pdd).imported_until == at(11, 25)
    assert ImportedOrder.objects.count() == 4

    fake.on_fetch = None
    report = orders_import(pdd, fake, now=NOW)
    # Re-read from 11:20 (the overlap): W4 again, then W5, W6.
    assert (report.seen, report.new) == (3, 2)
    assert ImportedOrder.objects.count() == Order.objects.count() == 6
