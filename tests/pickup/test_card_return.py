"""A guest pays by card on the local Stripe emulator (localstripe), the order
reaches the pickup point and is never collected: the sweep returns it and the
money goes back through Stripe, once."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from shop.fulfilment import pickup, pickup_selectors
from shop.fulfilment.models import OrderPickup
from shop.payments.models import OnlinePayment, OnlineRefund
from tests.checkout.conftest import add_to_basket, cold_point, go_to_preview, start_as_guest, tianhe  # noqa: F401
from tests.checkout.conftest import place_order as checkout_place_order
from tests.factories import UserFactory, make_batch, make_household, make_product
from tests.payments.conftest import card_token, localstripe_url, stripe_on  # noqa: F401

from .conftest import shipped_wave

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def test_an_uncollected_card_order_is_refunded_on_stripe(client, stripe_on, cold_point,  # noqa: F811
                                                         django_capture_on_commit_callbacks):
    product = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=0)
    make_batch(product=product, quantity=5, households=[(make_household(), 5)])
    add_to_basket(client, product, 2)
    start_as_guest(client, "card-buyer@example.com")
    go_to_preview(client, cold_point, method="card")
    assert checkout_place_order(client).status_code == 302
    payment = OnlinePayment.objects.get()
    token = card_token(stripe_on)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payments:card", args=[payment.reference]), {"card": token["card"]["id"]})
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.total_incl_tax == Decimal("79.80")

    staff = UserFactory(is_staff=True, is_superuser=True)
    wave = shipped_wave(partner=product.stockrecords.get().partner, point=cold_point, orders=[order])
    pickup.wave_receive(wave=wave, user=staff)
    record = OrderPickup.objects.get(order=order)
    assert pickup_selectors.order_amount_due(order=order) == Decimal("0.00")

    with django_capture_on_commit_callbacks(execute=True):
        result = pickup.pickups_sweep(now=record.ready_at + datetime.timedelta(days=8))
    assert (result.returned, result.refunded, result.refund_failed) == ([order.number], [order.number], [])

    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "已退回"
    assert (payment.status, payment.amount_refunded_fen, payment.amount_refund_applied_fen) == ("refunded", 7980, 7980)
    [refund] = OnlineRefund.objects.all()
    assert (refund.amount, refund.status, refund.reason) == (Decimal("79.80"), "succeeded", "逾期未取货退回")
    assert refund.refund_id.startswith("re_")
    source = order.sources.get()
    assert (source.amount_debited, source.amount_refunded) == (Decimal("79.80"), Decimal("79.80"))

    with django_capture_on_commit_callbacks(execute=True):
        again = pickup.pickups_sweep(now=record.ready_at + datetime.timedelta(days=9))
    assert (again.returned, again.refunded, again.refund_failed) == ([], [], [])
    assert OnlineRefund.objects.count() == 1
