"""A guest pays by card on the local Stripe emulator: stock is reserved before the
PaymentIntent exists, the order is placed once the payment succeeds, paid in full."""
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry
from shop.inventory.models import StockReservation
from shop.payments.models import OnlinePayment
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, start_as_guest
from tests.factories import make_product

from .conftest import card_token

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def _start_card_payment(client, point, product, quantity=1):
    add_to_basket(client, product, quantity)
    start_as_guest(client, "card-buyer@example.com")
    go_to_preview(client, point, method="card")
    response = place_order(client)
    assert response.status_code == 302
    payment = OnlinePayment.objects.get()
    assert response.url == reverse("payments:pay", args=[payment.reference])
    return payment


def test_card_payment_places_a_paid_order(client, stripe_on, cold_point, django_capture_on_commit_callbacks):
    product = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=5)
    payment = _start_card_payment(client, cold_point, product, quantity=2)

    # Reserved before any PaymentIntent exists; the key is stored already.
    assert payment.intent_id is None and payment.idempotency_key.startswith("pi-")
    assert list(StockReservation.objects.values_list("quantity", flat=True)) == [2]
    assert payment.amount == Decimal("79.80") and payment.status == "created"
    page = client.get(reverse("payments:pay", args=[payment.reference]))
    assert page.status_code == 200
    assert f'src="{stripe_on}/js.stripe.com/v3/"' in page.content.decode()

    token = card_token(stripe_on)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payments:card", args=[payment.reference]), {"card": token["card"]["id"]})
    assert response.status_code == 200
    assert response.json() == {"redirect": reverse("checkout:thank-you")}

    payment.refresh_from_db()
    order = Order.objects.get()
    assert (payment.status, payment.amount_received_fen, payment.order_id) == ("succeeded", 7980, order.pk)
    assert (order.number, order.status, order.total_incl_tax) == (payment.order_number, "待发货", Decimal("79.80"))
    source = order.sources.get()
    assert (source.source_type.code, source.amount_allocated, source.amount_debited) == (
        "stripe-card", Decimal("79.80"), Decimal("79.80"))
    assert list(order.payment_events.values_list("event_type__name", "amount")) == [("已支付", Decimal("79.80"))]
    assert StockReservation.objects.count() == 0
    stock = product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (5, 2)
    assert LedgerEntry.objects.filter(line__order=order).count() == 1
    assert order.pickup.service_point == cold_point
    assert [message.to for message in mail.outbox] == [["card-buyer@example.com"]]
    thank_you = client.get(reverse("checkout:thank-you"))
    assert thank_you.status_code == 200 and order.number in thank_you.content.decode()


def test_online_methods_are_not_offered_without_keys(client, cold_point):
    product = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=3)
    add_to_basket(client, product)
    start_as_guest(client)
    response = client.post(reverse("checkout:shipping-address"), {
        "service_point": cold_point.pk, "recipient_name": "王小明", "recipient_phone": "13812345678"})
    client.get(reverse("checkout:shipping-method"))
    page = client.get(reverse("checkout:payment-method"))
    assert [method.code for method in page.context["payment_methods"]] == ["pay-at-pickup"]
    assert client.post(reverse("checkout:payment-method"), {"payment_method": "card"}).status_code == 400
