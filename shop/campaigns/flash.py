"""立即抢购: a signed-in customer buys a flash product in one step, paying at
the pickup point they choose, without going through the basket.

The purchase is an ordinary order: its own basket (kept frozen, so Oscar never
merges it into the customer's basket), the pickup delivery method of the point,
and ``shop.checkout.placement.order_create`` — the same locked stock, quota and
per-customer checks, the same attribution and campaign records as the full
checkout. The gate (``gate``) answers most buyers of a sold-out product before
any of that starts."""
from django.db import transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.checkout.delivery import DeliveryChoice, delivery_shipping_address
from shop.checkout.payment_methods import pay_at_pickup_source_build
from shop.checkout.placement import order_create
from shop.checkout.stock import BasketStockUnavailable
from shop.fulfilment.shipping import pickup_method_for_point

from . import gate
from .limits import LimitShortfall
from .models import Campaign

Basket = get_model("basket", "Basket")
OrderNumberGenerator = get_class("order.utils", "OrderNumberGenerator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
Selector = get_class("partner.strategy", "Selector")
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")


class FlashRefused(Exception):
    """The purchase cannot be made; ``str()`` is the message for the buyer.
    ``sold_out`` tells 已抢光 apart from other refusals."""

    def __init__(self, message, *, sold_out=False):
        super().__init__(message)
        self.sold_out = sold_out


def sold_out_message(item):
    return _("「%(title)s」已抢光") % {"title": item.product.get_title()}


def _shortfall_answer(item, shortfalls):
    """(message, sold out?) for what the locked check refused. There is no
    basket to take things out of, so quota and stock say it in flash terms; a
    per-customer limit says its own message."""
    for shortfall in shortfalls:
        if isinstance(shortfall, LimitShortfall):
            return shortfall.message, False
    available = min(shortfall.available for shortfall in shortfalls)
    if available <= 0:
        return sold_out_message(item), True
    return _("「%(title)s」仅剩 %(available)d 件，请减少数量后再抢购") % {
        "title": item.product.get_title(), "available": available}, False


def flash_form_defaults(*, user):
    """The pickup points to choose from, and the point and recipient of the
    customer's last pickup order (to fill the 立即抢购 form in)."""
    from shop.fulfilment.models import OrderPickup
    from shop.fulfilment.selectors import pickup_points_active

    last = (OrderPickup.objects.filter(order__user=user).order_by("-created")
            .values("service_point_id", "recipient_name", "recipient_phone").first()) or {}
    return {"points": list(pickup_points_active()), "point_id": last.get("service_point_id"),
            "recipient_name": last.get("recipient_name") or user.get_full_name(),
            "recipient_phone": last.get("recipient_phone", "")}


def _state_refusal(item):
    state = item.campaign.state
    if state == Campaign.State.NOT_STARTED:
        return _("活动尚未开始，请在开始后再抢购")
    if state != Campaign.State.LIVE:
        return _("活动已结束")
    return ""


def _flash_basket(*, user, product, quantity):
    """A basket holding only this purchase, frozen in the database from the
    first moment (an open basket of the user would be merged into theirs)."""
    basket = Basket.objects.create(owner=user, status=Basket.FROZEN)
    basket.strategy = Selector().strategy(user=user)
    basket.status = Basket.OPEN  # in memory only, so Oscar lets lines be added
    basket.add_product(product, quantity)
    basket.status = Basket.FROZEN
    return basket


def flash_purchase(*, user, item, quantity, service_point, recipient_name, recipient_phone):
    """Place the order or raise FlashRefused (nothing written, the gate's units
    given back or the gate set from the database)."""
    if user is None or not user.is_authenticated:
        raise FlashRefused(_("请登录后抢购"))
    refusal = _state_refusal(item)
    if refusal:
        raise FlashRefused(refusal)
    if quantity < 1:
        raise FlashRefused(_("请选择购买数量"))
    method = pickup_method_for_point(service_point)
    if method is None or not service_point.is_active:
        raise FlashRefused(_("您选择的自提点已停止服务，请重新选择"))
    if not gate.take(item.pk, quantity):
        raise FlashRefused(sold_out_message(item), sold_out=True)
    try:
        return _place(user=user, item=item, quantity=quantity, service_point=service_point, method=method,
                      recipient_name=recipient_name, recipient_phone=recipient_phone)
    except BasketStockUnavailable as exc:
        gate.reconcile(item.pk)  # the database said no where the gate said yes
        message, sold_out = _shortfall_answer(item, exc.shortfalls)
        raise FlashRefused(message, sold_out=sold_out) from exc
    except UnableToPlaceOrder as exc:
        gate.give_back(item.pk, quantity)
        raise FlashRefused(str(exc)) from exc
    except BaseException:
        gate.give_back(item.pk, quantity)
        raise


def _place(*, user, item, quantity, service_point, method, recipient_name, recipient_phone):
    choice = DeliveryChoice(method_code=method.code, recipient_name=recipient_name, recipient_phone=recipient_phone,
                            service_point_id=service_point.pk)
    with transaction.atomic():
        basket = _flash_basket(user=user, product=item.product, quantity=quantity)
        charge = method.calculate(basket)
        total = OrderTotalCalculator().calculate(basket, charge)
        source = pay_at_pickup_source_build(total=total)

        def save_source(order):
            source.order = order
            source.save()

        order = order_create(
            basket=basket, user=user, choice=choice, order_number=OrderNumberGenerator().order_number(basket),
            total=total, shipping_method=method, shipping_charge=charge,
            shipping_address=delivery_shipping_address(choice=choice, service_point=service_point),
            on_created=save_source,
        )
        basket.submit()
    return order
