"""The pickup sweep: one reminder after XIANGPIN_PICKUP_REMINDER_DAYS, then, after
XIANGPIN_PICKUP_RETURN_DAYS, the order is returned: refunded in full when it was
paid online, or (paid at pickup, so nothing taken) its ledger reversed with no
money; the units go back to their batches and to stock. Re-running does nothing more."""
import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.attribution.services import line_net
from shop.fulfilment import pickup
from shop.fulfilment.models import OrderPickup

from .conftest import pickup_order, shipped_wave

CommunicationEvent = get_model("order", "CommunicationEvent")
PaymentEvent = get_model("order", "PaymentEvent")
ShippingEvent = get_model("order", "ShippingEvent")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


def _ready(world, *, quantity=2, pay_at_pickup=True, user=None):
    order = pickup_order(lines=[(world.product_a, quantity)], point=world.point_p, pay_at_pickup=pay_at_pickup,
                         user=user)
    pickup.wave_receive(wave=shipped_wave(partner=world.partner_a, point=world.point_p, orders=[order]),
                        user=world.users["pickup"])
    record = OrderPickup.objects.get(order=order)
    return order, record


def _stock(world):
    record = StockRecord.objects.get(product=world.product_a)
    world.batch_a.refresh_from_db()
    return record.num_in_stock, record.num_allocated, world.batch_a.quantity_allocated


def _sweep(now, capture):
    with capture(execute=True):
        result = pickup.pickups_sweep(now=now)
    return result.reminded, result.returned, result.refunded, result.refund_failed


def test_one_reminder_then_return_and_full_refund_of_an_order_paid_online(
        world, settings, sms_outbox, django_capture_on_commit_callbacks):
    settings.XIANGPIN_PICKUP_REMINDER_DAYS, settings.XIANGPIN_PICKUP_RETURN_DAYS = 3, 7
    order, record = _ready(world, pay_at_pickup=False, user=world.users["consumer"])
    assert _stock(world) == (200, 2, 2)
    mail.outbox.clear()
    sms_outbox.clear()
    ready_at = record.ready_at

    assert _sweep(ready_at + 3 * DAY - MINUTE, django_capture_on_commit_callbacks) == ([], [], [], [])
    reminder_time = ready_at + 3 * DAY + MINUTE
    assert _sweep(reminder_time, django_capture_on_commit_callbacks) == ([order.number], [], [], [])
    record.refresh_from_db()
    assert record.reminder_sent_at == reminder_time
    [reminder] = mail.outbox
    assert reminder.subject == f"取货提醒：订单 {order.number} 仍在自提点等候"
    assert record.pickup_code in reminder.body and "已在天河林和自提点等候 3 天" in reminder.body
    [sms] = sms_outbox
    assert record.pickup_code in sms.text and "逾期将退回" in sms.text
    # Never twice.
    assert _sweep(reminder_time + DAY, django_capture_on_commit_callbacks) == ([], [], [], [])
    assert len(mail.outbox) == 1

    return_time = ready_at + 7 * DAY + MINUTE
    assert _sweep(return_time, django_capture_on_commit_callbacks) == ([], [order.number], [order.number], [])
    order.refresh_from_db()
    record.refresh_from_db()
    assert order.status == "已退回"
    assert record.returned_at == return_time and record.collected_at is None
    assert list(PaymentEvent.objects.filter(order=order).values_list("event_type__name", "amount", "reference")) == [
        ("退款", Decimal("79.80"), "逾期未取货退回")]
    source = order.sources.get()
    assert (source.amount_debited, source.amount_refunded) == (Decimal("79.80"), Decimal("79.80"))
    line = order.lines.get()
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount, net.income) == (Decimal("0.000"), Decimal("0.00"), Decimal("0.00"))
    assert sorted(set(LedgerEntry.objects.filter(line=line).values_list("kind", flat=True))) == ["refund", "sale"]
    assert _stock(world) == (200, 0, 0)  # the units are back in batch A and in stock
    assert LineAllocation.objects.get(line=line).released_at is not None
    events = ShippingEvent.objects.filter(order=order).order_by("pk")
    assert list(events.values_list("event_type__name", flat=True)) == [
        "已到达自提点", "已退回"]
    returned = mail.outbox[-1]
    assert returned.subject == f"订单 {order.number} 逾期未取，已退回"
    assert "已支付的 ¥79.80 将原路退回" in returned.body
    assert not returned.attachments
    assert sms_outbox[-1].text == f"【乡品通】您的订单 {order.number} 逾期未取，已退回。已支付的 ¥79.80 将原路退回。"
    assert list(CommunicationEvent.objects.filter(order=order).order_by("pk").values_list(
        "event_type__code", flat=True)) == ["PICKUP_REMINDER", "PICKUP_RETURNED"]

    # Idempotent: nothing more, ever.
    counts = (PaymentEvent.objects.count(), LedgerEntry.objects.count(), len(mail.outbox), len(sms_outbox))
    assert _sweep(return_time + DAY, django_capture_on_commit_callbacks) == ([], [], [], [])
    assert (PaymentEvent.objects.count(), LedgerEntry.objects.count(), len(mail.outbox), len(sms_outbox)) == counts
    assert _stock(world) == (200, 0, 0)


def test_an_unpaid_pay_at_pickup_order_is_returned_with_no_money(world, sms_outbox,
                                                                   django_capture_on_commit_callbacks):
    order, record = _ready(world, quantity=3)
    assert _stock(world) == (200, 3, 3)
    mail.outbox.clear()
    return_time = record.ready_at + 8 * DAY

    # Past both limits at once: returned, not reminded first.
    assert _sweep(return_time, django_capture_on_commit_callbacks) == ([], [order.number], [], [])
    order.refresh_from_db()
    record.refresh_from_db()
    assert (order.status, record.returned_at, record.reminder_sent_at) == ("已退回", return_time, None)
    assert not PaymentEvent.objects.filter(order=order).exists()  # no money moved either way
    source = order.sources.get()
    assert (source.amount_allocated, source.amount_debited, source.amount_refunded) == (
        Decimal("119.70"), Decimal("0.00"), Decimal("0.00"))
    line = order.lines.get()
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount) == (Decimal("0.000"), Decimal("0.00"))
    assert sorted(set(LedgerEntry.objects.filter(line=line).values_list("kind", flat=True))) == [
        "cancellation", "sale"]
    assert _stock(world) == (200, 0, 0)
    [returned] = mail.outbox
    assert "该订单为到店付款，您无需付款。" in returned.body
    # The code no longer opens the order.
    with pytest.raises(pickup.PickupCodeInvalid):
        pickup.order_hand_over(service_point=world.point_p, code=record.pickup_code, user=world.users["pickup"],
                               payment_collected=True)

    entries = LedgerEntry.objects.count()
    assert _sweep(return_time + DAY, django_capture_on_commit_callbacks) == ([], [], [], [])
    assert LedgerEntry.objects.count() == entries and _stock(world) == (200, 0, 0)


def test_collected_orders_are_left_alone(world, django_capture_on_commit_callbacks):
    order, record = _ready(world, pay_at_pickup=False)
    pickup.order_hand_over(service_point=world.point_p, code=record.pickup_code, user=world.users["pickup"])
    assert _sweep(record.ready_at + 30 * DAY, django_capture_on_commit_callbacks) == ([], [], [], [])
    order.refresh_from_db()
    assert order.status == "已取货"


def test_a_failed_refund_is_retried_by_the_next_sweep(world, monkeypatch, django_capture_on_commit_callbacks):
    from shop.payments import refunds
    from shop.payments.services import PaymentError

    order, record = _ready(world, pay_at_pickup=False)
    real_refund = refunds.order_refund

    def failing(**kwargs):
        raise PaymentError("退款请求失败，请稍后重试")

    monkeypatch.setattr(refunds, "order_refund", failing)
    when = record.ready_at + 8 * DAY
    assert _sweep(when, django_capture_on_commit_callbacks) == ([], [order.number], [], [order.number])
    order.refresh_from_db()
    assert order.status == "已退回"
    assert order.sources.get().amount_refunded == Decimal("0.00")
    assert _stock(world) == (200, 2, 2)  # nothing given back until the money is

    monkeypatch.setattr(refunds, "order_refund", real_refund)
    assert _sweep(when + DAY, django_capture_on_commit_callbacks) == ([], [], [order.number], [])
    assert order.sources.get().amount_refunded == Decimal("79.80")
    assert _stock(world) == (200, 0, 0)
    assert _sweep(when + 2 * DAY, django_capture_on_commit_callbacks) == ([], [], [], [])


def test_the_management_command_prints_the_counts(world):
    order, record = _ready(world, pay_at_pickup=False)
    OrderPickup.objects.filter(pk=record.pk).update(ready_at=record.ready_at - 4 * DAY)
    out = StringIO()
    call_command("pickups_sweep", stdout=out)
    assert out.getvalue() == (
        "取货提醒 1 单；逾期退回 0 单；已退款 0 单；退款失败 0 单（下次运行时重试）\n"
        f"  提醒：{order.number}\n"
    )
    out = StringIO()
    call_command("pickups_sweep", stdout=out)
    assert out.getvalue() == "取货提醒 0 单；逾期退回 0 单；已退款 0 单；退款失败 0 单（下次运行时重试）\n"
