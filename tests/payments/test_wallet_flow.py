"""Alipay and WeChat Pay: the pay page hands the customer to the wallet (Alipay's
redirect, WeChat Pay's QR code) and polls; signed Stripe events drive the payment
(requires_action → succeeded places the order); a failed or cancelled payment
gives the reserved stock back."""
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from oscar.core.loading import get_model

from shop.checkout.stock import BasketStockUnavailable
from shop.inventory.models import StockReservation
from shop.payments.models import OnlinePayment
from tests.factories import make_product

from .conftest import deliver, payment_begin, start_payment

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea():
    return make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=2)


def _status(client, payment):
    return client.get(reverse("payments:status", args=[payment.reference])).json()


def test_alipay_redirects_then_events_place_the_order(client, stripe_on, stripe_front, cold_point, tea,
                                                      django_capture_on_commit_callbacks):
    payment = start_payment(client, cold_point, tea, 2, method="alipay", email="alipay-buyer@example.com")
    page = client.get(reverse("payments:pay", args=[payment.reference])).content.decode()
    assert 'id="wallet-pay"' in page and "前往支付宝付款" in page

    handoff = client.post(reverse("payments:pay", args=[payment.reference]))
    payment.refresh_from_db()
    assert (handoff.status_code, handoff.url) == (302, f"https://hooks.stripe.com/alipay/{payment.intent_id}")
    assert payment.status == "requires_action"
    [(key, sent)] = stripe_front.creates("/v1/payment_intents")
    sent = dict(sent)
    assert (key, sent["amount"], sent["currency"], sent["payment_method_types[0]"], sent["payment_method_data[type]"],
            sent["return_url"]) == (payment.idempotency_key, "2500", "cny", "alipay", "alipay",
                                    f"http://testserver{reverse('payments:return', args=[payment.reference])}")

    # Back from Alipay before Stripe knows: the waiting page polls.
    waiting = client.get(reverse("payments:return", args=[payment.reference]))
    assert waiting.status_code == 200 and 'id="payment-waiting"' in waiting.content.decode()
    deliver(client, "payment_intent.requires_action", stripe_front.wallet_update(payment.intent_id,
                                                                                 status="requires_action"))
    assert _status(client, payment) == {"status": "requires_action", "label": "待验证"}
    assert Order.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, "payment_intent.succeeded", stripe_front.wallet_update(payment.intent_id, status="succeeded"))
    order = Order.objects.get()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_fen, payment.order_id) == ("succeeded", 2500, order.pk)
    assert (order.number, order.status, order.total_incl_tax) == (payment.order_number, "待发货", Decimal("25.00"))
    source = order.sources.get()
    assert (source.source_type.code, source.amount_debited, source.reference) == (
        "stripe-alipay", Decimal("25.00"), payment.intent_id)
    assert list(order.payment_events.values_list("event_type__name", "amount")) == [("已支付", Decimal("25.00"))]
    assert StockReservation.objects.count() == 0
    assert _status(client, payment) == {"status": "succeeded", "label": "已支付",
                                        "redirect": reverse("checkout:thank-you")}
    done = client.get(reverse("payments:return", args=[payment.reference]))
    assert (done.status_code, done.url) == (302, reverse("checkout:thank-you"))


def test_wechat_pay_shows_its_qr_code_and_the_page_polls(client, stripe_on, stripe_front, cold_point, tea):
    payment = start_payment(client, cold_point, tea, 1, method="wechat_pay")
    page = client.post(reverse("payments:pay", args=[payment.reference]))
    payment.refresh_from_db()
    html = page.content.decode()
    assert page.status_code == 200 and 'id="wechat-qr"' in html
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html
    assert f'data-status-url="{reverse("payments:status", args=[payment.reference])}"' in html
    assert "xiangpin/js/online-payment.js" in html
    script = Path(settings.BASE_DIR, "themes/default/static/xiangpin/js/online-payment.js").read_text()
    assert 'getElementById("wechat-qr")' in script and "fetch(root.dataset.statusUrl" in script
    [(_key, sent)] = stripe_front.creates("/v1/payment_intents")
    assert ("payment_method_options[wechat_pay][client]", "web") in sent
    assert _status(client, payment) == {"status": "requires_action", "label": "待验证"}

    # The same page again (a reload) shows the same code: no second intent.
    again = client.post(reverse("payments:pay", args=[payment.reference]))
    assert 'id="wechat-qr"' in again.content.decode()
    assert len(stripe_front.creates("/v1/payment_intents")) == 1

    deliver(client, "payment_intent.succeeded", stripe_front.wallet_update(payment.intent_id, status="succeeded"))
    assert _status(client, payment) == {"status": "succeeded", "label": "已支付",
                                        "redirect": reverse("checkout:thank-you")}
    assert Order.objects.get().total_incl_tax == Decimal("12.50")


@pytest.mark.parametrize("event_type, stripe_status, our_status", [
    ("payment_intent.payment_failed", "requires_payment_method", "failed"),
    ("payment_intent.canceled", "canceled", "canceled"),
])
@pytest.mark.parametrize("method", ["alipay", "wechat_pay"])
def test_a_failed_or_cancelled_wallet_payment_gives_the_stock_back(client, stripe_on, stripe_front, cold_point, tea,
                                                                   method, event_type, stripe_status, our_status):
    payment = start_payment(client, cold_point, tea, 2, method=method)
    client.post(reverse("payments:pay", args=[payment.reference]))
    payment.refresh_from_db()
    assert list(StockReservation.objects.values_list("basket_id", "quantity")) == [(payment.basket_id, 2)]
    with pytest.raises(BasketStockUnavailable, match="「英德红茶 250克」已售罄"):
        payment_begin(tea, 1, point=cold_point, method=method, email="second@example.com")

    deliver(client, event_type, stripe_front.wallet_update(payment.intent_id, status=stripe_status))
    payment.refresh_from_db()
    assert (payment.status, payment.order_id) == (our_status, None)
    assert StockReservation.objects.count() == 0
    assert Order.objects.count() == 0
    page = client.get(reverse("payments:pay", args=[payment.reference]))
    assert "支付未完成，请返回购物车重新结算" in page.content.decode()
    assert _status(client, payment)["status"] == our_status

    # The two units are for sale again.
    second = payment_begin(tea, 2, point=cold_point, method=method, email="second@example.com")
    assert StockReservation.objects.get().basket_id == second.basket_id

    # Back to the basket: its lines are the customer's again.
    back = client.post(reverse("payments:cancel", args=[payment.reference]))
    assert (back.status_code, back.url) == (302, reverse("basket:summary"))
    basket = OnlinePayment.objects.get(pk=payment.pk).basket
    assert (basket.status, basket.num_items) == ("Open", 2)
