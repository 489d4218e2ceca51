"""Delivery waves, the cooperative's side: candidates per pickup point, a wave
packed from them (shipping and trace events), its manifest and packing list,
shipping it once, cold chain, and orders split across two cooperatives."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from oscar.core.loading import get_model

from shop.fulfilment import wave_selectors, waves
from shop.fulfilment.models import DeliveryWave, WaveOrder
from shop.fulfilment.wave_selectors import ManifestLine, ManifestOrder, PackingRow, WaveCandidate
from shop.harvest.models import TraceEvent
from shop.payments.refunds import order_refund
from tests.factories import place_order

from .conftest import pickup_order

Order = get_model("order", "Order")
ShippingEvent = get_model("order", "ShippingEvent")


@pytest.fixture
def orders(world):
    """At 天河林和自提点 (P): a pay-at-pickup order of 3 pomelos (2 from the old
    batch, 1 from batch A) and an order paid online with a pomelo and 2 of
    cooperative B's navel oranges; at the locker (Q): one pomelo. Not
    shippable: an order held for payment checking and one without a pickup point."""
    consumer = world.users["consumer"]
    p, q = world.point_p, world.point_q
    return {
        "one": pickup_order(lines=[(world.product_a, 3)], point=p, user=consumer),
        "split": pickup_order(lines=[(world.product_a, 1), (world.product_b, 2)], point=p, name="李华",
                              phone="13900001111", pay_at_pickup=False),
        "locker": pickup_order(lines=[(world.product_a, 1)], point=q, name="赵敏", phone="13700002222"),
        "held": pickup_order(lines=[(world.product_a, 1)], point=p, status="支付待核实"),
        "no_pickup": Order.objects.get(pk=place_order(lines=[(world.product_a, 1)]).pk),
    }


def _partner_a(world):
    return world.subject_a.partner


def _partner_b(world):
    return world.subject_b.partner


def _shipping_events(order, name):
    return [
        [(quantity.line.product.title, quantity.quantity) for quantity in event.line_quantities.order_by("line_id")]
        for event in ShippingEvent.objects.filter(order=order, event_type__name=name).order_by("pk")
    ]


def _trace(step):
    return sorted(
        (event.batch.code, event.disposition, event.place, event.temperature, event.recorder, event.note)
        for event in TraceEvent.objects.filter(business_step=step).select_related("batch")
    )


def _status(order):
    return Order.objects.get(pk=order.pk).status


def test_candidates_are_grouped_by_pickup_point(world, orders):
    assert wave_selectors.wave_candidates(partner=_partner_a(world)) == [
        WaveCandidate(partner=_partner_a(world), service_point=world.point_p, order_count=2,
                      earliest_placed=orders["one"].date_placed),
        WaveCandidate(partner=_partner_a(world), service_point=world.point_q, order_count=1,
                      earliest_placed=orders["locker"].date_placed),
    ]
    assert wave_selectors.wave_candidates(partner=_partner_b(world)) == [
        WaveCandidate(partner=_partner_b(world), service_point=world.point_p, order_count=1,
                      earliest_placed=orders["split"].date_placed),
    ]
    assert list(wave_selectors.orders_awaiting_wave(partner=_partner_a(world), service_point=world.point_p)) == [
        orders["one"], orders["split"]]


def test_a_wave_is_packed_from_a_points_candidates(world, orders, tomorrow):
    user = world.users["coop_a"]
    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow, user=user)

    code = f"W{tomorrow:%Y%m%d}-pickup-linhe-1"
    assert (wave.code, wave.status, wave.cold_chain, wave.created_by) == (code, "planned", False, user)
    assert list(WaveOrder.objects.filter(wave=wave).values_list("order_id", "partner_id")) == [
        (orders["one"].pk, _partner_a(world).pk), (orders["split"].pk, _partner_a(world).pk)]
    assert wave_selectors.wave_candidates(partner=_partner_a(world)) == [
        WaveCandidate(partner=_partner_a(world), service_point=world.point_q, order_count=1,
                      earliest_placed=orders["locker"].date_placed)]
    # Packing changes no order status; the customer sees 已打包 on this cooperative's lines only.
    assert (_status(orders["one"]), _status(orders["split"])) == ("待发货", "待发货")
    assert _shipping_events(orders["one"], "已打包") == [[("梅州金柚 5斤装", 3)]]
    assert _shipping_events(orders["split"], "已打包") == [[("梅州金柚 5斤装", 1)]]
    assert ShippingEvent.objects.get(order=orders["one"]).notes == code
    note = f"配送波次 {code} 分拣包装，发往天河林和自提点：2 件"
    assert _trace("packing") == sorted([
        (world.batch_a_old.code, "in_progress", "梅县金柚专业合作社", None, "cooperative", note),
        (world.batch_a.code, "in_progress", "梅县金柚专业合作社", None, "cooperative", note),
    ])
    # A second wave for the same point and date gets the next number.
    second = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    assert waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                             user=user, orders=[second]).code == f"W{tomorrow:%Y%m%d}-pickup-linhe-2"


def test_the_manifest_and_packing_list(world, orders, tomorrow):
    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                             user=world.users["coop_a"])
    sku = f"SKU-{world.product_a.pk}"
    old, new = world.batch_a_old.code, world.batch_a.code
    assert wave_selectors.wave_manifest(wave=wave) == [
        ManifestOrder(number=orders["one"].number, status="待发货", recipient_name="王**",
                      recipient_phone="138****5678", item_count=3,
                      lines=(ManifestLine(title="梅州金柚 5斤装", sku=sku, quantity=3, batch_codes=(old, new)),),
                      amount_due=Decimal("119.70")),
        # Paid online: nothing to collect; cooperative B's oranges are not in A's manifest.
        ManifestOrder(number=orders["split"].number, status="待发货", recipient_name="李*",
                      recipient_phone="139****1111", item_count=1,
                      lines=(ManifestLine(title="梅州金柚 5斤装", sku=sku, quantity=1, batch_codes=(new,)),),
                      amount_due=None),
    ]
    assert wave_selectors.wave_packing_list(wave=wave) == sorted([
        PackingRow(product_title="梅州金柚 5斤装", batch_code=old, quantity=2),
        PackingRow(product_title="梅州金柚 5斤装", batch_code=new, quantity=2),
    ], key=lambda row: row.batch_code)


def test_units_refunded_before_shipping_are_not_packed(world, orders, tomorrow):
    line = orders["one"].lines.get()
    order_refund(order=orders["one"], line_quantities={line.pk: 1}, reason="顾客少要一件", gateway_refund=False)
    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                             user=world.users["coop_a"], orders=[orders["one"]])
    [row] = wave_selectors.wave_manifest(wave=wave)
    assert (row.item_count, row.amount_due, row.lines[0].batch_codes) == (2, Decimal("79.80"), (world.batch_a_old.code,))
    assert wave_selectors.wave_packing_list(wave=wave) == [
        PackingRow(product_title="梅州金柚 5斤装", batch_code=world.batch_a_old.code, quantity=2)]
    assert _shipping_events(orders["one"], "已打包") == [[("梅州金柚 5斤装", 2)]]


def test_shipping_moves_the_orders_and_records_the_events(world, orders, tomorrow):
    user = world.users["coop_a"]
    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow, user=user)
    shipped = waves.wave_ship(wave=wave, user=user)

    wave.refresh_from_db()
    assert (wave.status, wave.shipped_by) == ("shipped", user)
    assert wave.shipped_at is not None and shipped.pk == wave.pk
    assert (_status(orders["one"]), _status(orders["split"]), _status(orders["locker"])) == ("配送中", "配送中", "待发货")
    assert _shipping_events(orders["one"], "已发运") == [[("梅州金柚 5斤装", 3)]]
    assert _shipping_events(orders["split"], "已发运") == [[("梅州金柚 5斤装", 1)]]
    note = f"配送波次 {wave.code} 发往天河林和自提点：2 件"
    assert _trace("shipping") == sorted([
        (world.batch_a_old.code, "in_transit", "梅县金柚专业合作社", None, "cooperative", note),
        (world.batch_a.code, "in_transit", "梅县金柚专业合作社", None, "cooperative", note),
    ])


def test_shipping_twice_is_refused(world, orders, tomorrow):
    user = world.users["coop_a"]
    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow, user=user)
    waves.wave_ship(wave=wave, user=user)
    with pytest.raises(ValidationError) as refused:
        waves.wave_ship(wave=wave, user=user)
    assert refused.value.messages == [f"波次 {wave.code} 已发运，不能重复发运"]
    assert TraceEvent.objects.filter(business_step="shipping").count() == 2
    assert ShippingEvent.objects.filter(event_type__name="已发运").count() == 2


def test_a_cold_chain_wave_needs_a_temperature(world, tomorrow):
    user = world.users["coop_a"]
    order = pickup_order(lines=[(world.lychee, 2), (world.product_a, 1)], point=world.point_p)
    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow, user=user)
    assert wave.cold_chain is True

    with pytest.raises(ValidationError) as refused:
        waves.wave_ship(wave=wave, user=user)
    assert refused.value.message_dict == {"temperature": ["冷链波次须填写发运温度"]}
    wave.refresh_from_db()
    assert (wave.status, _status(order)) == ("planned", "待发货")
    assert _trace("shipping") == []
    assert _shipping_events(order, "已发运") == []

    waves.wave_ship(wave=wave, user=user, temperature=Decimal("4.5"))
    assert _trace("shipping") == sorted([
        (world.batch_lychee.code, "in_transit", "梅县金柚专业合作社", Decimal("4.5"), "cooperative",
         f"配送波次 {wave.code} 发往天河林和自提点：2 件"),
        (world.batch_a_old.code, "in_transit", "梅县金柚专业合作社", Decimal("4.5"), "cooperative",
         f"配送波次 {wave.code} 发往天河林和自提点：1 件"),
    ])
    assert _status(order) == "配送中"


def test_a_dry_wave_is_not_cold_chain(world, orders, tomorrow):
    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_q, delivery_date=tomorrow,
                             user=world.users["coop_a"])
    assert wave.cold_chain is False
    waves.wave_ship(wave=wave, user=world.users["coop_a"], temperature=Decimal("5.0"))
    assert [event[3] for event in _trace("shipping")] == [None]


def test_an_order_of_two_cooperatives_travels_in_one_wave_of_each(world, orders, tomorrow):
    split = orders["split"]
    wave_a = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                               user=world.users["coop_a"])
    wave_b = waves.wave_create(partner=_partner_b(world), service_point=world.point_p, delivery_date=tomorrow,
                               user=world.users["coop_b"])
    assert wave_b.code == f"W{tomorrow:%Y%m%d}-pickup-linhe-2"
    assert list(WaveOrder.objects.filter(order=split).values_list("wave__code", "partner_id").order_by("pk")) == [
        (wave_a.code, _partner_a(world).pk), (wave_b.code, _partner_b(world).pk)]
    [row_b] = wave_selectors.wave_manifest(wave=wave_b)
    assert row_b.lines == (ManifestLine(title="平远脐橙 10斤装", sku=f"SKU-{world.product_b.pk}", quantity=2,
                                        batch_codes=(world.batch_b.code,)),)
    row_a = next(row for row in wave_selectors.wave_manifest(wave=wave_a) if row.number == split.number)
    assert [line.title for line in row_a.lines] == ["梅州金柚 5斤装"]
    assert _shipping_events(split, "已打包") == [[("梅州金柚 5斤装", 1)], [("平远脐橙 10斤装", 2)]]

    # The first wave shipped moves the order; the second ships B's lines without moving it again.
    waves.wave_ship(wave=wave_b, user=world.users["coop_b"])
    assert _status(split) == "配送中"
    waves.wave_ship(wave=wave_a, user=world.users["coop_a"])
    assert _status(split) == "配送中"
    assert _shipping_events(split, "已发运") == [[("平远脐橙 10斤装", 2)], [("梅州金柚 5斤装", 1)]]


def test_orders_that_cannot_be_shipped_are_refused_by_name(world, orders, tomorrow):
    user = world.users["coop_a"]
    held, no_pickup = orders["held"], orders["no_pickup"]
    assert held not in wave_selectors.orders_awaiting_wave(partner=_partner_a(world))
    assert no_pickup not in wave_selectors.orders_awaiting_wave(partner=_partner_a(world))
    b_only = pickup_order(lines=[(world.product_b, 1)], point=world.point_p)
    with pytest.raises(ValidationError) as refused:
        waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow, user=user,
                          orders=[orders["one"], held, no_pickup, orders["locker"], b_only])
    assert refused.value.messages == [  # one message per refused order, in order of placement
        f"订单 {orders['locker'].number} 不在「天河林和自提点」取货",
        f"订单 {held.number} 当前状态为「支付待核实」，不能装入波次",
        f"订单 {no_pickup.number} 不在「天河林和自提点」取货",
        f"订单 {b_only.number} 没有本合作社待发货的商品",
    ]
    assert DeliveryWave.objects.count() == 0 and WaveOrder.objects.count() == 0
    assert ShippingEvent.objects.count() == 0 and _trace("packing") == []

    wave = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                             user=user, orders=[orders["one"]])
    with pytest.raises(ValidationError) as refused:
        waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                          user=user, orders=[orders["one"]])
    assert refused.value.messages == [f"订单 {orders['one'].number} 已在波次 {wave.code} 中"]
    assert DeliveryWave.objects.count() == 1


def test_an_empty_selection_or_a_past_date_writes_nothing(world, orders, tomorrow):
    user = world.users["coop_a"]
    partner = _partner_a(world)
    with pytest.raises(ValidationError) as refused:
        waves.wave_create(partner=partner, service_point=world.point_p, delivery_date=tomorrow, user=user, orders=[])
    assert refused.value.messages == ["请至少选择一个订单"]
    with pytest.raises(ValidationError) as refused:
        waves.wave_create(partner=_partner_b(world), service_point=world.point_q, delivery_date=tomorrow, user=user)
    assert refused.value.messages == ["「越秀北京路提货柜」已没有待装入波次的订单"]
    yesterday = tomorrow - datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        waves.wave_create(partner=partner, service_point=world.point_p, delivery_date=yesterday, user=user)
    assert refused.value.message_dict == {"delivery_date": ["配送日期不能早于今天"]}
    assert DeliveryWave.objects.count() == 0 and ShippingEvent.objects.count() == 0


def test_the_unique_constraint_backs_the_check(world, orders, tomorrow, monkeypatch):
    """Were the check under the lock ever to miss an order already packed, the
    (order, partner) constraint refuses it with a clear error and nothing is written."""
    user = world.users["coop_a"]
    waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow, user=user,
                      orders=[orders["one"]])
    monkeypatch.setattr(waves, "_locked_orders", lambda **kwargs: [orders["one"]])
    with pytest.raises(ValidationError) as refused:
        waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                          user=user, orders=[orders["one"]])
    assert refused.value.messages == ["所选订单已装入其他波次，请刷新后重试"]
    assert DeliveryWave.objects.count() == 1
    assert ShippingEvent.objects.count() == 1


def test_who_sees_which_waves(world, orders, tomorrow):
    wave_a = waves.wave_create(partner=_partner_a(world), service_point=world.point_p, delivery_date=tomorrow,
                               user=world.users["coop_a"])
    wave_b = waves.wave_create(partner=_partner_b(world), service_point=world.point_p, delivery_date=tomorrow,
                               user=world.users["coop_b"])

    def visible(role):
        return set(wave_selectors.waves_visible_to(user=world.users[role]))

    assert visible("coop_a") == {wave_a}
    assert visible("coop_b") == {wave_b}
    assert visible("officer") == visible("admin") == {wave_a, wave_b}
    assert visible("pickup") == visible("consumer") == set()
