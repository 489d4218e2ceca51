"""The real checkout (test client: basket → pickup point → pay at pickup → place
order) allocates the lines to batches and writes the ledger in the same
transaction; a refused placement writes nothing."""
import datetime
from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, start_as_guest
from tests.factories import make_batch, make_household, make_product

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def test_checkout_attributes_the_order(client, plain_point):
    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=1)
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    batch = make_batch(product=pomelo, quantity=2, households=[(li, 2)], purchase_price=Decimal("15.00"),
                       harvested_on=datetime.date(2026, 11, 2))
    add_to_basket(client, pomelo, 3)
    start_as_guest(client, "guest@example.com")
    go_to_preview(client, plain_point)
    response = place_order(client)
    assert response.status_code == 302

    line = Order.objects.get().lines.get()
    assert list(LineAllocation.objects.filter(line=line).values_list("batch", "quantity")) == [(batch.pk, 2)]
    assert list(LedgerEntry.objects.filter(line=line).values_list("household", "quantity", "sales_amount", "income")) == [
        (li.pk, Decimal("2.000"), Decimal("79.80"), Decimal("30.00")),
        (None, Decimal("1.000"), Decimal("39.90"), Decimal("0.00")),
    ]


def test_a_placement_failing_after_attribution_leaves_nothing(client, plain_point, monkeypatch):
    from shop.checkout import placement as checkout_placement

    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=0)
    subject = pomelo.origin.market_subject
    batch = make_batch(product=pomelo, quantity=2, households=[(make_household(market_subjects=[subject]), 2)])
    add_to_basket(client, pomelo, 2)
    start_as_guest(client, "guest@example.com")
    go_to_preview(client, plain_point)
    real = checkout_placement.order_attribute

    def attribute_then_fail(**kwargs):
        real(**kwargs)
        assert LedgerEntry.objects.count() == 1  # written inside the placement transaction
        raise checkout_placement.UnableToPlaceOrder("模拟：写入后失败")

    monkeypatch.setattr(checkout_placement, "order_attribute", attribute_then_fail)
    response = place_order(client)
    assert response.status_code == 200
    assert (Order.objects.count(), LineAllocation.objects.count(), LedgerEntry.objects.count()) == (0, 0, 0)
    batch.refresh_from_db()
    assert batch.quantity_allocated == 0
