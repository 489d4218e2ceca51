"""Writing the ledger for an order costs a constant number of queries, whatever
its number of lines, batches per line and households per batch."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shop.attribution.models import LedgerEntry
from shop.attribution.services import order_attribute
from tests.factories import MarketSubjectFactory, make_batch, make_household, make_product, place_order

pytestmark = pytest.mark.django_db

# read lines (with origin and region), read existing allocations, check the order is
# not yet attributed, lock candidate batches, read contributions (with households'
# regions), one bulk update of the batches, one bulk insert each of allocations and
# entries — plus the savepoint pair of the service's own atomic block.
QUERIES_PER_ORDER = 10


def _order_with(lines, batches_per_line, households_per_batch):
    subject = MarketSubjectFactory()
    households = [make_household(market_subjects=[subject]) for _ in range(households_per_batch)]
    products = []
    for index in range(lines):
        product = make_product(title=f"梅州金柚 {index}", price=Decimal("19.90"), stock=0, market_subject=subject)
        for day in range(batches_per_line):
            make_batch(product=product, quantity=2, households=[(household, Decimal("0.4")) for household in households],
                       harvested_on=datetime.date(2026, 10, 1 + day))
        products.append(product)
    # Each line takes units from every batch of its product.
    return place_order(lines=[(product, 2 * batches_per_line) for product in products], attribute=False)


@pytest.mark.parametrize("lines, batches_per_line, households_per_batch", [(1, 1, 1), (12, 3, 4)])
def test_order_attribution_query_count_is_constant(lines, batches_per_line, households_per_batch):
    order = _order_with(lines, batches_per_line, households_per_batch)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        order_attribute(order=order)
    assert len(queries) == QUERIES_PER_ORDER, "\n".join(query["sql"][:120] for query in queries)
    # Each batch part has one entry per household plus the subject's own share.
    assert LedgerEntry.objects.filter(line__order=order).count() == lines * batches_per_line * (households_per_batch + 1)
