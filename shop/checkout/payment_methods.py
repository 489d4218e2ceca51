"""Payment methods offered at checkout: pay at the pickup point (pickup methods
only) and, when Stripe keys are configured, card, Alipay and WeChat Pay
(shop.payments: the order is placed once the payment has succeeded)."""
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


ONLINE_METHODS = {
    "card": PaymentMethod(code="card", name=_("银行卡支付"), description=_("支持银联、Visa、Mastercard 等银行卡，支付成功后立即下单。")),
    "alipay": PaymentMethod(code="alipay", name=_("支付宝"), description=_("跳转到支付宝完成付款。")),
    "wechat_pay": PaymentMethod(code="wechat_pay", name=_("微信支付"), description=_("用微信扫描二维码完成付款。")),
}


def is_online(method):
    return method is not None and method.code in ONLINE_METHODS


def payment_methods_available(*, shipping_method):
    from shop.payments.gateway import online_methods_enabled

    if shipping_method is None:
        return []
    methods = [ONLINE_METHODS[code] for code in online_methods_enabled()]
    if shipping_method.code in PICKUP_METHOD_CODES:
        methods.append(PAY_AT_PICKUP)
    return methods


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
