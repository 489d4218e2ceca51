"""Delivery waves (基地+城市社区直配), the cooperative's side: pack a pickup
point's orders into a wave, then ship it. Reads are in ``wave_selectors``.

Each step is recorded twice: for the customer, an Oscar ``ShippingEvent`` on the
cooperative's lines of each order (已打包, 已发运); for traceability, a
``TraceEvent`` on each harvest batch the wave's units come from (分拣包装, 发货),
through ``shop.harvest.services.trace_event_record`` so its checks apply (a
fresh product's shipping needs a temperature).

An order gets into one wave per cooperative: the orders are locked and checked
again before anything is written, and the unique (order, partner) constraint of
``WaveOrder`` backs it.
"""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.harvest.models import TraceEvent
from shop.harvest.services import trace_event_record

from . import wave_selectors as selectors
from .models import DeliveryWave, OrderPickup, WaveOrder
from .selectors import fresh_product_ids
from .statuses import AWAITING_SHIPMENT, IN_TRANSIT

Order = get_model("order", "Order")
Line = get_model("order", "Line")
ShippingEventType = get_model("order", "ShippingEventType")
EventHandler = get_class("order.processing", "EventHandler")

# Oscar shipping event types the customer sees: (code, name).
PACKED_EVENT = ("packed", "已打包")
SHIPPED_EVENT = ("shipped", "已发运")

TEMPERATURE_RANGE = (Decimal("-40"), Decimal("60"))
CODE_MAX_LENGTH = DeliveryWave._meta.get_field("code").max_length


def shipping_event_type(event):
    code, name = event
    event_type, _created = ShippingEventType.objects.get_or_create(code=code, defaults={"name": name})
    return event_type


def _refusal(order, *, partner, service_point):
    """Why ``order`` cannot go into ``partner``'s wave to ``service_point``."""
    number = order.number
    if order.status != AWAITING_SHIPMENT:
        return _("订单 %(number)s 当前状态为「%(status)s」，不能装入波次") % {"number": number, "status": order.status}
    pickup = OrderPickup.objects.filter(order=order).first()
    if pickup is None or pickup.service_point_id != service_point.pk:
        return _("订单 %(number)s 不在「%(point)s」取货") % {"number": number, "point": service_point.name}
    existing = WaveOrder.objects.filter(order=order, partner=partner).select_related("wave").first()
    if existing is not None:
        return _("订单 %(number)s 已在波次 %(code)s 中") % {"number": number, "code": existing.wave.code}
    return _("订单 %(number)s 没有本合作社待发货的商品") % {"number": number}


def _locked_orders(*, partner, service_point, orders):
    """The orders to pack, locked (in id order) and checked again under the lock.
    An explicit selection is taken whole or refused; without one, every order
    still waiting at the point is taken."""
    if orders is None:
        ids = list(selectors.orders_awaiting_wave(partner=partner, service_point=service_point)
                   .values_list("pk", flat=True))
    else:
        ids = sorted({getattr(order, "pk", order) for order in orders})
    if not ids and orders is None:
        raise ValidationError(_("「%(point)s」已没有待装入波次的订单") % {"point": service_point.name})
    if not ids:
        raise ValidationError(_("请至少选择一个订单"))
    locked = list(Order.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    eligible = set(selectors.orders_awaiting_wave(partner=partner, service_point=service_point)
                   .filter(pk__in=ids).values_list("pk", flat=True))
    if orders is None:
        locked = [order for order in locked if order.pk in eligible]
        if not locked:
            raise ValidationError(_("「%(point)s」已没有待装入波次的订单") % {"point": service_point.name})
        return locked
    errors = [_refusal(order, partner=partner, service_point=service_point)
              for order in locked if order.pk not in eligible]
    if len(locked) != len(ids):
        errors.append(_("所选订单不存在"))
    if errors:
        raise ValidationError(errors)
    return locked


def _wave_insert(*, partner, service_point, delivery_date, cold_chain, user):
    """A new wave coded W<delivery date>-<point code>-<n>, n counting the point's waves of that date."""
    prefix = f"W{delivery_date:%Y%m%d}-{service_point.code}"
    number = DeliveryWave.objects.filter(service_point=service_point, delivery_date=delivery_date).count() + 1
    for _attempt in range(20):
        suffix = f"-{number}"
        try:
            with transaction.atomic():
                return DeliveryWave.objects.create(
                    code=prefix[:CODE_MAX_LENGTH - len(suffix)] + suffix, partner=partner,
                    service_point=service_point, delivery_date=delivery_date, cold_chain=cold_chain, created_by=user,
                )
        except IntegrityError:  # another wave took the code meanwhile: the next number
            number += 1
    raise ValidationError(_("波次号生成失败，请重试"))


def shipping_events_record(*, event, shipments, user, reference):
    """One Oscar shipping event per order, on the shipped units of its lines."""
    event_type = shipping_event_type(event)
    handler = EventHandler(user)
    by_order = {}
    for shipment in shipments:
        if shipment.quantity > 0:
            by_order.setdefault(shipment.line.order_id, (shipment.line.order, []))[1].append(shipment)
    for order, items in by_order.values():
        handler.handle_shipping_event(order, event_type, [item.line for item in items],
                                      [item.quantity for item in items], reference=reference)


def _trace_events_record(*, wave, shipments, step, disposition, user, message, temperature=None, at=None):
    """One event per batch the wave's units come from, at the batch's producer."""
    occurred_at = at or timezone.now()
    for batch, units in selectors.batch_units(shipments):
        trace_event_record(
            batch=batch, business_step=step, disposition=disposition, occurred_at=occurred_at,
            place=batch.market_subject.name, recorder=TraceEvent.Recorder.COOPERATIVE, user=user,
            temperature=temperature,
            note=message % {"code": wave.code, "point": wave.service_point.name, "units": units},
        )


@transaction.atomic
def wave_create(*, partner, service_point, delivery_date, user, orders=None, at=None) -> DeliveryWave:
    """Pack ``orders`` (default: every order of ``partner`` waiting at
    ``service_point``) into a new wave for ``delivery_date``. Records 已打包 for
    the customer and 分拣包装 on each batch (at ``at``, default now: the demo
    seeds its history with it). Raises ValidationError, writing nothing."""
    if delivery_date is None or delivery_date < timezone.localdate(at):
        raise ValidationError({"delivery_date": _("配送日期不能早于今天")})
    locked = _locked_orders(partner=partner, service_point=service_point, orders=orders)
    lines = (Line.objects.filter(order__in=[order.pk for order in locked], partner=partner)
             .select_related("order", "product").order_by("order_id", "pk"))
    shipments = [shipment for shipment in selectors.line_shipments(lines) if shipment.quantity > 0]
    product_ids = {shipment.line.product_id for shipment in shipments if shipment.line.product_id}
    wave = _wave_insert(partner=partner, service_point=service_point, delivery_date=delivery_date,
                        cold_chain=bool(fresh_product_ids(product_ids=product_ids)), user=user)
    try:
        with transaction.atomic():
            WaveOrder.objects.bulk_create([WaveOrder(wave=wave, order=order, partner=partner) for order in locked])
    except IntegrityError:
        raise ValidationError(_("所选订单已装入其他波次，请刷新后重试")) from None
    shipping_events_record(event=PACKED_EVENT, shipments=shipments, user=user, reference=wave.code)
    _trace_events_record(wave=wave, shipments=shipments, step=TraceEvent.BusinessStep.PACKING,
                         disposition=TraceEvent.Disposition.IN_PROGRESS, user=user,
                         message=_("配送波次 %(code)s 分拣包装，发往%(point)s：%(units)d 件"), at=at)
    return wave


@transaction.atomic
def wave_ship(*, wave, user, temperature=None, at=None) -> DeliveryWave:
    """Ship a planned wave: its orders still in 待发货 move to 配送中 (an order
    split across two cooperatives moves with the first wave shipped), 已发运 for
    the customer and 发货 on each batch, with ``temperature`` for a cold-chain wave."""
    wave = DeliveryWave.objects.select_for_update().select_related("service_point").get(pk=wave.pk)
    if wave.status != DeliveryWave.Status.PLANNED:
        raise ValidationError(_("波次 %(code)s 已发运，不能重复发运") % {"code": wave.code})
    if wave.cold_chain:
        if temperature is None:
            raise ValidationError({"temperature": _("冷链波次须填写发运温度")})
        low, high = TEMPERATURE_RANGE
        if not low <= temperature <= high:
            raise ValidationError({"temperature": _("温度须在 -40 至 60 ℃ 之间")})
    else:
        temperature = None
    orders = list(Order.objects.select_for_update()
                  .filter(pk__in=WaveOrder.objects.filter(wave=wave).values("order_id")).order_by("pk"))
    shipments = [shipment for shipment in selectors.wave_shipments(wave=wave) if shipment.quantity > 0]
    if not shipments:
        raise ValidationError(_("波次 %(code)s 的订单都已取消或退款，没有要发运的商品") % {"code": wave.code})
    for order in orders:
        if order.status == AWAITING_SHIPMENT:
            order.set_status(IN_TRANSIT)
    shipping_events_record(event=SHIPPED_EVENT, shipments=shipments, user=user, reference=wave.code)
    _trace_events_record(wave=wave, shipments=shipments, step=TraceEvent.BusinessStep.SHIPPING,
                         disposition=TraceEvent.Disposition.IN_TRANSIT, user=user, temperature=temperature,
                         message=_("配送波次 %(code)s 发往%(point)s：%(units)d 件"), at=at)
    wave.status = DeliveryWave.Status.SHIPPED
    wave.shipped_at = at or timezone.now()
    wave.shipped_by = user
    wave.save(update_fields=["status", "shipped_at", "shipped_by"])
    return wave
