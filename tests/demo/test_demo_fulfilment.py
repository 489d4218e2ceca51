"""The demo's fulfilment history and walk-through (shop.core.demo.fulfilment):
delivery waves, hand-overs paid at the point, and the states left for the demo
accounts. Seeded once for the module (stages up to the orders, then the
fulfilment stage twice: all through the services, rolled back, then as the demo
runs it, bulk for the older history), so both ways can be compared."""
import datetime
import io
from collections import Counter, defaultdict
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry
from shop.core.demo import seed as demo_seed
from shop.core.demo.accounts import COOP_PARTNER_CODE, PICKUP_POINT_CODE
from shop.core.demo.fulfilment import RECENT_DAYS, seed_fulfilment
from shop.core.demo.harvest import demo_plan
from shop.core.demo.sales_plan import AWAITING_WAVE, IN_TRANSIT, READY, SHOWCASE_POINT, SHOWCASE_SUBJECT
from shop.fulfilment import pickup as pickup_services
from shop.fulfilment import waves as wave_services
from shop.fulfilment.models import DeliveryWave, OrderPickup, WaveOrder
from shop.fulfilment.pickup_selectors import incoming_waves, order_amount_due, orders_waiting
from shop.fulfilment.tracking import order_tracking
from shop.fulfilment.wave_selectors import orders_awaiting_wave
from shop.harvest.models import TraceEvent
from shop.regions.models import ServicePoint

from .conftest import HOUSEHOLDS, PRODUCTS, _Rollback

Order = get_model("order", "Order")
Line = get_model("order", "Line")
Partner = get_model("partner", "Partner")
ShippingEvent = get_model("order", "ShippingEvent")
PaymentEvent = get_model("order", "PaymentEvent")
OrderStatusChange = get_model("order", "OrderStatusChange")
CommunicationEvent = get_model("order", "CommunicationEvent")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")

pytestmark = pytest.mark.django_db

COLLECTED_STEPS = [("待发货", "配送中"), ("配送中", "待取货"), ("待取货", "已取货")]


def _snapshot():
    """Every row the fulfilment stage writes, without ids, pickup codes or record times."""
    quantities = defaultdict(list)
    for event_id, line_id, quantity in get_model("order", "ShippingEventQuantity").objects.values_list(
            "event_id", "line_id", "quantity"):
        quantities["s", event_id].append((line_id, quantity))
    for event_id, line_id, quantity in get_model("order", "PaymentEventQuantity").objects.values_list(
            "event_id", "line_id", "quantity"):
        quantities["p", event_id].append((line_id, quantity))
    return {
        "waves": Counter(DeliveryWave.objects.values_list(
            "code", "partner_id", "service_point_id", "delivery_date", "status", "cold_chain", "created",
            "created_by_id", "shipped_at", "shipped_by_id", "received_at", "received_by_id")),
        "wave orders": Counter(WaveOrder.objects.values_list("wave__code", "order_id", "partner_id")),
        "shipping events": Counter(
            (order_id, code, notes, at, tuple(sorted(quantities["s", pk])))
            for pk, order_id, code, notes, at in ShippingEvent.objects.values_list(
                "pk", "order_id", "event_type__code", "notes", "date_created")),
        "payment events": Counter(
            (order_id, name, amount, reference, at, shipping_event, tuple(sorted(quantities["p", pk])))
            for pk, order_id, name, amount, reference, at, shipping_event in PaymentEvent.objects.values_list(
                "pk", "order_id", "event_type__name", "amount", "reference", "date_created", "shipping_event_id")),
        "status changes": Counter(OrderStatusChange.objects.values_list(
            "order_id", "old_status", "new_status", "date_created")),
        "transactions": Counter(Transaction.objects.values_list(
            "source_id", "txn_type", "amount", "reference", "status", "date_created")),
        "sources": Counter(Source.objects.values_list("pk", "amount_allocated", "amount_debited", "amount_refunded")),
        "pickups": Counter((order_id, len(code), ready_at, reminded, collected_at, collected_by, returned)
                           for order_id, code, ready_at, reminded, collected_at, collected_by, returned
                           in OrderPickup.objects.values_list("order_id", "pickup_code", "ready_at",
                                                              "reminder_sent_at", "collected_at",
                                                              "collected_by_id", "returned_at")),
        "orders": Counter(Order.objects.values_list("pk", "status")),
        "trace events": Counter(TraceEvent.objects.values_list(
            "batch_id", "event_type", "business_step", "disposition", "occurred_at", "place", "service_point_id",
            "temperature", "recorder", "recorded_by_id", "note")),
        "notices": CommunicationEvent.objects.count(),
    }


@pytest.fixture(scope="module")
def fulfilled(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("fulfilment-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        try:
            with transaction.atomic():
                with mock.patch.object(demo_seed, "seed_fulfilment", lambda progress=None: {}), \
                        mock.patch.object(demo_seed, "waves_to_seed", lambda: 0):
                    demo_seed.seed_demo(households=HOUSEHOLDS, products=PRODUCTS, show_progress=False)
                point = transaction.savepoint()
                services = seed_fulfilment(bulk_before=datetime.date.min)
                through_services = _snapshot()
                transaction.savepoint_rollback(point)
                with TestCase.captureOnCommitCallbacks() as callbacks:
                    created = seed_fulfilment()
                snapshot = _snapshot()
                again = seed_fulfilment()
                yield {"services": services, "through_services": through_services, "created": created,
                       "snapshot": snapshot, "again": again, "on_commit": len(callbacks)}
                raise _Rollback
        except _Rollback:
            pass


def _local_date(value):
    return timezone.localtime(value).date()


def _plan_orders():
    """{number: OrderPlan} of today's plan (the one the fixture seeded)."""
    return {order.number: order for order in demo_plan().orders}


def _partner_ids(order):
    return set(order.lines.exclude(partner=None).values_list("partner_id", flat=True))


def test_bulk_history_writes_what_the_services_write(fulfilled):
    old = DeliveryWave.objects.filter(delivery_date__lt=timezone.localdate() - datetime.timedelta(days=RECENT_DAYS))
    assert old.count() > DeliveryWave.objects.count() / 2  # the bulk path wrote most of it
    assert fulfilled["created"] == fulfilled["services"]
    assert fulfilled["snapshot"] == fulfilled["through_services"]


def test_rerun_adds_nothing_and_no_notice_went_out(fulfilled):
    assert fulfilled["again"] == {"DeliveryWave": 0, "WaveOrder": 0, "已取货订单": 0}
    assert fulfilled["on_commit"] == 0 and fulfilled["snapshot"]["notices"] == 0  # no notice for the past
    assert fulfilled["created"]["DeliveryWave"] == DeliveryWave.objects.count()
    assert fulfilled["created"]["WaveOrder"] == WaveOrder.objects.count()
    assert fulfilled["created"]["已取货订单"] == Order.objects.filter(status="已取货").count()


def test_older_orders_are_collected_or_cancelled(fulfilled):
    plan = _plan_orders()
    cutoff = timezone.localdate() - datetime.timedelta(days=4)
    old = Order.objects.filter(date_placed__lt=datetime.datetime.combine(
        cutoff, datetime.time(), tzinfo=timezone.get_current_timezone()))
    assert old.count() >= 50
    for order in old:
        expected = "已取消" if plan[order.number].cancelled_at else "已取货"
        assert order.status == expected, order.number
    assert Order.objects.filter(status="已取消").count() == sum(1 for o in plan.values() if o.cancelled_at)
    assert not WaveOrder.objects.filter(order__status="已取消").exists()


def test_waves_group_a_cooperatives_orders_for_a_point_and_the_next_day(fulfilled):
    today = timezone.localdate()
    in_transit = {number for number, o in _plan_orders().items() if o.stage == IN_TRANSIT}
    for wave in DeliveryWave.objects.prefetch_related("wave_orders__order__pickup", "wave_orders__order__lines"):
        wave_orders = list(wave.wave_orders.all())
        assert wave_orders
        for wave_order in wave_orders:
            order = wave_order.order
            assert wave_order.partner_id == wave.partner_id
            assert wave.partner_id in {line.partner_id for line in order.lines.all()}
            assert order.pickup.service_point_id == wave.service_point_id
            if order.number in in_transit:
                assert wave.delivery_date == today
            else:
                assert wave.delivery_date == _local_date(order.date_placed) + datetime.timedelta(days=1)
        assert wave.code.startswith(f"W{wave.delivery_date:%Y%m%d}-{wave.service_point.code}-")
        assert _local_date(wave.created) <= wave.delivery_date
        assert max(o.order.date_placed for o in wave_orders) < wave.created < wave.shipped_at
        if wave.status == "received":
            assert wave.shipped_at < wave.received_at < timezone.now()
    statuses = Counter(DeliveryWave.objects.values_list("status", flat=True))
    assert statuses["shipped"] == 1 and statuses["planned"] == 0


def test_a_collected_order_went_the_whole_way_and_was_paid_at_the_point(fulfilled):
    staff = get_user_model().objects.get(username="pickup@xiangpin.demo")
    refunds = defaultdict(list)
    for order_id, at in LedgerEntry.objects.filter(kind="refund").values_list("line__order_id", "occurred_at"):
        refunds[order_id].append(at)
    collected = Order.objects.filter(status="已取货").select_related("pickup__service_point")
    assert collected.exists()
    for order in collected:
        pickup = order.pickup
        waves = list(DeliveryWave.objects.filter(wave_orders__order=order).order_by("received_at"))
        assert {wave.partner_id for wave in waves} == _partner_ids(order)
        changes = list(order.status_changes.order_by("date_created", "pk"))
        assert [(c.old_status, c.new_status) for c in changes] == COLLECTED_STEPS
        assert [c.date_created for c in changes] == [
            min(w.shipped_at for w in waves), waves[-1].received_at, pickup.collected_at]
        assert pickup.ready_at == waves[-1].received_at
        assert len(pickup.pickup_code) == 6 and pickup.pickup_code.isdigit()
        assert pickup.ready_at + datetime.timedelta(hours=1) <= pickup.collected_at < timezone.now()
        assert all(pickup.collected_at < at for at in refunds[order.pk])
        assert pickup.collected_by == (staff if pickup.service_point.code == PICKUP_POINT_CODE else None)
        [source] = order.sources.all()
        assert (source.source_type.code, source.amount_debited, source.amount_refunded) == (
            "pay-at-pickup", order.total_incl_tax, Decimal("0.00"))
        [txn] = source.transactions.all()
        reference = f"自提点收款：{pickup.service_point.code}"
        assert (txn.txn_type, txn.amount, txn.reference, txn.date_created) == (
            "Debit", order.total_incl_tax, reference, pickup.collected_at)
        [payment] = order.payment_events.all()
        assert (payment.event_type.name, payment.amount, payment.reference, payment.date_created) == (
            "已支付", order.total_incl_tax, reference, pickup.collected_at)
        assert order_amount_due(order=order) == Decimal("0.00")
        events = sorted((e.date_created, e.event_type.name) for e in order.shipping_events.all())
        expected = sorted([(w.created, "已打包") for w in waves] + [(w.shipped_at, "已发运") for w in waves]
                          + [(w.received_at, "已到达自提点") for w in waves] + [(pickup.collected_at, "已取货")])
        assert events == expected


def test_every_wave_step_is_traced_on_its_batches(fulfilled):
    for wave in DeliveryWave.objects.filter(status="received").select_related("service_point")[:40]:
        batches = set(Line.objects.filter(order__wave_orders__wave=wave, partner=wave.partner)
                      .values_list("batch_allocations__batch_id", flat=True)) - {None}
        for step, at in (("packing", wave.created), ("shipping", wave.shipped_at), ("receiving", wave.received_at)):
            traced = TraceEvent.objects.filter(note__contains=wave.code, business_step=step)
            assert set(traced.values_list("batch_id", flat=True)) == batches
            assert set(traced.values_list("occurred_at", flat=True)) == ({at} if batches else set())
        receiving = TraceEvent.objects.filter(note__contains=wave.code, business_step="receiving")
        assert set(receiving.values_list("service_point_id", flat=True)) <= {wave.service_point_id}
        if wave.cold_chain:
            assert not receiving.filter(temperature__isnull=True).exists()


def test_the_cooperative_has_yesterdays_orders_to_pack_at_the_demo_point(fulfilled):
    plan = _plan_orders()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    point = ServicePoint.objects.get(code=PICKUP_POINT_CODE)
    awaiting = [o for o in plan.values() if o.stage == AWAITING_WAVE]
    assert len(awaiting) == 3 and SHOWCASE_POINT == PICKUP_POINT_CODE
    partner = Line.objects.get(order__number=awaiting[0].number).partner
    expected = {number for number, o in plan.items() if o.point_code == SHOWCASE_POINT
                and o.placed_at.date() == yesterday and partner.pk in _partner_ids(Order.objects.get(number=number))}
    waiting = list(orders_awaiting_wave(partner=partner, service_point=point))
    assert {order.number for order in waiting} == expected >= {o.number for o in awaiting}
    assert all(order.status == "待发货" and order_amount_due(order=order) == order.total_incl_tax for order in waiting)
    coop = get_user_model().objects.get(username="coop@xiangpin.demo")
    assert (partner.code == COOP_PARTNER_CODE) == partner.users.filter(pk=coop.pk).exists()
    wave = wave_services.wave_create(partner=partner, service_point=point, delivery_date=timezone.localdate(),
                                     user=coop)
    assert sorted(wave.wave_orders.values_list("order__number", flat=True)) == sorted(expected)
    assert (wave.code, wave.status, wave.created_by) == (
        f"W{timezone.localdate():%Y%m%d}-{PICKUP_POINT_CODE}-2", "planned", coop)


def test_a_wave_is_on_its_way_to_the_demo_point(fulfilled, django_capture_on_commit_callbacks):
    plan = _plan_orders()
    today = timezone.localdate()
    point = ServicePoint.objects.get(code=PICKUP_POINT_CODE)
    [wave] = incoming_waves([point])
    numbers = sorted(number for number, o in plan.items() if o.stage == IN_TRANSIT)
    assert len(numbers) == 2
    assert sorted(wave.wave_orders.values_list("order__number", flat=True)) == numbers
    assert (wave.code, wave.delivery_date, wave.order_count) == (f"W{today:%Y%m%d}-{PICKUP_POINT_CODE}-1", today, 2)
    assert _local_date(wave.shipped_at) == today - datetime.timedelta(days=1)
    if wave.partner.code == SHOWCASE_SUBJECT:
        assert wave.shipped_by.username == "coop@xiangpin.demo"
    assert set(Order.objects.filter(number__in=numbers).values_list("status", flat=True)) == {"配送中"}
    staff = get_user_model().objects.get(username="pickup@xiangpin.demo")
    temperature = Decimal("10.5") if wave.cold_chain else None
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        pickup_services.wave_receive(wave=wave, user=staff, temperature=temperature)
    assert set(Order.objects.filter(number__in=numbers).values_list("status", flat=True)) == {"待取货"}
    assert len(mail.outbox) == 2  # the ready notices go out now, as in a real run


def test_the_consumers_order_waits_at_the_demo_point_and_is_paid_at_hand_over(fulfilled):
    [number] = [number for number, o in _plan_orders().items() if o.stage == READY]
    order = Order.objects.get(number=number)
    assert order.user.username == "consumer@xiangpin.demo" and order.status == "待取货"
    pickup = order.pickup
    assert pickup.service_point.code == PICKUP_POINT_CODE
    assert _local_date(pickup.ready_at) == timezone.localdate() - datetime.timedelta(days=1)
    tracking = order_tracking(order=order)
    assert tracking.pickup_code == pickup.pickup_code and len(pickup.pickup_code) == 6
    assert tracking.amount_due == order.total_incl_tax
    [waiting] = [w for w in orders_waiting([pickup.service_point]) if w.number == number]
    assert (waiting.amount_due, waiting.days_waiting) == (order.total_incl_tax, 1)
    staff = get_user_model().objects.get(username="pickup@xiangpin.demo")
    pickup_services.order_hand_over(service_point=pickup.service_point, code=pickup.pickup_code, user=staff,
                                    payment_collected=True, amount_expected=order.total_incl_tax)
    order.refresh_from_db()
    [source] = order.sources.all()
    assert (order.status, source.amount_debited) == ("已取货", order.total_incl_tax)
    assert order.payment_events.get().amount == order.total_incl_tax


def test_seed_output_lists_the_stages(fulfilled):
    out = io.StringIO()
    demo_seed.seed_demo(households=HOUSEHOLDS, products=PRODUCTS, out=out, show_progress=False)
    text = out.getvalue()
    assert "运费标准与商品重量（" in text and "DeliveryRate +0" in text
    assert "配送波次、到货签收与自提交付（" in text and "DeliveryWave +0" in text
