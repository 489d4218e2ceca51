"""Receiving a delivery wave at the pickup point: the orders become ready with a
6-digit code, the customer is told by e-mail (code, point, QR) and SMS, and an
order of two cooperatives waits for both waves."""
import logging
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from oscar.core.loading import get_model

from shop.fulfilment import notify, pickup
from shop.fulfilment.models import DeliveryWave, OrderPickup
from shop.harvest.models import TraceEvent

from .conftest import RECIPIENT_PHONE, pickup_order, shipped_wave

ShippingEvent = get_model("order", "ShippingEvent")
CommunicationEvent = get_model("order", "CommunicationEvent")

pytestmark = pytest.mark.django_db


def _arrivals(order):
    return [(event.event_type.name, event.notes,
             sorted((q.line.title, q.quantity) for q in event.line_quantities.all()))
            for event in ShippingEvent.objects.filter(order=order).order_by("pk")]


def test_receiving_a_wave_makes_its_orders_ready(world, django_capture_on_commit_callbacks):
    staff = world.users["pickup"]
    first = pickup_order(lines=[(world.product_a, 2)], point=world.point_p, user=world.users["consumer"])
    second = pickup_order(lines=[(world.product_a, 1)], point=world.point_p, pay_at_pickup=False)
    wave = shipped_wave(partner=world.partner_a, point=world.point_p, orders=[first, second])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        received = pickup.wave_receive(wave=wave, user=staff)

    assert (received.status, received.received_by) == ("received", staff)
    assert received.received_at is not None
    codes = []
    for order in (first, second):
        order.refresh_from_db()
        record = OrderPickup.objects.get(order=order)
        assert order.status == "待取货"
        assert re.fullmatch(r"\d{6}", record.pickup_code)
        assert record.ready_at is not None and record.ready_at >= received.received_at
        assert (record.reminder_sent_at, record.collected_at, record.collected_by, record.returned_at) == (
            None, None, None, None)
        codes.append(record.pickup_code)
    assert codes[0] != codes[1]
    assert _arrivals(first) == [("已到达自提点", wave.code, [("梅州金柚 5斤装", 2)])]
    assert _arrivals(second) == [("已到达自提点", wave.code, [("梅州金柚 5斤装", 1)])]
    # One receiving event on the one batch the three units came from, at point P.
    events = list(TraceEvent.objects.filter(business_step="receiving"))
    assert [(e.batch, e.service_point, e.place, e.recorder, e.disposition, e.temperature, e.recorded_by, e.note)
            for e in events] == [
        (world.batch_a, world.point_p, "天河林和自提点", "pickup_point", "sellable_accessible", None, staff,
         f"配送波次 {wave.code} 到达天河林和自提点：3 件")]
    # Two notices (one per order), each on e-mail and SMS.
    assert len(callbacks) == 2
    assert len(mail.outbox) == 2
    assert list(CommunicationEvent.objects.filter(order__in=[first, second]).values_list(
        "event_type__code", flat=True)) == ["PICKUP_READY", "PICKUP_READY"]


def test_ready_email_has_the_code_point_and_qr_and_no_full_phone(world, sms_outbox, caplog,
                                                                   django_capture_on_commit_callbacks):
    order = pickup_order(lines=[(world.product_a, 2)], point=world.point_p, user=world.users["consumer"])
    wave = shipped_wave(partner=world.partner_a, point=world.point_p, orders=[order])
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        pickup.wave_receive(wave=wave, user=world.users["pickup"])
    code = OrderPickup.objects.get(order=order).pickup_code

    [message] = mail.outbox
    assert message.to == ["consumer@example.com"]
    assert message.subject == f"订单 {order.number} 已到达自提点，请凭取货码取货"
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert code in text
        assert "天河林和自提点" in text and "广州市天河区林和西路1号" in text and "09:00-21:00" in text
        assert "王**" in text and "138****5678" in text
        assert RECIPIENT_PHONE not in text and "王小明" not in text
        assert "¥79.80" in text  # to pay at pickup
    assert RECIPIENT_PHONE not in message.subject and code not in message.subject
    assert f'src="cid:{notify.QR_CONTENT_ID}"' in html
    [image] = message.attachments
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == f"<{notify.QR_CONTENT_ID}>"
    # The QR opens the hand-over page with the code filled in.
    url = notify.hand_over_url(code)
    assert url == f"http://example.com/zh-hans/shop/dashboard/xiangpin/pickup/hand-over/?code={code}"
    assert image.get_payload(decode=True) == notify.qr_png(url)

    [sms] = sms_outbox
    assert sms.phone == RECIPIENT_PHONE
    assert sms.text == (f"【乡品通】您的订单 {order.number} 已到达天河林和自提点，取货码 {code}，"
                        "营业时间 09:00-21:00。取货时付款 ¥79.80。")
    assert RECIPIENT_PHONE not in caplog.text


def test_console_sms_backend_logs_the_phone_masked(world, settings, caplog):
    from shop.fulfilment.sms import sms_send

    settings.XIANGPIN_SMS_BACKEND = "shop.fulfilment.sms.ConsoleSmsBackend"
    caplog.set_level(logging.INFO, logger="shop.fulfilment.sms")
    sms_send(phone=RECIPIENT_PHONE, text="取货码 123456")
    assert caplog.messages == ["SMS to 138****5678: 取货码 123456"]


def test_an_order_of_two_cooperatives_is_ready_only_when_both_waves_arrived(world, sms_outbox,
                                                                            django_capture_on_commit_callbacks):
    order = pickup_order(lines=[(world.product_a, 1), (world.product_b, 2)], point=world.point_p)
    wave_a = shipped_wave(partner=world.partner_a, point=world.point_p, orders=[order])

    with django_capture_on_commit_callbacks(execute=True):
        pickup.wave_receive(wave=wave_a, user=world.users["pickup"])
    order.refresh_from_db()
    assert order.status == "配送中"  # cooperative B has not even packed its wave yet
    assert OrderPickup.objects.get(order=order).pickup_code == ""

    wave_b = shipped_wave(partner=world.partner_b, point=world.point_p, orders=[order])
    order.refresh_from_db()
    assert order.status == "配送中"
    with django_capture_on_commit_callbacks(execute=True):
        pickup.wave_receive(wave=wave_b, user=world.users["pickup"])
    order.refresh_from_db()
    record = OrderPickup.objects.get(order=order)
    assert order.status == "待取货" and re.fullmatch(r"\d{6}", record.pickup_code)
    assert [(e.event_type.name, e.notes) for e in ShippingEvent.objects.filter(order=order).order_by("pk")] == [
        ("已到达自提点", wave_a.code), ("已到达自提点", wave_b.code)]
    assert [[(q.line.title, q.quantity) for q in e.line_quantities.all()]
            for e in ShippingEvent.objects.filter(order=order).order_by("pk")] == [
        [("梅州金柚 5斤装", 1)], [("平远脐橙 10斤装", 2)]]
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1  # one notice, when the order is complete
    assert record.pickup_code in sms_outbox[0].text


def test_receiving_twice_or_before_shipping_is_refused(world):
    order = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    planned = shipped_wave(partner=world.partner_a, point=world.point_p, orders=[order],
                           status=DeliveryWave.Status.PLANNED)
    with pytest.raises(ValidationError) as refused:
        pickup.wave_receive(wave=planned, user=world.users["pickup"])
    assert refused.value.messages == [f"波次 {planned.code} 尚未发运，不能签收"]
    planned.refresh_from_db()
    assert (planned.status, planned.received_at) == ("planned", None)

    other = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    wave = shipped_wave(partner=world.partner_a, point=world.point_p, orders=[other])
    pickup.wave_receive(wave=wave, user=world.users["pickup"])
    wave.refresh_from_db()
    code = OrderPickup.objects.get(order=other).pickup_code
    events = TraceEvent.objects.count(), ShippingEvent.objects.count()
    with pytest.raises(ValidationError) as twice:
        pickup.wave_receive(wave=wave, user=world.users["pickup_q"])
    assert twice.value.messages[0].startswith(f"波次 {wave.code} 已于 ")
    assert twice.value.messages[0].endswith(" 签收，不能重复签收")
    assert (TraceEvent.objects.count(), ShippingEvent.objects.count()) == events
    assert OrderPickup.objects.get(order=other).pickup_code == code
    wave.refresh_from_db()
    assert wave.received_by == world.users["pickup"]


def test_a_cold_chain_wave_needs_the_arrival_temperature(world):
    order = pickup_order(lines=[(world.lychee, 2)], point=world.point_p)
    wave = shipped_wave(partner=world.partner_a, point=world.point_p, orders=[order], cold_chain=True)
    with pytest.raises(ValidationError) as refused:
        pickup.wave_receive(wave=wave, user=world.users["pickup"])
    assert refused.value.message_dict == {"temperature": ["冷链波次须填写到货温度"]}
    with pytest.raises(ValidationError):
        pickup.wave_receive(wave=wave, user=world.users["pickup"], temperature=Decimal("70"))
    wave.refresh_from_db()
    order.refresh_from_db()
    assert (wave.status, order.status) == ("shipped", "配送中")
    assert not TraceEvent.objects.filter(business_step="receiving").exists()

    pickup.wave_receive(wave=wave, user=world.users["pickup"], temperature=Decimal("4.5"))
    assert list(TraceEvent.objects.filter(business_step="receiving").values_list("batch", "temperature")) == [
        (world.batch_lychee.pk, Decimal("4.5"))]


def test_a_code_already_open_at_the_point_is_drawn_again(world, monkeypatch):
    first = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    pickup.wave_receive(wave=shipped_wave(partner=world.partner_a, point=world.point_p, orders=[first]),
                        user=world.users["pickup"])
    taken = OrderPickup.objects.get(order=first).pickup_code
    # The same code is free at another point.
    elsewhere = pickup_order(lines=[(world.product_a, 1)], point=world.point_q)
    draws = iter([taken, taken, "004321"])
    monkeypatch.setattr(pickup, "pickup_code_generate", lambda: next(draws))
    pickup.wave_receive(wave=shipped_wave(partner=world.partner_a, point=world.point_q, orders=[elsewhere]),
                        user=world.users["pickup_q"])
    assert OrderPickup.objects.get(order=elsewhere).pickup_code == taken

    second = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    draws = iter([taken, "004321"])
    pickup.wave_receive(wave=shipped_wave(partner=world.partner_a, point=world.point_p, orders=[second]),
                        user=world.users["pickup"])
    assert OrderPickup.objects.get(order=second).pickup_code == "004321"


def test_the_unique_constraint_backs_a_code_drawn_concurrently(world, monkeypatch):
    """If another transaction takes the code between the check and the write, the
    partial unique constraint refuses the write and a new code is drawn."""
    first = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    pickup.wave_receive(wave=shipped_wave(partner=world.partner_a, point=world.point_p, orders=[first]),
                        user=world.users["pickup"])
    taken = OrderPickup.objects.get(order=first).pickup_code
    second = pickup_order(lines=[(world.product_a, 1)], point=world.point_p)
    draws = iter([taken, "765432"])
    monkeypatch.setattr(pickup, "pickup_code_generate", lambda: next(draws))
    monkeypatch.setattr(pickup.selectors, "code_is_open", lambda **kwargs: False)  # the check misses it
    pickup.wave_receive(wave=shipped_wave(partner=world.partner_a, point=world.point_p, orders=[second]),
                        user=world.users["pickup"])
    assert OrderPickup.objects.get(order=second).pickup_code == "765432"
    assert OrderPickup.objects.get(order=first).pickup_code == taken
