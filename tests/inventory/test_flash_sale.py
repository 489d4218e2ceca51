"""Many buyers place orders for the same few units at the same moment (PostgreSQL,
real threads, real place-order POSTs): exactly as many orders as units, never an
oversell, a clear 已售罄 for everyone else, no error page and no deadlock."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model

from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, start_as_guest, warnings_and_errors
from tests.factories import make_product

from .conftest import SOLD_OUT, run_in_threads

Order = get_model("order", "Order")

BUYERS = 200
UNITS = 50
WORKERS = 40  # PostgreSQL allows 100 connections; the test process holds one more


def prepared_buyer(product, point, number):
    """A guest at the preview page with one unit of ``product`` in the basket."""
    client = Client()
    add_to_basket(client, product, 1)
    start_as_guest(client, f"buyer{number}@example.com")
    go_to_preview(client, point)
    return client


def outcome_of(response, *, sold_out):
    """"order", "sold out at placement" (the preview again, with the message),
    "sold out before placement" (the pre-check sends the buyer to the basket with
    the message), or what else happened."""
    if response.status_code == 302 and response.url == reverse("checkout:thank-you"):
        return "order"
    if response.status_code == 200 and response.content.decode().count(sold_out) == 1:
        return "sold out at placement"
    if response.status_code == 302 and response.url == reverse("basket:summary"):
        if warnings_and_errors(response) == [sold_out]:
            return "sold out before placement"
    return f"unexpected: {response.status_code}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_200_buyers_for_50_units_give_50_orders(cold_point):
    product = make_product(title="德庆贡柑 礼盒", price=Decimal("88.00"), stock=UNITS)
    # Every buyer goes through the real checkout steps (on the worker threads, to be quick).
    prepared = run_in_threads(
        [lambda number=number: prepared_buyer(product, cold_point, number) for number in range(BUYERS)],
        workers=WORKERS,
    )
    assert [exc for _client, exc in prepared if exc is not None] == []
    clients = [client for client, _exc in prepared]
    assert len(clients) == BUYERS

    placed = run_in_threads([lambda client=client: place_order(client) for client in clients], workers=WORKERS)

    assert [repr(exc) for _response, exc in placed if exc is not None] == []
    responses = [response for response, _exc in placed]
    assert [response.status_code for response in responses if response.status_code >= 500] == []
    sold_out = SOLD_OUT.format(title="德庆贡柑 礼盒")
    outcomes = [outcome_of(response, sold_out=sold_out) for response in responses]
    assert outcomes.count("order") == UNITS
    assert outcomes.count("sold out at placement") + outcomes.count("sold out before placement") == BUYERS - UNITS
    assert Order.objects.count() == UNITS
    stock = product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (UNITS, UNITS)
    assert sum(line.quantity for order in Order.objects.all() for line in order.lines.all()) == UNITS
