"""Write-side operations of the pickup flow."""
import re

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import OrderPickup
from .selectors import order_requires_cold_storage, pickup_point_unavailable_reason

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class PickupPointUnavailable(Exception):
    """The chosen point cannot take this order; ``str(exc)`` is the reason for the customer."""


class InvalidRecipient(ValueError):
    pass


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
