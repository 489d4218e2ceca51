"""A festival flash sale under load (PostgreSQL, real threads, the real
place-order POSTs): 200 buyers for a quota of 50 of a product with 500 in stock
give exactly 50 orders at the campaign price, 150 clear 已抢光 answers and no
error page."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model

from shop.campaigns.models import CampaignOrderLine, CustomerPurchase
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, start_as_guest, warnings_and_errors
from tests.inventory.conftest import run_in_threads

from .conftest import CAMPAIGN_PRICE, QUOTA_GONE, TITLE, campaign_product

Order = get_model("order", "Order")

BUYERS = 200
QUOTA = 50
STOCK = 500
WORKERS = 40  # PostgreSQL allows 100 connections; the test process holds one more


def prepared_buyer(product, point, number):
    """A guest at the preview page with one unit of ``product`` in the basket."""
    client = Client()
    add_to_basket(client, product, 1)
    start_as_guest(client, f"buyer{number}@example.com")
    go_to_preview(client, point)
    return client


def outcome_of(response):
    """"order", "sold out at placement" (the preview again, with the message),
    "sold out before placement" (the pre-check sends the buyer to the basket
    with the message), or what else happened."""
    sold_out = QUOTA_GONE.format(title=TITLE)
    if response.status_code == 302 and response.url == reverse("checkout:thank-you"):
        return "order"
    if response.status_code == 200 and response.context["error"] == sold_out:
        return "sold out at placement"
    if response.status_code == 302 and response.url == reverse("basket:summary"):
        if warnings_and_errors(response) == [sold_out]:
            return "sold out before placement"
    return f"unexpected: {response.status_code} {getattr(response, 'url', '')} {warnings_and_errors(response)}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_200_buyers_for_a_quota_of_50_give_50_orders_at_the_campaign_price(cold_point):
    item = campaign_product(stock=STOCK, quota=QUOTA)
    product = item.product
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
    assert len(responses) == BUYERS
    assert [response.status_code for response in responses if response.status_code >= 500] == []
    outcomes = [outcome_of(response) for response in responses]
    assert [outcome for outcome in outcomes if outcome.startswith("unexpected")] == []
    assert outcomes.count("order") == QUOTA
    assert outcomes.count("sold out at placement") + outcomes.count("sold out before placement") == BUYERS - QUOTA

    item.refresh_from_db()
    assert (item.sold, item.quota_left, item.is_sold_out) == (QUOTA, 0, True)
    stock = product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (STOCK, QUOTA)
    orders = list(Order.objects.prefetch_related("lines"))
    assert len(orders) == QUOTA
    assert {order.total_incl_tax for order in orders} == {CAMPAIGN_PRICE}
    lines = [line for order in orders for line in order.lines.all()]
    assert [(line.quantity, line.unit_price_incl_tax) for line in lines] == [(1, Decimal("9.90"))] * QUOTA
    records = list(CampaignOrderLine.objects.values_list("item_id", "line_id", "quantity", "unit_price"))
    assert sorted(records) == sorted((item.pk, line.pk, 1, CAMPAIGN_PRICE) for line in lines)
    assert CustomerPurchase.objects.count() == 0  # guests: no per-customer count
