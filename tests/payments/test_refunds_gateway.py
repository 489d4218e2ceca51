"""Refunds of a card order against the local Stripe emulator: partial then full from
the dashboard, exact in fen and yuan, the ledger reversed for exactly the refunded
units; too much is refused with the reason; a refund made in Stripe's dashboard
arrives by webhook and is applied once; the webhook of the store's own refund
arriving before Stripe's answer is not taken for a second refund."""
from decimal import Decimal

import pytest
import requests
import stripe
from django.db.models import Sum
from django.urls import reverse
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry
from shop.attribution.services import line_net
from shop.payments import gateway, services
from shop.payments.models import OnlinePayment, OnlineRefund
from shop.payments.refunds import RefundRefused, order_refund
from tests.factories import UserFactory, make_batch, make_household, make_product

from .conftest import deliver, localstripe_refunds, pay_by_card, post_event, start_payment, stripe_event

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client, stripe_on, cold_point):
    """A guest's card order of 3 × ¥12.50 (two households' batch), paid on localstripe."""
    product = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=0)
    make_batch(product=product, quantity=6, households=[(make_household(), 4), (make_household(head_name="李测试"), 2)])
    payment = start_payment(client, cold_point, product, 3)
    assert pay_by_card(client, payment, stripe_on).json() == {"redirect": reverse("checkout:thank-you")}
    payment.refresh_from_db()
    return payment


def _refunds_of(line):
    totals = LedgerEntry.objects.filter(line=line, kind="refund").aggregate(q=Sum("quantity"), a=Sum("sales_amount"))
    return (totals["q"], totals["a"])


def _charge(localstripe_url, intent_id):
    response = requests.get(f"{localstripe_url}/v1/payment_intents/{intent_id}", auth=("sk_test_xiangpin", ""),
                            timeout=5)
    return response.json()["latest_charge"]


def _state(payment):
    payment = OnlinePayment.objects.get(pk=payment.pk)
    order = payment.order
    return {
        "payment": (payment.status, payment.amount_received_fen, payment.amount_refunded_fen,
                    payment.amount_refund_applied_fen, payment.problem),
        "order": order.status,
        "refund_events": list(order.payment_events.filter(event_type__name="退款").order_by("pk")
                             .values_list("amount", flat=True)),
        "source": (order.sources.get().amount_debited, order.sources.get().amount_refunded),
    }


def test_partial_then_full_refund_from_the_dashboard(client, paid, stripe_on):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    order = paid.order
    line = order.lines.get()
    url = reverse("backoffice:order-refund", kwargs={"number": order.number})

    response = client.post(url, {f"line_{line.pk}": "1", "reason": "破损一盒"})
    assert response.status_code == 302
    [first] = localstripe_refunds(stripe_on, paid.intent_id)
    assert (first["amount"], first["status"], first["metadata"]) == (
        1250, "succeeded", {"order_number": order.number, "refund_key": OnlineRefund.objects.get().idempotency_key})
    assert list(OnlineRefund.objects.values_list("amount", "status", "refund_id", "reason", "created_by")) == [
        (Decimal("12.50"), "succeeded", first["id"], "破损一盒", staff.pk)]
    assert _state(paid) == {
        "payment": ("partially_refunded", 3750, 1250, 1250, ""),
        "order": "待发货",
        "refund_events": [Decimal("12.50")],
        "source": (Decimal("37.50"), Decimal("12.50")),
    }
    assert _refunds_of(line) == (Decimal("-1.000"), Decimal("-12.50"))
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount) == (Decimal("2.000"), Decimal("25.00"))

    client.post(url, {"full": "1", "reason": "顾客取消"})
    refunds = localstripe_refunds(stripe_on, paid.intent_id)
    assert sorted(refund["amount"] for refund in refunds) == [1250, 2500]
    assert list(OnlineRefund.objects.values_list("amount", "status")) == [
        (Decimal("12.50"), "succeeded"), (Decimal("25.00"), "succeeded")]
    assert _state(paid) == {
        "payment": ("refunded", 3750, 3750, 3750, ""),
        "order": "已取消",
        "refund_events": [Decimal("12.50"), Decimal("25.00")],
        "source": (Decimal("37.50"), Decimal("37.50")),
    }
    assert _refunds_of(line) == (Decimal("-3.000"), Decimal("-37.50"))
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount, net.income) == (Decimal("0.000"), Decimal("0.00"), Decimal("0.00"))
    stock = line.stockrecord
    stock.refresh_from_db()
    assert (stock.num_in_stock, stock.num_allocated) == (6, 0)
    page = client.get(url)
    assert page.context["refunded"] == Decimal("37.50")
    assert page.context["lines"] == [(line, 0)]


def test_more_than_is_left_is_refused_with_the_reason(client, paid, stripe_front):
    order = paid.order
    line = order.lines.get()
    order_refund(order=order, line_quantities={line.pk: 2}, reason="破损")
    stripe_front.log.clear()
    before = _state(paid)

    with pytest.raises(RefundRefused, match=r"^退款数量超过可退数量（剩余 1 件）$"):
        order_refund(order=order, line_quantities={line.pk: 2}, reason="再退两盒")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.post(reverse("backoffice:order-refund", kwargs={"number": order.number}), {f"line_{line.pk}": "2"})
    assert page.status_code == 200
    assert [str(message) for message in page.context["messages"]] == ["退款数量超过可退数量（剩余 1 件）"]

    assert stripe_front.creates("/v1/refunds") == []
    assert _state(paid) == before
    assert OnlineRefund.objects.count() == 1
    assert _refunds_of(line) == (Decimal("-2.000"), Decimal("-25.00"))


def test_a_refund_stripe_refuses_gives_the_units_back(paid, monkeypatch):
    order = paid.order
    line = order.lines.get()
    before = _state(paid)

    def refuse(**kwargs):
        raise stripe.InvalidRequestError("Charge has already been refunded.", param="payment_intent")

    monkeypatch.setattr(gateway, "refund_create", refuse)
    with pytest.raises(services.StripeRefused, match="^退款请求被拒绝，请稍后重试或联系支付服务商$"):
        order_refund(order=order, line_quantities={line.pk: 1}, reason="破损")
    assert _state(paid) == before
    assert list(OnlineRefund.objects.values_list("amount", "status", "refund_id")) == [
        (Decimal("12.50"), "failed", None)]
    assert _refunds_of(line) == (None, None)
    monkeypatch.undo()
    result = order_refund(order=order, line_quantities={line.pk: 1}, reason="破损")
    assert (result.amount, result.resumed) == (Decimal("12.50"), False)
    assert OnlineRefund.objects.filter(status="succeeded").count() == 1


def test_a_full_refund_made_in_the_stripe_dashboard_is_applied_once(client, paid, stripe_on):
    requests.post(f"{stripe_on}/v1/refunds", data={"payment_intent": paid.intent_id},
                  auth=("sk_test_xiangpin", ""), timeout=5).raise_for_status()
    charge = _charge(stripe_on, paid.intent_id)
    assert charge["amount_refunded"] == 3750
    payload = stripe_event("charge.refunded", charge, event_id="evt_dashboard_refund")

    assert post_event(client, payload).content == b"processed"
    assert post_event(client, payload).content == b"duplicate"
    deliver(client, "charge.refunded", charge)  # the same news in another event
    assert _state(paid) == {
        "payment": ("refunded", 3750, 3750, 3750, ""),
        "order": "已取消",
        "refund_events": [Decimal("37.50")],
        "source": (Decimal("37.50"), Decimal("37.50")),
    }
    assert OnlineRefund.objects.count() == 0  # the store sent no refund of its own
    assert len(localstripe_refunds(stripe_on, paid.intent_id)) == 1
    assert _refunds_of(paid.order.lines.get()) == (Decimal("-3.000"), Decimal("-37.50"))


def test_a_partial_refund_made_in_the_stripe_dashboard_is_held_for_staff_once(client, paid, stripe_on):
    requests.post(f"{stripe_on}/v1/refunds", data={"payment_intent": paid.intent_id, "amount": 500},
                  auth=("sk_test_xiangpin", ""), timeout=5).raise_for_status()
    charge = _charge(stripe_on, paid.intent_id)
    deliver(client, "charge.refunded", charge)
    deliver(client, "charge.refunded", charge)
    assert _state(paid) == {
        "payment": ("partially_refunded", 3750, 500, 500, "Stripe 后台部分退款 ¥5.00，待人工核对"),
        "order": "待发货",
        "refund_events": [],
        "source": (Decimal("37.50"), Decimal("0.00")),
    }
    assert _refunds_of(paid.order.lines.get()) == (None, None)


@pytest.mark.parametrize("quantity, expected", [
    (1, ("partially_refunded", 3750, 1250, 1250, ""), ),
    (3, ("refunded", 3750, 3750, 3750, "")),
])
def test_the_webhook_of_our_own_refund_before_stripes_answer(client, paid, stripe_on, monkeypatch, quantity,
                                                             expected):
    """Stripe may send charge.refunded before our create call has its answer."""
    real = gateway.refund_create
    webhook = []

    def refund_then_webhook(**kwargs):
        result = real(**kwargs)
        webhook.append(post_event(client, stripe_event("charge.refunded", _charge(stripe_on, paid.intent_id))))
        return result

    monkeypatch.setattr(gateway, "refund_create", refund_then_webhook)
    order = paid.order
    result = order_refund(order=order, line_quantities={order.lines.get().pk: quantity}, reason="破损")
    assert [(response.status_code, response.content) for response in webhook] == [(200, b"processed")]
    amount = Decimal("12.50") * quantity
    assert result.amount == amount
    state = _state(paid)
    assert state["payment"] == expected
    assert state["refund_events"] == [amount]
    assert state["order"] == ("已取消" if quantity == 3 else "待发货")
    assert [refund["amount"] for refund in localstripe_refunds(stripe_on, paid.intent_id)] == [int(amount * 100)]
    assert _refunds_of(order.lines.get()) == (Decimal(-quantity).quantize(Decimal("0.001")), -amount)
