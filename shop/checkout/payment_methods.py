"""Payment methods offered at checkout. Today only pay-at-pickup; Stripe (card,
Alipay, WeChat Pay) joins this list in a later issue."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from shop.fulfilment.shipping import PICKUP_METHOD_CODES

Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")


@dataclass(frozen=True)
class PaymentMethod:
    code: str
    name: str
    description: str


PAY_AT_PICKUP = PaymentMethod(
    code="pay-at-pickup",
    name=_("到自提点付款"),
    description=_("无需在线支付，取货时在自提点付款。"),
)
PAY_AT_PICKUP_SOURCE_TYPE_CODE = "pay-at-pickup"
PAY_AT_PICKUP_SOURCE_TYPE_NAME = "到店付款"


def payment_methods_available(*, shipping_method):
    if shipping_method is not None and shipping_method.code in PICKUP_METHOD_CODES:
        return [PAY_AT_PICKUP]
    return []


def payment_method_by_code(*, code, shipping_method):
    for method in payment_methods_available(shipping_method=shipping_method):
        if method.code == code:
            return method
    return None


def pay_at_pickup_source_build(*, total):
    """An unsaved payment Source: the whole total allocated, nothing debited.
    The pickup point records the payment at hand-over (a later issue)."""
    source_type, _created = SourceType.objects.get_or_create(
        code=PAY_AT_PICKUP_SOURCE_TYPE_CODE, defaults={"name": PAY_AT_PICKUP_SOURCE_TYPE_NAME}
    )
    return Source(
        source_type=source_type,
        currency=total.currency,
        amount_allocated=total.incl_tax,
        label=str(PAY_AT_PICKUP.name),
    )
