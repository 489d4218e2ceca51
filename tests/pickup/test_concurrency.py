"""Two hand-overs of the same code at the same moment, or a hand-over racing the
sweep's return (PostgreSQL row locks): exactly one wins, the payment is taken
once, and the other gets a clear refusal."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from oscar.core.loading import get_model

from shop.fulfilment import pickup
from shop.fulfilment.models import OrderPickup
from tests.backoffice.support import build_world

from .conftest import pickup_order, shipped_wave

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(calls):
    results = [None] * len(calls)

    def run(index):
        try:
            results[index] = calls[index]()
        except ValidationError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _ready_order(world):
    order = pickup_order(lines=[(world.product_a, 2)], point=world.point_p)
    pickup.wave_receive(wave=shipped_wave(partner=world.subject_a.partner, point=world.point_p, orders=[order]),
                        user=world.users["pickup"])
    return order, OrderPickup.objects.get(order=order)


def _meet_before(monkeypatch, *names):
    """Make the callers of ``pickup.<name>`` (one caller per name, or two callers
    of one name) wait for each other there, then go on together."""
    barrier = threading.Barrier(2, timeout=20)
    for name in names:
        real = getattr(pickup, name)

        def wait_then_call(*args, _real=real, **kwargs):
            barrier.wait()
            return _real(*args, **kwargs)

        monkeypatch.setattr(pickup, name, wait_then_call)


def test_two_hand_overs_of_one_code_take_the_payment_once(monkeypatch):
    world = build_world()
    order, record = _ready_order(world)
    _meet_before(monkeypatch, "pickup_for_code")

    def hand_over(user):
        return lambda: pickup.order_hand_over(service_point=world.point_p, code=record.pickup_code, user=user,
                                              payment_collected=True)

    results = _race([hand_over(world.users["pickup"]), hand_over(world.users["admin"])])

    winners = [result for result in results if isinstance(result, OrderPickup)]
    [refusal] = [result for result in results if isinstance(result, ValidationError)]
    assert len(winners) == 1
    assert isinstance(refusal, pickup.AlreadyHandedOver)
    order.refresh_from_db()
    assert order.status == "已取货"
    assert order.sources.get().amount_debited == Decimal("79.80")
    assert list(PaymentEvent.objects.filter(order=order).values_list("event_type__name", "amount")) == [
        ("已支付", Decimal("79.80"))]


def test_a_hand_over_racing_the_return_leaves_one_outcome(monkeypatch):
    world = build_world()
    order, record = _ready_order(world)
    _meet_before(monkeypatch, "pickup_for_code", "_return_claim")

    results = _race([
        lambda: pickup.order_hand_over(service_point=world.point_p, code=record.pickup_code,
                                       user=world.users["pickup"], payment_collected=True),
        lambda: pickup.pickups_sweep(now=record.ready_at + datetime.timedelta(days=8)),
    ])
    order.refresh_from_db()
    record.refresh_from_db()
    handed_over = isinstance(results[0], OrderPickup)
    if handed_over:
        assert (order.status, record.returned_at, results[1].returned) == ("已取货", None, [])
        assert order.sources.get().amount_debited == Decimal("79.80")
    else:
        assert isinstance(results[0], pickup.PickupCodeInvalid)
        assert (order.status, results[1].returned) == ("已退回", [order.number])
        assert record.collected_at is None
        assert not PaymentEvent.objects.filter(order=order).exists()
