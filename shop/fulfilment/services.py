"""Write-side operations of the delivery record of an order: where a pickup
order is collected (OrderPickup), or where a home-delivery order goes and how it
gets there (HomeDelivery: 待发货 → 配送中 → 已送达)."""
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class, get_model

from shop.regions.models import City

from .models import HomeDelivery, OrderPickup
from .selectors import order_requires_cold_storage, pickup_point_unavailable_reason
from .statuses import AWAITING_SHIPMENT, DELIVERED, IN_TRANSIT

Order = get_model("order", "Order")
ShippingEventType = get_model("order", "ShippingEventType")
EventHandler = get_class("order.processing", "EventHandler")

# Oscar shipping event types of home delivery the customer sees: (code, name).
HOME_SHIPPED_EVENT = ("home-shipped", "已发货")
HOME_DELIVERED_EVENT = ("delivered", "已送达")

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class PickupPointUnavailable(Exception):
    """The chosen point cannot take this order; ``str(exc)`` is the reason for the customer."""


class InvalidRecipient(ValueError):
    pass


class DeliveryMethodUnavailable(PickupPointUnavailable):
    """The chosen home delivery cannot take this order (a PickupPointUnavailable, so
    the place-order transaction turns it into the same "unable to place" answer)."""


def recipient_phone_normalise(value):
    """'138 1234-5678' / '+86 13812345678' -> '13812345678'; raises InvalidRecipient."""
    digits = re.sub(r"[\s\-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not MAINLAND_MOBILE.match(digits):
        raise InvalidRecipient(_("请输入 11 位中国大陆手机号"))
    return digits


@transaction.atomic
def order_pickup_create(*, order, service_point, recipient_name, recipient_phone):
    """Record where ``order`` is collected. Called inside the place-order transaction,
    so refusing here (PickupPointUnavailable) leaves no order behind."""
    reason = pickup_point_unavailable_reason(
        service_point=service_point, requires_cold_storage=order_requires_cold_storage(order=order)
    )
    if reason:
        raise PickupPointUnavailable(reason)
    recipient_name = (recipient_name or "").strip()
    if not recipient_name:
        raise InvalidRecipient(_("请填写收货人姓名"))
    return OrderPickup.objects.create(
        order=order,
        service_point=service_point,
        recipient_name=recipient_name,
        recipient_phone=recipient_phone_normalise(recipient_phone),
    )


def order_delivery_record(*, order, choice):
    """The delivery record of a newly placed ``order`` for ``choice`` (a
    shop.checkout.delivery.DeliveryChoice), inside the place-order transaction:
    an OrderPickup for a pickup point or locker, a HomeDelivery otherwise (its
    address is the order's ShippingAddress). Refusals raise, so no order is left."""
    if choice.is_pickup:
        service_point = choice.service_point()
        if service_point is None:
            raise PickupPointUnavailable(_("您选择的自提点已停止服务，请重新选择"))
        return order_pickup_create(order=order, service_point=service_point, recipient_name=choice.recipient_name,
                                   recipient_phone=choice.recipient_phone)
    address = choice.address or {}
    city = City.objects.filter(pk=address.get("city_id")).first() if address.get("city_id") else None
    return home_delivery_create(
        order=order, method_code=choice.method_code, city=city, district=address.get("district", ""),
        street=address.get("street", ""), recipient_name=choice.recipient_name,
        recipient_phone=choice.recipient_phone,
    )


@transaction.atomic
def home_delivery_create(*, order, method_code, city, district, street, recipient_name, recipient_phone):
    """Record that ``order`` is delivered to the door in ``city``; refuses
    (DeliveryMethodUnavailable / InvalidRecipient) what the checkout would refuse."""
    from . import rates
    from .shipping import HOME_METHODS_BY_CODE, HOME_RECORD_METHOD, home_method_unavailable_reason

    method_class = HOME_METHODS_BY_CODE.get(method_code)
    if method_class is None:
        raise DeliveryMethodUnavailable(_("配送方式已不可用"))
    if city is None:
        raise DeliveryMethodUnavailable(_("请选择收货城市"))
    reason = home_method_unavailable_reason(
        method_class=method_class, city=city, requires_cold_chain=order_requires_cold_storage(order=order)
    )
    if reason:
        raise DeliveryMethodUnavailable(reason)
    recipient_name = (recipient_name or "").strip()
    if not recipient_name:
        raise InvalidRecipient(_("请填写收货人姓名"))
    if not (district or "").strip() or not (street or "").strip():
        raise InvalidRecipient(_("请填写完整的收货地址"))
    lines = list(order.lines.exclude(product=None).select_related("product"))
    weights = rates.product_weights_kg(products=[line.product for line in lines])
    weight = sum((weights[line.product_id] * line.quantity for line in lines), Decimal(0))
    return HomeDelivery.objects.create(
        order=order, method=HOME_RECORD_METHOD[method_code], city=city, recipient_name=recipient_name,
        recipient_phone=recipient_phone_normalise(recipient_phone), weight_kg=weight,
    )


def _home_shipping_event(*, order, event, user, reference=""):
    code, name = event
    event_type, _created = ShippingEventType.objects.get_or_create(code=code, defaults={"name": name})
    lines = list(order.lines.all())
    EventHandler(user).handle_shipping_event(order, event_type, lines, [line.quantity for line in lines],
                                             reference=reference)


def _locked_home_delivery(order):
    order = Order.objects.select_for_update().get(pk=order.pk)
    delivery = HomeDelivery.objects.select_for_update().filter(order=order).first()
    if delivery is None:
        raise ValidationError(_("订单 %(number)s 不是送货上门订单") % {"number": order.number})
    return order, delivery


@transaction.atomic
def home_delivery_ship(*, order, user, tracking_number):
    """Hand a home-delivery order to the courier: 待发货 → 配送中, with the
    courier's tracking number, and 已发货 for the customer."""
    order, delivery = _locked_home_delivery(order)
    tracking_number = (tracking_number or "").strip()
    if not tracking_number:
        raise ValidationError({"tracking_number": _("请填写运单号")})
    if len(tracking_number) > HomeDelivery._meta.get_field("tracking_number").max_length:
        raise ValidationError({"tracking_number": _("运单号过长")})
    if order.status != AWAITING_SHIPMENT:
        raise ValidationError(_("订单 %(number)s 当前状态为「%(status)s」，不能发货")
                              % {"number": order.number, "status": order.status})
    order.set_status(IN_TRANSIT)
    delivery.tracking_number = tracking_number
    delivery.shipped_at = timezone.now()
    delivery.shipped_by = user
    delivery.save(update_fields=["tracking_number", "shipped_at", "shipped_by"])
    _home_shipping_event(order=order, event=HOME_SHIPPED_EVENT, user=user, reference=tracking_number)
    return delivery


@transaction.atomic
def home_delivery_deliver(*, order, user):
    """The courier delivered it: 配送中 → 已送达, and 已送达 for the customer."""
    order, delivery = _locked_home_delivery(order)
    if order.status != IN_TRANSIT:
        raise ValidationError(_("订单 %(number)s 当前状态为「%(status)s」，不能确认送达")
                              % {"number": order.number, "status": order.status})
    order.set_status(DELIVERED)
    delivery.delivered_at = timezone.now()
    delivery.delivered_by = user
    delivery.save(update_fields=["delivered_at", "delivered_by"])
    _home_shipping_event(order=order, event=HOME_DELIVERED_EVENT, user=user, reference=delivery.tracking_number)
    return delivery
