"""Stock runs out between basket and "place order": a clear 已售罄 message, no order."""
import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from shop.checkout.views import PaymentDetailsView
from shop.fulfilment.models import OrderPickup

from .conftest import add_to_basket, go_to_preview, warnings_and_errors, place_order, start_as_guest

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Source = get_model("payment", "Source")

pytestmark = pytest.mark.django_db


def test_sold_out_before_placement_sends_customer_to_basket(client, pomelo, tea, cold_point):
    add_to_basket(client, pomelo, 2)
    add_to_basket(client, tea, 1)
    start_as_guest(client)
    go_to_preview(client, cold_point)
    pomelo.stockrecords.update(num_in_stock=0)

    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("basket:summary")
    assert warnings_and_errors(response) == ["「梅州金柚 5斤装」已售罄，请从购物车中移除后再结算。"]
    assert Order.objects.count() == 0
    assert OrderPickup.objects.count() == 0
    assert tea.stockrecords.get().num_allocated is None
    basket = Basket.objects.get()
    assert basket.status == "Open"
    assert basket.num_items == 3


def test_insufficient_stock_says_how_many_are_left(client, tea, cold_point):
    add_to_basket(client, tea, 3)
    start_as_guest(client)
    go_to_preview(client, cold_point)
    tea.stockrecords.update(num_allocated=2)  # someone else bought two

    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("basket:summary")
    assert warnings_and_errors(response) == ["「英德红茶 250克」库存不足：您要购买 3 件，目前仅剩 1 件。"]
    assert Order.objects.count() == 0


def test_stock_gone_inside_placement_is_refused_without_an_error_page(client, monkeypatch, pomelo, tea, cold_point):
    """The last check runs in the place-order transaction with the stock rows locked,
    after the pre-conditions: simulate stock vanishing between the two."""
    add_to_basket(client, pomelo, 2)
    add_to_basket(client, tea, 1)
    start_as_guest(client)
    go_to_preview(client, cold_point)
    pomelo.stockrecords.update(num_allocated=9)
    monkeypatch.setattr(PaymentDetailsView, "check_basket_is_valid", lambda self, request: None)

    response = place_order(client)
    assert response.status_code == 200
    assert response.context["error"] == "「梅州金柚 5斤装」库存不足：您要购买 2 件，目前仅剩 1 件。"
    assert "目前仅剩 1 件" in response.content.decode()
    assert Order.objects.count() == 0
    assert Source.objects.count() == 0
    assert (pomelo.stockrecords.get().num_allocated, tea.stockrecords.get().num_allocated) == (9, None)
    # The basket was frozen for submission and is open again, with its lines.
    basket = Basket.objects.get()
    assert (basket.status, basket.num_items) == ("Open", 3)
