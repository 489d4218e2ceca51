"""Two people of a cooperative pack the same orders into a wave at the same
moment (PostgreSQL row locks): every order ends in exactly one wave, and the
other gets a clear refusal naming the orders."""
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from oscar.core.loading import get_model

from shop.fulfilment import waves
from shop.fulfilment.models import DeliveryWave, WaveOrder
from shop.harvest.models import TraceEvent
from tests.backoffice.support import build_world

from .conftest import pickup_order

ShippingEvent = get_model("order", "ShippingEvent")


def _race(monkeypatch, calls):
    """Run ``calls`` in threads that all reach the order lock together; their results or errors."""
    arrived = threading.Barrier(len(calls), timeout=20)
    real = waves._locked_orders

    def lock_after_everyone_arrives(**kwargs):
        arrived.wait()
        return real(**kwargs)

    monkeypatch.setattr(waves, "_locked_orders", lock_after_everyone_arrives)
    results = [None] * len(calls)

    def run(index):
        try:
            results[index] = calls[index]()
        except ValidationError as error:
            results[index] = error.messages
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("explicit", [True, False], ids=["selected-orders", "all-at-the-point"])
def test_concurrent_waves_put_each_order_in_exactly_one(monkeypatch, explicit):
    world = build_world()
    partner, point, tomorrow = world.subject_a.partner, world.point_p, timezone.localdate() + datetime.timedelta(days=1)
    orders = [pickup_order(lines=[(world.product_a, 1)], point=point) for _ in range(3)]
    users = [world.users["coop_a"], world.users["admin"]]

    def create(user):
        return lambda: waves.wave_create(partner=partner, service_point=point, delivery_date=tomorrow, user=user,
                                         orders=orders if explicit else None)

    results = _race(monkeypatch, [create(users[0]), create(users[1])])

    [wave] = DeliveryWave.objects.all()
    assert [result for result in results if isinstance(result, DeliveryWave)] == [wave]
    [refusal] = [result for result in results if not isinstance(result, DeliveryWave)]
    if explicit:
        assert refusal == [f"订单 {order.number} 已在波次 {wave.code} 中" for order in orders]
    else:
        assert refusal == ["「天河林和自提点」已没有待装入波次的订单"]
    assert sorted(WaveOrder.objects.values_list("order_id", flat=True)) == [order.pk for order in orders]
    assert ShippingEvent.objects.count() == 3
    assert TraceEvent.objects.filter(business_step="packing").count() == 1
