"""The customer's browser (return URL or status poll) and Stripe's webhook learn
at the same moment that the card payment succeeded (PostgreSQL, real threads):
exactly one order, paid once, one confirmation e-mail."""
import os
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from oscar.core.loading import get_model

from shop.payments import services, webhooks
from shop.payments.models import OnlinePayment, WebhookEvent
from tests.factories import make_product

from .conftest import card_token, post_event, start_payment, stripe_event

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")

ROUNDS = int(os.environ.get("XIANGPIN_RACE_ROUNDS", "3"))

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _both_at_the_lock(monkeypatch):
    """The browser's and the webhook's observation wait for each other, then race
    for the payment row."""
    gate = threading.Barrier(2, timeout=30)
    real_observe = services.payment_observe

    def observe_together(**kwargs):
        gate.wait()
        return real_observe(**kwargs)

    monkeypatch.setattr(services, "payment_observe", observe_together)
    monkeypatch.setattr(webhooks, "payment_observe", observe_together)


@pytest.mark.parametrize("browser_url", ["payments:return", "payments:status"])
def test_browser_and_webhook_make_one_order(stripe_on, cold_point, monkeypatch, browser_url):
    product = make_product(title="高州荔枝 3斤装", price=Decimal("59.00"), stock=ROUNDS)
    for round_number in range(ROUNDS):
        browser = Client()
        email = f"lychee{round_number}@example.com"
        payment = start_payment(browser, cold_point, product, 1, email=email)
        # Stripe charged the card; neither the browser nor the webhook has told us yet.
        intent = services.payment_intent_ensure(payment=payment, card=card_token(stripe_on)["card"]["id"])
        assert intent.status == "succeeded"
        payload = stripe_event("payment_intent.succeeded", intent.to_dict(),
                               event_id=f"evt_race_{browser_url}_{round_number}")
        mail.outbox.clear()

        with monkeypatch.context() as patch:
            _both_at_the_lock(patch)
            responses = {}

            def run(name, call):
                try:
                    responses[name] = call()
                finally:
                    connection.close()

            threads = [
                threading.Thread(target=run, args=("browser", lambda: browser.get(
                    reverse(browser_url, args=[payment.reference])))),
                threading.Thread(target=run, args=("webhook", lambda: post_event(Client(), payload))),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

        order = Order.objects.get(number=payment.order_number)
        thank_you = reverse("checkout:thank-you")
        if browser_url == "payments:return":
            assert (responses["browser"].status_code, responses["browser"].url) == (302, thank_you)
        else:
            assert responses["browser"].json() == {"status": "succeeded", "label": "已支付", "redirect": thank_you}
        assert (responses["webhook"].status_code, responses["webhook"].content) == (200, b"processed")
        payment.refresh_from_db()
        assert (payment.status, payment.amount_received_fen, payment.order_id) == ("succeeded", 5900, order.pk)
        assert list(PaymentEvent.objects.filter(order=order).values_list("event_type__name", "amount")) == [
            ("已支付", Decimal("59.00"))]
        assert order.sources.get().amount_debited == Decimal("59.00")
        assert [message.to for message in mail.outbox] == [[email]]

    assert Order.objects.count() == ROUNDS
    assert OnlinePayment.objects.filter(order__isnull=False).count() == ROUNDS
    assert WebhookEvent.objects.count() == ROUNDS
    stock = product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (ROUNDS, ROUNDS)
