"""The whole journey with Django's test client: basket → pickup point → delivery
method → pay at pickup → preview → place order → thank-you."""
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from oscar.core.loading import get_model

from shop.checkout.views import PaymentDetailsView
from shop.fulfilment.models import OrderPickup

from .conftest import add_to_basket, go_to_preview, place_order, start_as_guest

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")
Source = get_model("payment", "Source")

pytestmark = pytest.mark.django_db


def order_lines(order):
    return [
        (line.title, line.quantity, line.unit_price_incl_tax, line.line_price_incl_tax, line.partner_sku)
        for line in order.lines.order_by("pk")
    ]


def test_guest_places_order_for_community_pickup(client, pomelo, tea, cold_point, plain_point):
    add_to_basket(client, pomelo, 2)
    add_to_basket(client, tea, 1)
    basket = Basket.objects.get()
    start_as_guest(client, "guest@example.com")

    preview = go_to_preview(client, plain_point, name="王小明", phone="138 1234 5678")
    assert preview.context["order_total"].incl_tax == Decimal("92.30")
    assert preview.context["shipping_method"].name == "社区自提点自提（免费）"
    assert preview.context["payment_method"].code == "pay-at-pickup"
    assert preview.context["pickup_point"] == plain_point
    page = preview.content.decode()
    assert "北京街社区自提点" in page and "北京路 100 号" in page and "10:00-20:00" in page
    assert "取货时付款 ¥92.30" in page

    response = place_order(client)
    assert response.status_code == 302
    assert response.url == reverse("checkout:thank-you")

    order = Order.objects.get()
    assert order.number == str(100000 + basket.pk)
    assert order.user is None
    assert order.guest_email == "guest@example.com"
    assert order.currency == "CNY"
    assert order.total_incl_tax == Decimal("92.30")
    assert order.total_excl_tax == Decimal("92.30")
    assert order.shipping_incl_tax == Decimal("0.00")
    assert order.shipping_code == "community-pickup"
    assert order.shipping_method == "社区自提点自提（免费）"
    assert order.status == "待发货"
    assert order_lines(order) == [
        ("梅州金柚 5斤装", 2, Decimal("39.90"), Decimal("79.80"), f"SKU-{pomelo.pk}"),
        ("英德红茶 250克", 1, Decimal("12.50"), Decimal("12.50"), f"SKU-{tea.pk}"),
    ]

    pickup = OrderPickup.objects.get()
    assert (pickup.order, pickup.service_point, pickup.recipient_name, pickup.recipient_phone) == (
        order, plain_point, "王小明", "13812345678",
    )
    address = order.shipping_address
    assert (address.first_name, address.line1, address.line2, address.line3, address.line4, address.state) == (
        "王小明", "北京街社区自提点", "北京路 100 号", "北京街道", "广州市", "越秀区",
    )
    assert address.country_id == "CN"
    assert not address.phone_number  # the phone lives only on OrderPickup

    source = Source.objects.get()
    assert (source.order, source.source_type.code, source.source_type.name) == (order, "pay-at-pickup", "到店付款")
    assert (source.currency, source.amount_allocated, source.amount_debited) == (
        "CNY", Decimal("92.30"), Decimal("0.00"),
    )
    assert PaymentEvent.objects.count() == 0

    pomelo_stock, tea_stock = pomelo.stockrecords.get(), tea.stockrecords.get()
    assert (pomelo_stock.num_in_stock, pomelo_stock.num_allocated) == (10, 2)
    assert (tea_stock.num_in_stock, tea_stock.num_allocated) == (3, 1)
    basket.refresh_from_db()
    assert basket.status == "Submitted"

    assert [message.to for message in mail.outbox] == [["guest@example.com"]]

    thank_you = client.get(reverse("checkout:thank-you"))
    assert thank_you.status_code == 200
    assert thank_you.context["order"] == order
    page = thank_you.content.decode()
    assert order.number in page
    assert "北京街社区自提点" in page and "北京路 100 号" in page
    assert "取货时请带上" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "货款 <strong>¥92.30</strong>：取货时在自提点付款" in page
    # Guests get the link to follow their order.
    kwargs = {"order_number": order.number, "hash": order.verification_hash()}
    assert reverse("customer:anon-order", kwargs=kwargs) in page


def test_signed_in_customer_places_order(client, customer, pomelo, cold_point):
    client.force_login(customer)
    add_to_basket(client, pomelo, 3)

    response = client.get(reverse("checkout:index"))
    assert response.status_code == 302 and response.url == reverse("checkout:shipping-address")
    form_page = client.get(reverse("checkout:shipping-address"))
    assert form_page.context["form"].initial["recipient_name"] == "晓 陈"

    go_to_preview(client, cold_point, name="陈晓", phone="13900001111")
    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:thank-you")

    order = Order.objects.get()
    assert order.user == customer
    assert order.total_incl_tax == Decimal("119.70")
    assert order_lines(order) == [("梅州金柚 5斤装", 3, Decimal("39.90"), Decimal("119.70"), f"SKU-{pomelo.pk}")]
    assert order.pickup.service_point == cold_point
    assert order.pickup.recipient_phone == "13900001111"
    assert pomelo.stockrecords.get().num_allocated == 3
    # A pickup point is not the customer's address: the address book stays empty.
    assert customer.addresses.count() == 0
    assert [message.to for message in mail.outbox] == [["chen@example.com"]]


def test_locker_gets_the_locker_delivery_method(client, pomelo, locker):
    add_to_basket(client, pomelo, 1)
    start_as_guest(client)
    preview = go_to_preview(client, locker)
    assert preview.context["shipping_method"].code == "locker-pickup"
    place_order(client)
    order = Order.objects.get()
    assert (order.shipping_code, order.shipping_method, order.total_incl_tax) == (
        "locker-pickup", "提货柜自提（免费）", Decimal("39.90"),
    )
    assert order.pickup.service_point == locker


def test_checkout_steps_cannot_be_skipped(client, pomelo, cold_point):
    add_to_basket(client, pomelo, 1)
    start_as_guest(client)
    # No pickup point yet: every later step sends the customer back to choose one.
    for url in ("checkout:shipping-method", "checkout:payment-method", "checkout:preview"):
        response = client.get(reverse(url))
        assert response.status_code == 302 and response.url == reverse("checkout:shipping-address"), url
    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:shipping-address")
    # Point chosen, payment method not: the preview sends the customer to choose it.
    client.post(reverse("checkout:shipping-address"),
                {"service_point": cold_point.pk, "recipient_name": "王小明", "recipient_phone": "13812345678"})
    client.get(reverse("checkout:shipping-method"))
    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:payment-method")
    assert Order.objects.count() == 0


def test_unknown_payment_method_is_refused(client, pomelo, cold_point):
    add_to_basket(client, pomelo, 1)
    start_as_guest(client)
    client.post(reverse("checkout:shipping-address"),
                {"service_point": cold_point.pk, "recipient_name": "王小明", "recipient_phone": "13812345678"})
    client.get(reverse("checkout:shipping-method"))
    page = client.get(reverse("checkout:payment-method"))
    assert [method.code for method in page.context["payment_methods"]] == ["pay-at-pickup"]
    assert "到自提点付款" in page.content.decode()
    response = client.post(reverse("checkout:payment-method"), {"payment_method": "stripe-card"})
    assert response.status_code == 400
    assert "请选择可用的付款方式" in response.content.decode()
    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:payment-method")
    assert Order.objects.count() == 0


def test_payment_that_cannot_be_taken_returns_to_the_payment_choice(client, monkeypatch, pomelo, cold_point):
    add_to_basket(client, pomelo, 1)
    start_as_guest(client)
    go_to_preview(client, cold_point)
    monkeypatch.setattr(PaymentDetailsView, "selected_payment_method", lambda self: None)
    monkeypatch.setattr(PaymentDetailsView, "check_payment_data_is_captured", lambda self, request: None)
    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:payment-method")
    assert Order.objects.count() == 0
    assert Basket.objects.get().status == "Open"
    assert pomelo.stockrecords.get().num_allocated is None
