"""Two customers place orders for the last unit at the same moment (PostgreSQL row
locks): exactly one order, no oversell, and a clear refusal for the other."""
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from oscar.core.loading import get_model

from shop.checkout import placement as checkout_placement
from tests.factories import make_product

from .conftest import add_to_basket, go_to_preview, place_order, start_as_guest

Order = get_model("order", "Order")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_last_unit_is_sold_once(monkeypatch, cold_point):
    product = make_product(title="德庆贡柑 礼盒", price=Decimal("88.00"), stock=1)
    clients = [Client(), Client()]
    for number, client in enumerate(clients):
        add_to_basket(client, product, 1)
        start_as_guest(client, f"buyer{number}@example.com")
        go_to_preview(client, cold_point)

    # Both requests get past every pre-condition before either takes the lock.
    both_past_preconditions = threading.Barrier(2, timeout=20)
    real_ensure = checkout_placement.basket_stock_ensure

    def ensure_after_both_arrive(**kwargs):
        both_past_preconditions.wait()
        return real_ensure(**kwargs)

    monkeypatch.setattr(checkout_placement, "basket_stock_ensure", ensure_after_both_arrive)
    responses = [None, None]

    def place(index):
        try:
            responses[index] = place_order(clients[index])
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(response.status_code for response in responses) == [200, 302]
    refused = next(response for response in responses if response.status_code == 200)
    assert refused.context["error"] == "「德庆贡柑 礼盒」已售罄，请从购物车中移除后再结算。"
    order = Order.objects.get()
    assert order.total_incl_tax == Decimal("88.00")
    stock = product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (1, 1)
