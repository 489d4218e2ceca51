"""Hand-over at the pickup point against the 6-digit code: the order is collected,
a pay-at-pickup order's payment is recorded, and a wrong code, another point's
code, a second hand-over or too many wrong codes are refused with nothing written."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from oscar.core.loading import get_model

from shop.fulfilment import pickup
from shop.fulfilment.models import OrderPickup
from shop.harvest.models import TraceEvent

from .conftest import pickup_order, shipped_wave

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")
ShippingEvent = get_model("order", "ShippingEvent")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")

pytestmark = pytest.mark.django_db


def _ready(world, *, lines, point=None, pay_at_pickup=True, staff="pickup"):
    point = point or world.point_p
    order = pickup_order(lines=lines, point=point, pay_at_pickup=pay_at_pickup)
    partners = {product.stockrecords.get().partner for product, _quantity in lines}
    for partner in sorted(partners, key=lambda p: p.pk):
        pickup.wave_receive(wave=shipped_wave(partner=partner, point=point, orders=[order]),
                            user=world.users[staff])
    record = OrderPickup.objects.get(order=order)
    assert record.pickup_code
    return order, record.pickup_code


def _snapshot():
    return {
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "pickups": list(OrderPickup.objects.order_by("pk").values()),
        "sources": list(Source.objects.order_by("pk").values()),
        "transactions": Transaction.objects.count(),
        "payment_events": PaymentEvent.objects.count(),
        "shipping_events": ShippingEvent.objects.count(),
        "trace_events": TraceEvent.objects.count(),
    }


def test_handing_over_a_paid_order(world):
    order, code = _ready(world, lines=[(world.product_a, 2), (world.product_b, 1)], pay_at_pickup=False)
    staff = world.users["pickup"]
    payment_events = PaymentEvent.objects.count()

    record = pickup.order_hand_over(service_point=world.point_p, code=code, user=staff)

    order.refresh_from_db()
    record.refresh_from_db()
    assert order.status == "已取货"
    assert record.collected_by == staff and record.collected_at is not None
    assert record.pickup_code == code and record.returned_at is None
    [collected] = ShippingEvent.objects.filter(order=order, event_type__name="已取货")
    assert collected.notes == "天河林和自提点"
    assert sorted((q.line.title, q.quantity) for q in collected.line_quantities.all()) == [
        ("平远脐橙 10斤装", 1), ("梅州金柚 5斤装", 2)]
    events = TraceEvent.objects.filter(business_step="retail_selling").order_by("batch__code")
    rows = sorted((e.batch_id, e.service_point_id, e.recorder, e.disposition, e.recorded_by_id) for e in events)
    assert rows == sorted([
        (world.batch_a.pk, world.point_p.pk, "pickup_point", "completed", staff.pk),
        (world.batch_b.pk, world.point_p.pk, "pickup_point", "completed", staff.pk),
    ])
    assert {e.note for e in events} == {f"订单 {order.number} 在天河林和自提点交付顾客：2 件",
                                        f"订单 {order.number} 在天河林和自提点交付顾客：1 件"}
    # Paid online: nothing to collect, no payment written.
    assert PaymentEvent.objects.count() == payment_events
    source = order.sources.get()
    assert (source.amount_allocated, source.amount_debited) == (Decimal("138.80"), Decimal("138.80"))


def test_pay_at_pickup_needs_the_payment_and_records_it(world):
    order, code = _ready(world, lines=[(world.product_a, 3)])
    staff = world.users["pickup"]
    before = _snapshot()

    with pytest.raises(pickup.PaymentNotCollected) as refused:
        pickup.order_hand_over(service_point=world.point_p, code=code, user=staff)
    assert refused.value.messages == ["该订单须在自提点付款 ¥119.70，请收款后勾选「已收款」"]
    with pytest.raises(pickup.PaymentNotCollected) as changed:
        pickup.order_hand_over(service_point=world.point_p, code=code, user=staff, payment_collected=True,
                               amount_expected=Decimal("100.00"))
    assert changed.value.messages == ["应收金额已变为 ¥119.70，请核对后重新确认"]
    assert _snapshot() == before

    pickup.order_hand_over(service_point=world.point_p, code=code, user=staff, payment_collected=True,
                           amount_expected=Decimal("119.70"))

    order.refresh_from_db()
    assert order.status == "已取货"
    source = order.sources.get()
    assert (source.source_type.code, source.amount_allocated, source.amount_debited, source.amount_refunded) == (
        "pay-at-pickup", Decimal("119.70"), Decimal("119.70"), Decimal("0.00"))
    assert list(source.transactions.values_list("txn_type", "amount", "reference")) == [
        ("Debit", Decimal("119.70"), "自提点收款：pickup-linhe")]
    [paid] = PaymentEvent.objects.filter(order=order)
    assert (paid.event_type.name, paid.amount, paid.reference) == ("已支付", Decimal("119.70"), "自提点收款：pickup-linhe")
    assert [(q.line.title, q.quantity) for q in paid.line_quantities.all()] == [("梅州金柚 5斤装", 3)]


def test_a_wrong_code_or_another_points_code_is_invalid_and_writes_nothing(world, monkeypatch):
    codes = iter(["111111", "222222"])
    monkeypatch.setattr(pickup, "pickup_code_generate", lambda: next(codes))
    _ready(world, lines=[(world.product_a, 1)])
    _ready(world, lines=[(world.product_a, 1)], point=world.point_q, staff="pickup_q")
    before = _snapshot()
    for point, code in ((world.point_p, "222222"), (world.point_q, "111111"), (world.point_p, "333333"),
                        (world.point_p, "11111"), (world.point_p, "abcdef")):
        with pytest.raises(pickup.PickupCodeInvalid) as refused:
            pickup.order_hand_over(service_point=point, code=code, user=world.users["admin"], payment_collected=True)
        assert refused.value.messages == ["取货码无效"]
    assert _snapshot() == before
    assert pickup.code_failures(user=world.users["admin"]) == 5


def test_handing_over_twice_is_refused(world):
    order, code = _ready(world, lines=[(world.product_a, 1)], pay_at_pickup=False)
    pickup.order_hand_over(service_point=world.point_p, code=code, user=world.users["pickup"])
    before = _snapshot()
    with pytest.raises(pickup.AlreadyHandedOver) as twice:
        pickup.order_hand_over(service_point=world.point_p, code=code, user=world.users["pickup"])
    message = twice.value.messages[0]
    assert message.startswith(f"订单 {order.number} 已于 ") and message.endswith(" 交付，不能重复交付")
    assert _snapshot() == before
    assert pickup.code_failures(user=world.users["pickup"]) == 0


def test_too_many_wrong_codes_lock_the_staff_user_out(world, settings):
    settings.XIANGPIN_PICKUP_CODE_MAX_FAILURES = 3
    order, code = _ready(world, lines=[(world.product_a, 1)], pay_at_pickup=False)
    staff = world.users["pickup"]
    wrong = [c for c in ("111111", "222222", "333333", "444444") if c != code][:3]
    for attempt in wrong:
        with pytest.raises(pickup.PickupCodeInvalid):
            pickup.order_hand_over(service_point=world.point_p, code=attempt, user=staff)
    assert pickup.code_failures(user=staff) == 3
    before = _snapshot()
    with pytest.raises(pickup.TooManyAttempts) as locked:
        pickup.order_hand_over(service_point=world.point_p, code=code, user=staff)
    assert locked.value.messages == ["取货码错误次数过多，请 10 分钟后再试"]
    assert _snapshot() == before
    # Another staff user of the same point is not locked out.
    pickup.order_hand_over(service_point=world.point_p, code=code, user=world.users["admin"])
    order.refresh_from_db()
    assert order.status == "已取货"


def test_an_order_not_yet_ready_has_no_code_to_hand_over(world):
    order = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    shipped_wave(partner=world.partner_a, point=world.point_p, orders=[order])  # shipped, not received
    with pytest.raises(ValidationError):
        pickup.order_hand_over(service_point=world.point_p, code="", user=world.users["pickup"])
    order.refresh_from_db()
    assert order.status == "配送中"
