"""What Stripe says it received is checked against the order (a wrong amount or
currency holds the order, 支付待核实); every create call carries an idempotency
key committed before the call, and a call whose answer was lost is asked again
with the same key and parameters, so Stripe makes one intent, one refund; wallets
are never asked for a manual capture."""
import threading
from decimal import Decimal

import pytest
import requests
import stripe
from django.db import connection
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model

from shop.attribution.services import line_net
from shop.payments import gateway, services
from shop.payments.gateway import ManualCaptureRefused
from shop.payments.models import OnlinePayment, OnlineRefund
from shop.payments.refunds import order_refund
from tests.checkout.conftest import add_to_basket, customer, go_to_preview, place_order  # noqa: F401
from tests.factories import UserFactory, make_batch, make_household, make_product

from .conftest import (card_token, deliver, intent_object, localstripe_intents, localstripe_refunds, pay_by_card,
                       payment_begin, start_payment)

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")


def _lost_answer(monkeypatch, name):
    """Patch gateway.<name> so the call reaches Stripe but its answer is lost."""
    real = getattr(gateway, name)
    calls = []

    def call_then_lose_the_answer(**kwargs):
        calls.append(kwargs["idempotency_key"])
        real(**kwargs)
        raise stripe.APIConnectionError("Request timed out")

    monkeypatch.setattr(gateway, name, call_then_lose_the_answer)
    return calls


# -- amount and currency ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("intent_kwargs, problem", [
    ({"amount_received": 5800}, "金额不符：收到 ¥58.00，订单应付 ¥59.00"),
    ({"amount": 5800, "amount_received": 5800}, "金额不符：收到 ¥58.00，订单应付 ¥59.00"),
    ({"currency": "usd"}, "币种不符：收到 USD，应为 CNY"),
], ids=["amount-received", "intent-amount", "currency"])
def test_a_mismatch_holds_the_order_where_customer_and_staff_see_it(client, stripe_on, cold_point,
                                                                     customer,  # noqa: F811
                                                                     intent_kwargs, problem):
    product = make_product(title="高州荔枝 3斤装", price=Decimal("59.00"), stock=5)
    client.force_login(customer)
    add_to_basket(client, product)
    go_to_preview(client, cold_point, method="card")
    assert place_order(client).status_code == 302
    payment = OnlinePayment.objects.get()
    OnlinePayment.objects.filter(pk=payment.pk).update(intent_id="pi_mismatch")
    payment.refresh_from_db()

    deliver(client, "payment_intent.succeeded", intent_object(payment, "succeeded", **intent_kwargs))

    order = Order.objects.get()
    payment.refresh_from_db()
    assert (order.number, order.status, order.user) == (payment.order_number, "支付待核实", customer)
    assert (payment.status, payment.order_id, payment.problem) == ("succeeded", order.pk, problem)
    status = client.get(reverse("payments:status", args=[payment.reference])).json()
    assert status == {"status": "succeeded", "label": "已支付", "redirect": reverse("checkout:thank-you"),
                      "problem": problem}
    page = client.get(reverse("customer:order", kwargs={"order_number": order.number})).content.decode()
    assert "付款金额待核实，客服核实后为您安排发货" in page

    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    held = staff.get(reverse("dashboard:order-list"), {"status": "支付待核实"})
    assert [row.number for row in held.context["orders"]] == [order.number]
    refund_page = staff.get(reverse("backoffice:order-refund", kwargs={"number": order.number}))
    assert f'id="payment-problem">{problem}</dd>' in refund_page.content.decode()
    # Held orders are not shipped until staff release them (支付待核实 → 待发货).
    order.set_status("待发货")
    assert Order.objects.get().status == "待发货"


@pytest.mark.django_db
def test_the_amount_sent_to_stripe_is_the_order_total_in_fen_in_cny(client, stripe_on, stripe_front, cold_point):
    product = make_product(title="德庆贡柑 礼盒", price=Decimal("88.80"), stock=5)
    payment = start_payment(client, cold_point, product, 3)
    assert pay_by_card(client, payment, stripe_on).status_code == 200
    [(key, params)] = stripe_front.creates("/v1/payment_intents")
    sent = dict(params)
    assert (sent["amount"], sent["currency"], sent["payment_method_types[0]"]) == ("26640", "cny", "card")
    assert "capture_method" not in sent
    assert Order.objects.get().total_incl_tax == Decimal("266.40")


# -- idempotency keys ------------------------------------------------------------------


def _committed(model, **filters):
    """Whether another connection sees the row: it was committed."""
    seen = []

    def look():
        try:
            seen.append(model.objects.filter(**filters).exists())
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(timeout=30)
    return seen == [True]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads another connection's commits")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_create_call_sends_a_key_committed_before_the_call(client, stripe_on, stripe_front, cold_point,
                                                                  monkeypatch):
    product = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=0)
    make_batch(product=product, quantity=5, households=[(make_household(), 5)])
    payment = start_payment(client, cold_point, product, 2)
    checks = []
    real_intent_create, real_refund_create = gateway.intent_create, gateway.refund_create

    def intent_create(**kwargs):
        key = kwargs["idempotency_key"]
        checks.append(("intent", key, _committed(OnlinePayment, pk=payment.pk, idempotency_key=key)))
        return real_intent_create(**kwargs)

    def refund_create(**kwargs):
        key = kwargs["idempotency_key"]
        checks.append(("refund", key, _committed(OnlineRefund, idempotency_key=key, amount=Decimal("12.50"))))
        return real_refund_create(**kwargs)

    monkeypatch.setattr(gateway, "intent_create", intent_create)
    monkeypatch.setattr(gateway, "refund_create", refund_create)

    assert pay_by_card(client, payment, stripe_on).json() == {"redirect": reverse("checkout:thank-you")}
    order = Order.objects.get()
    order_refund(order=order, line_quantities={order.lines.get().pk: 1}, reason="破损")

    refund = OnlineRefund.objects.get()
    payment.refresh_from_db()
    assert checks == [("intent", payment.idempotency_key, True), ("refund", refund.idempotency_key, True)]
    sent = [(path, key) for method, path, key, _params in stripe_front.log
            if method == "POST" and path in ("/v1/payment_intents", "/v1/refunds")]
    assert sent == [("/v1/payment_intents", payment.idempotency_key), ("/v1/refunds", refund.idempotency_key)]


@pytest.mark.django_db
def test_a_lost_intent_answer_is_asked_again_with_the_same_key(client, stripe_on, stripe_front, cold_point,
                                                               monkeypatch):
    product = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=5)
    payment = start_payment(client, cold_point, product, 1)
    calls = _lost_answer(monkeypatch, "intent_create")

    lost = pay_by_card(client, payment, stripe_on)
    assert (lost.status_code, lost.json()) == (402, {"error": "支付结果暂未确认，请稍后重试（不会重复扣款）"})
    first = OnlinePayment.objects.get()
    assert calls == [payment.idempotency_key]
    assert (first.idempotency_key, first.intent_id, first.status, first.attempt_card.startswith("card_")) == (
        payment.idempotency_key, None, "created", True)
    assert Order.objects.count() == 0
    monkeypatch.undo()

    # The customer tries again; the page's script makes a new token for the same card.
    retried = pay_by_card(client, payment, stripe_on)
    assert retried.json() == {"redirect": reverse("checkout:thank-you")}
    creates = stripe_front.creates("/v1/payment_intents")
    assert [key for key, _params in creates] == [payment.idempotency_key, payment.idempotency_key]
    assert creates[0][1] == creates[1][1]  # the same parameters: Stripe replays its first answer
    [intent] = localstripe_intents(stripe_on, payment)
    assert (intent["status"], intent["amount"]) == ("succeeded", 3990)
    paid = OnlinePayment.objects.get()
    assert (paid.intent_id, paid.status, paid.idempotency_key) == (intent["id"], "succeeded", payment.idempotency_key)
    assert Order.objects.get().total_incl_tax == Decimal("39.90")


@pytest.mark.django_db
def test_a_declined_card_closes_the_attempt_and_another_card_pays(client, stripe_on, stripe_front, cold_point):
    product = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=5)
    payment = start_payment(client, cold_point, product, 1)

    declined = pay_by_card(client, payment, stripe_on, number="4000000000000341")
    assert (declined.status_code, declined.json()) == (402, {"error": "Your card was declined."})
    after_decline = OnlinePayment.objects.get()
    assert after_decline.idempotency_key != payment.idempotency_key
    assert (after_decline.intent_id, after_decline.attempt_card, after_decline.status) == (None, "", "created")

    paid = pay_by_card(client, payment, stripe_on)
    assert paid.json() == {"redirect": reverse("checkout:thank-you")}
    keys = [key for key, _params in stripe_front.creates("/v1/payment_intents")]
    assert keys == [payment.idempotency_key, after_decline.idempotency_key]
    intents = localstripe_intents(stripe_on, payment)
    assert sorted(intent["status"] for intent in intents) == ["requires_payment_method", "succeeded"]
    final = OnlinePayment.objects.get()
    succeeded = next(intent for intent in intents if intent["status"] == "succeeded")
    assert (final.intent_id, final.status, final.idempotency_key) == (
        succeeded["id"], "succeeded", after_decline.idempotency_key)
    assert Order.objects.count() == 1

    # A late event of the declined attempt changes nothing.
    declined_intent = next(intent for intent in intents if intent["status"] != "succeeded")
    response = deliver(client, "payment_intent.payment_failed", declined_intent)
    assert response.content == b"ignored"
    assert OnlinePayment.objects.get().status == "succeeded"


@pytest.mark.django_db
def test_a_failed_3d_secure_check_lets_the_customer_pay_with_another_card(client, stripe_on, stripe_front,
                                                                          cold_point):
    product = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=5)
    payment = start_payment(client, cold_point, product, 1)
    challenge = pay_by_card(client, payment, stripe_on, number="4000002500003155").json()
    waiting = OnlinePayment.objects.get()
    assert (waiting.status, challenge) == ("requires_action", {"client_secret": waiting.client_secret})
    # The customer fails the bank's check in Stripe.js (confirmCardPayment).
    requests.post(f"{stripe_on}/v1/payment_intents/{waiting.intent_id}/_authenticate",
                  data={"client_secret": waiting.client_secret, "success": "false"},
                  auth=("sk_test_xiangpin", ""), timeout=5).raise_for_status()

    assert pay_by_card(client, payment, stripe_on).json() == {"redirect": reverse("checkout:thank-you")}
    final = OnlinePayment.objects.get()
    intents = {intent["id"]: intent["status"] for intent in localstripe_intents(stripe_on, payment)}
    assert intents == {waiting.intent_id: "canceled", final.intent_id: "succeeded"}
    assert final.idempotency_key != waiting.idempotency_key
    assert (final.status, Order.objects.get().number) == ("succeeded", payment.order_number)


@pytest.mark.django_db
def test_a_lost_refund_answer_is_sent_again_with_the_same_key(client, stripe_on, stripe_front, cold_point,
                                                              monkeypatch):
    product = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=0)
    make_batch(product=product, quantity=5, households=[(make_household(), 5)])
    payment = start_payment(client, cold_point, product, 3)
    assert pay_by_card(client, payment, stripe_on).status_code == 200
    order = Order.objects.get()
    line = order.lines.get()
    calls = _lost_answer(monkeypatch, "refund_create")

    with pytest.raises(services.PaymentError, match="^退款结果暂未确认，请稍后重试（不会重复退款）$"):
        order_refund(order=order, line_quantities={line.pk: 1}, reason="破损")
    refund = OnlineRefund.objects.get()
    assert calls == [refund.idempotency_key]
    assert (refund.amount, refund.status, refund.refund_id, refund.applied_at) == (Decimal("12.50"), "pending", None,
                                                                                  None)
    # The unit stays claimed (nobody refunds it twice); the ledger waits for the answer.
    assert list(order.payment_events.filter(event_type__name="退款").values_list("amount", flat=True)) == [
        Decimal("12.50")]
    assert (line_net(line=line).quantity, line_net(line=line).sales_amount) == (Decimal("3.000"), Decimal("37.50"))
    monkeypatch.undo()

    # Staff try again (whatever they ask now, the unconfirmed refund is finished first).
    result = order_refund(order=order, line_quantities={line.pk: 2}, reason="再试")
    assert (result.amount, result.quantities, result.resumed) == (Decimal("12.50"), {line.pk: 1}, True)
    assert [key for key, _params in stripe_front.creates("/v1/refunds")] == [refund.idempotency_key] * 2
    [on_stripe] = localstripe_refunds(stripe_on, OnlinePayment.objects.get().intent_id)
    assert (on_stripe["amount"], on_stripe["status"]) == (1250, "succeeded")
    refund.refresh_from_db()
    assert (refund.status, refund.refund_id, refund.applied_at is not None) == ("succeeded", on_stripe["id"], True)
    assert (line_net(line=line).quantity, line_net(line=line).sales_amount) == (Decimal("2.000"), Decimal("25.00"))
    paid = OnlinePayment.objects.get()
    assert (paid.status, paid.amount_refunded_fen, paid.amount_refund_applied_fen) == ("partially_refunded", 1250, 1250)


# -- manual capture ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["alipay", "wechat_pay"])
def test_wallets_are_never_asked_for_a_manual_capture(stripe_on, stripe_front, cold_point, method):
    product = make_product(title="化州橘红 礼盒", price=Decimal("68.00"), stock=5)
    payment = payment_begin(product, 1, point=cold_point, method=method)
    with pytest.raises(ManualCaptureRefused, match=f"^{method} cannot be captured later$"):
        gateway.intent_params(payment=payment, return_url="https://shop.example/r/", capture_method="manual")
    params = gateway.intent_params(payment=payment, return_url="https://shop.example/r/")
    assert "capture_method" not in params
    for manual in ({"capture_method": "manual"},
                   {"payment_method_options": {method: {"capture_method": "manual"}}}):
        with pytest.raises(ManualCaptureRefused):
            gateway.intent_create(params={**params, **manual}, idempotency_key=payment.idempotency_key)
    assert stripe_front.log == []  # refused before anything reached Stripe
    intent = services.payment_intent_ensure(payment=payment, return_url="https://shop.example/r/")
    assert intent.status == "requires_action"
    [(_key, sent)] = stripe_front.creates("/v1/payment_intents")
    assert not [name for name, _value in sent if "capture_method" in name]


@pytest.mark.django_db
def test_a_card_may_be_captured_later(stripe_on, cold_point):
    product = make_product(title="化州橘红 礼盒", price=Decimal("68.00"), stock=5)
    payment = payment_begin(product, 1, point=cold_point, method="card")
    params = gateway.intent_params(payment=payment, return_url="", payment_method=card_token(stripe_on)["card"]["id"],
                                   capture_method="manual")
    params.pop("return_url")
    intent = gateway.intent_create(params=params, idempotency_key=payment.idempotency_key)
    assert (intent.status, intent.capture_method, intent.amount) == ("requires_capture", "manual", 6800)
