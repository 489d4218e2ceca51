"""Concurrent placements take batch units under row locks (PostgreSQL): no batch
is over-allocated, no unit counted twice, no deadlock with lines in opposite order."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from shop.attribution import services
from shop.attribution.models import LedgerEntry, LineAllocation
from tests.factories import MarketSubjectFactory, make_batch, make_household, make_product, place_order

THREADS = 8


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_orders_share_out_batches_exactly():
    subject = MarketSubjectFactory()
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    wang = make_household(market_subjects=[subject], registration_number="JD-WANG")
    pomelo = make_product(title="梅州金柚", price=Decimal("39.90"), stock=0, market_subject=subject)
    tea = make_product(title="英德红茶", price=Decimal("12.50"), stock=0, market_subject=subject)
    pomelo_batches = [
        make_batch(product=pomelo, quantity=4, households=[(li, 4)], harvested_on=datetime.date(2026, 10, 1)),
        make_batch(product=pomelo, quantity=4, households=[(wang, 4)], harvested_on=datetime.date(2026, 10, 2)),
    ]
    tea_batch = make_batch(product=tea, quantity=THREADS, households=[(li, THREADS)])

    # Orders placed (Oscar's stock allocation serialises on the stock rows), then
    # attributed all at once, so only the batch locks stand between them; half
    # the orders list the products in the opposite order.
    orders = [
        place_order(lines=[(pomelo, 1), (tea, 1)] if index % 2 else [(tea, 1), (pomelo, 1)], attribute=False)
        for index in range(THREADS)
    ]
    barrier = threading.Barrier(THREADS, timeout=30)
    errors = []

    def attribute(index):
        try:
            barrier.wait()
            with transaction.atomic():
                services.order_attribute(order=orders[index])
        except Exception as exc:  # noqa: BLE001 - the test counts them
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attribute, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert errors == []
    assert LedgerEntry.objects.values("line__order").distinct().count() == THREADS
    for batch in pomelo_batches + [tea_batch]:
        batch.refresh_from_db()
        allocated = LineAllocation.objects.filter(batch=batch).aggregate(q=Sum("quantity"))["q"]
        assert (batch.quantity_allocated, allocated) == (batch.quantity, batch.quantity)
    # FIFO: the first four pomelo units came from the October 1 batch, to Li.
    assert LedgerEntry.objects.filter(product=pomelo, household=li).aggregate(q=Sum("quantity"))["q"] == Decimal("4.000")
    assert LedgerEntry.objects.filter(product=pomelo, household=wang).aggregate(q=Sum("quantity"))["q"] == Decimal("4.000")
    assert LedgerEntry.objects.aggregate(a=Sum("sales_amount"))["a"] == THREADS * (Decimal("39.90") + Decimal("12.50"))
