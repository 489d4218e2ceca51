"""The same payment_intent.succeeded event delivered 20 times, 10 of them at the
same moment (PostgreSQL, real threads): one event row, one order, one change of
the payment's status, one 已支付 payment event and one confirmation e-mail;
every delivery gets a 200."""
import os
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from oscar.core.loading import get_model

from shop.inventory.models import StockReservation
from shop.payments import webhooks
from shop.payments.models import OnlinePayment, WebhookEvent
from tests.factories import make_product

from .conftest import intent_object, post_event, start_payment, stripe_event

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")

# Rounds of the race in one run (CI may ask for more: XIANGPIN_RACE_ROUNDS=20).
ROUNDS = int(os.environ.get("XIANGPIN_RACE_ROUNDS", "5"))
CONCURRENT = 10
SEQUENTIAL = 10

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and unique-index waits need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def status_changes(monkeypatch):
    """(payment id, new status) for every save that writes a payment's status."""
    changes = []
    real_save = OnlinePayment.save

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if fields is None or "status" in fields:
            changes.append((self.pk, self.status))
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(OnlinePayment, "save", save)
    return changes


def _deliver_concurrently(payload, monkeypatch):
    """Post ``payload`` from CONCURRENT threads released together just before
    the event is recorded."""
    gate = threading.Barrier(CONCURRENT, timeout=30)
    real_check = webhooks.event_check

    def check_then_wait(data):
        event = real_check(data)
        gate.wait()
        return event

    monkeypatch.setattr(webhooks, "event_check", check_then_wait)
    responses = [None] * CONCURRENT

    def deliver(index):
        try:
            responses[index] = post_event(Client(), payload)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(index,)) for index in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.setattr(webhooks, "event_check", real_check)
    return responses


def test_one_event_delivered_twenty_times_is_processed_once(client, stripe_on, cold_point, status_changes,
                                                             monkeypatch):
    product = make_product(title="徐闻菠萝 5斤装", price=Decimal("29.90"), stock=ROUNDS * 2)
    for round_number in range(ROUNDS):
        payment = start_payment(Client(), cold_point, product, 2, email=f"pineapple{round_number}@example.com")
        OnlinePayment.objects.filter(pk=payment.pk).update(intent_id=f"pi_dup{round_number}")
        payment.refresh_from_db()
        mail.outbox.clear()
        status_changes.clear()
        event_id = f"evt_dup_{round_number}"
        payload = stripe_event("payment_intent.succeeded", intent_object(payment, "succeeded"), event_id=event_id)

        responses = _deliver_concurrently(payload, monkeypatch)
        responses += [post_event(Client(), payload) for _delivery in range(SEQUENTIAL)]

        assert [response.status_code for response in responses] == [200] * 20
        assert sorted(response.content for response in responses) == [b"duplicate"] * 19 + [b"processed"]
        assert list(WebhookEvent.objects.filter(event_id=event_id).values_list("type", "intent_id")) == [
            ("payment_intent.succeeded", f"pi_dup{round_number}")]
        payment.refresh_from_db()
        order = Order.objects.get(number=payment.order_number)
        assert (payment.status, payment.amount_received_fen, payment.order_id) == ("succeeded", 5980, order.pk)
        assert status_changes == [(payment.pk, "succeeded")]
        assert list(PaymentEvent.objects.filter(order=order).values_list("event_type__name", "amount")) == [
            ("已支付", Decimal("59.80"))]
        assert [message.to for message in mail.outbox] == [[f"pineapple{round_number}@example.com"]]
        assert not StockReservation.objects.filter(basket_id=payment.basket_id).exists()

    assert Order.objects.count() == ROUNDS
    stock = product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (ROUNDS * 2, ROUNDS * 2)
