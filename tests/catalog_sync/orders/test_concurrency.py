"""Two workers import the same order at the same moment (PostgreSQL): one
ImportedOrder, one Oscar order, the stock allocated and the ledger written once."""
import threading
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from oscar.core.loading import get_model

from catalog_sync.models import ImportedOrder, Platform
from catalog_sync.orders import order_import_one
from shop.attribution.models import LedgerEntry
from tests.factories import make_batch, make_household, make_product

from .conftest import make_channel
from .fake import CHINA, channel_order

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

THREADS = 2
ROUNDS = 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_order_imported_by_two_threads_at_once_is_stored_once():
    channel = make_channel("wx-test", Platform.WECHAT_SHOP)
    product = make_product(title="德庆贡柑 5斤装", price=Decimal("45.00"), stock=0)
    li = make_household(market_subjects=[product.origin.market_subject], registration_number="JD-LI")
    make_batch(product=product, quantity=20, households=[(li, 20)], purchase_price=Decimal("15.00"))
    sku = StockRecord.objects.get(product=product).partner_sku
    errors, results = [], []

    for round_number in range(ROUNDS):
        order = channel_order(f"3705{round_number:015d}", datetime(2026, 11, 20, 10, round_number, tzinfo=CHINA),
                              lines=[(sku, 3, "45.00")])
        barrier = threading.Barrier(THREADS, timeout=30)

        def work():
            try:
                barrier.wait()
                results.append(order_import_one(channel, order))
            except Exception as exc:  # noqa: BLE001 - the test counts them
                errors.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert sorted((result.is_new, result.order_created) for result in results) == [(False, False)] * ROUNDS + [
        (True, True)] * ROUNDS
    assert ImportedOrder.objects.count() == ROUNDS
    assert Order.objects.count() == ROUNDS
    assert StockRecord.objects.get(product=product).num_allocated == 3 * ROUNDS
    assert LedgerEntry.objects.count() == ROUNDS
    assert sorted(LedgerEntry.objects.values_list("sales_amount", flat=True)) == [Decimal("135.00")] * ROUNDS
