"""Polling: windows cut to the platform's maximum, pages read to the end,
overlapping windows and repeated runs, an order moved between pages mid-scan,
orders on window bounds and one shown late: every order imported exactly once,
and the cursor following the windows."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from catalog_sync.models import ImportedOrder, OrderCursor
from catalog_sync.orders import order_windows, orders_import
from tests.factories import make_product

from .fake import CHINA, FakeConnector, channel_order

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

NOW1 = datetime(2026, 11, 20, 12, 0, tzinfo=CHINA)
NOW2 = datetime(2026, 11, 20, 12, 10, tzinfo=CHINA)


def at(hour, minute):
    return datetime(2026, 11, 20, hour, minute, tzinfo=CHINA)


def test_order_windows_cut_to_the_maximum():
    assert order_windows(at(9, 55), at(11, 57), timedelta(minutes=30)) == [
        (at(9, 55), at(10, 25)), (at(10, 25), at(10, 55)), (at(10, 55), at(11, 25)),
        (at(11, 25), at(11, 55)), (at(11, 55), at(11, 57))]
    assert order_windows(at(10, 0), at(10, 0), timedelta(minutes=30)) == []


def test_each_order_imported_once_across_windows_pages_and_runs(pdd):
    product = make_product(title="徐闻菠萝 5斤装", price=Decimal("29.90"), stock=100)
    sku = StockRecord.objects.get(product=product).partner_sku
    line = [(sku, 1, "29.90")]
    fake = FakeConnector(page_size=2, max_order_window=timedelta(minutes=30))
    for external_id, moment in [("A1", at(10, 0)), ("A2", at(10, 5)), ("A3", at(10, 10)), ("A4", at(10, 15)),
                                ("B", at(10, 25)),  # exactly on the bound of windows 1 and 2
                                ("C1", at(10, 30)), ("C2", at(10, 40)), ("C3", at(10, 50)),
                                ("F", at(11, 57)),  # exactly at the end of run 1 (now - PDD's 3 min)
                                ("G", at(11, 58))]:  # behind the clock: for run 2
        fake.put(channel_order(external_id, moment, lines=line))
    fake.put(channel_order("D", at(11, 0), lines=line, paid=False))
    fake.put(channel_order("E", at(11, 10), lines=line, paid=False, cancelled=True))
    OrderCursor.objects.create(channel=pdd, imported_until=at(10, 0))

    def modify_a1_before_first_page(connector, call, start, end, cursor):
        # Window 1 is read last page first: [B], [A3, A4], then page 1.  Before
        # page 1, A1 is modified on the platform (its time now beyond the window):
        # the pages shift, page 1 becomes [A2, A3] (A3 again), nothing is missed.
        if call == 3:
            assert (start, cursor) == (at(9, 55), "1")
            connector.change("A1", updated_at=NOW1)

    fake.on_fetch = modify_a1_before_first_page
    report = orders_import(pdd, fake, now=NOW1)

    assert [(start, end) for start, end, _cursor in fake.fetch_calls] == [
        (at(9, 55), at(10, 25))] * 3 + [(at(10, 25), at(10, 55))] * 2 + [
        (at(10, 55), at(11, 25)), (at(11, 25), at(11, 55)), (at(11, 55), at(11, 57))]
    assert [cursor for _start, _end, cursor in fake.fetch_calls] == [None, "2", "1", None, "1", None, None, None]
    assert (report.windows, report.pages, report.seen, report.new, report.orders_created) == (5, 8, 12, 10, 8)
    assert sorted(ImportedOrder.objects.values_list("external_id", flat=True)) == [
        "A2", "A3", "A4", "B", "C1", "C2", "C3", "D", "E", "F"]
    assert OrderCursor.objects.get(channel=pdd).imported_until == at(11, 57)

    # Shown late: modified at 11:54 (before run 1's end) but indexed after run 1.
    fake.on_fetch = None
    fake.put(channel_order("L", at(11, 54), lines=line))
    fake.fetch_calls.clear()
    report = orders_import(pdd, fake, now=NOW2)
    # Run 2 starts 5 min before the cursor: [11:52, 12:07].
    assert [(start, end) for start, end, _cursor in fake.fetch_calls] == [(at(11, 52), at(12, 7))] * 2
    assert (report.seen, report.new, report.orders_created) == (4, 3, 3)   # F again; L, A1, G new
    assert OrderCursor.objects.get(channel=pdd).imported_until == at(12, 7)

    # The same run again, and a full re-scan from 10:00: nothing new.
    report = orders_import(pdd, fake, now=NOW2)
    assert (report.seen, report.new, report.orders_created) == (0, 0, 0)
    report = orders_import(pdd, fake, now=NOW2, since=at(10, 0))
    assert (report.seen, report.new, report.orders_created) == (14, 0, 0)   # 13 orders, B twice
    assert OrderCursor.objects.get(channel=pdd).imported_until == at(12, 7)   # never moved back

    numbers = sorted(Order.objects.values_list("number", flat=True))
    assert numbers == [f"PDD-TEST-{x}" for x in ["A1", "A2", "A3", "A4", "B", "C1", "C2", "C3", "F", "G", "L"]]
    assert ImportedOrder.objects.count() == 13
    assert dict(ImportedOrder.objects.filter(external_id__in=["D", "E"]).values_list("external_id", "state")) == {
        "D": "awaiting_payment", "E": "cancelled"}
    # One unit allocated per order, once.
    assert StockRecord.objects.get(product=product).num_allocated == 11


def test_first_run_looks_back_one_day_and_stays_behind_the_clock(pdd):
    fake = FakeConnector(max_order_window=timedelta(hours=12))
    report = orders_import(pdd, fake, now=NOW1)
    start = NOW1 - timedelta(days=1, minutes=5)
    assert (report.start, report.end) == (start, NOW1 - timedelta(minutes=3))
    assert [(s, e) for s, e, _c in fake.fetch_calls] == [
        (start, start + timedelta(hours=12)), (start + timedelta(hours=12), start + timedelta(hours=24)),
        (start + timedelta(hours=24), NOW1 - timedelta(minutes=3))]
    cursor = OrderCursor.objects.get(channel=pdd)
    assert (cursor.imported_until, cursor.last_run_at, cursor.last_success_at, cursor.last_error) == (
        NOW1 - timedelta(minutes=3), NOW1, NOW1, "")


def test_the_lag_is_the_platforms_unless_the_channel_sets_its_own(monkeypatch):
    from catalog_sync.models import Channel
    from catalog_sync.orders import order_lag

    pdd, jd = Channel(code="pdd-pavilion", platform="pinduoduo"), Channel(code="jd-pavilion", platform="jd")
    assert (order_lag(pdd), order_lag(jd)) == (timedelta(minutes=3), timedelta(minutes=1))
    monkeypatch.setenv("CATALOG_SYNC_JD_PAVILION_ORDER_LAG", "0")
    monkeypatch.setenv("CATALOG_SYNC_PDD_PAVILION_ORDER_LAG", "90")
    assert (order_lag(pdd), order_lag(jd)) == (timedelta(seconds=90), timedelta(0))
