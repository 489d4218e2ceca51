"""Placing an order: one transaction for stock, the Oscar order, its delivery
record, the attribution ledger, the campaign sales and the basket's reservation.

``order_create`` is shared by the two paths:
- pay at pickup: ``PaymentDetailsView.place_order`` (the request's checkout);
- online payment: ``order_place_for_payment``, called with the payment row locked
  once Stripe says the money is in (the return URL or the webhook, whichever
  comes first), from the basket frozen when the payment started.

A basket becomes at most one order: placing a basket that already is one (the
same basket submitted twice at once, e.g. from two tabs or sessions of one
customer) is refused with a message, and the basket is not reopened.
"""
import logging
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.attribution.services import order_attribute
from shop.campaigns.services import campaign_order_record
from shop.fulfilment.services import InvalidRecipient, PickupPointUnavailable, order_pickup_create
from shop.fulfilment.statuses import PAYMENT_HELD, initial_order_status

from .delivery import DeliveryChoice, delivery_shipping_address, delivery_shipping_method
from .stock import basket_reservation_consume, basket_stock_ensure, stock_placement_atomic

logger = logging.getLogger(__name__)

OrderCreator = get_class("order.utils", "OrderCreator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")
Selector = get_class("partner.strategy", "Selector")
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")
PaymentEventQuantity = get_model("order", "PaymentEventQuantity")
Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")

PAID_EVENT = "已支付"


class BasketAlreadyOrdered(UnableToPlaceOrder):
    def __init__(self, number):
        self.number = number
        super().__init__(_("该购物车已提交为订单 %(number)s，请勿重复下单。") % {"number": number})


def basket_order_number(*, basket_id):
    """The number of the order placed from the basket ("" if none)."""
    return Order.objects.filter(basket_id=basket_id).values_list("number", flat=True).first() or ""


def basket_keep_submitted_if_ordered(*, basket_id):
    """True if the basket is already an order; it is then marked submitted again
    (a second "place order" froze it once more). Oscar reopens the submitted
    basket when placing fails: not one that is an order, whose lines would come
    back into the customer's basket."""
    if not basket_id or not basket_order_number(basket_id=basket_id):
        return False
    Basket.objects.filter(pk=basket_id).update(status=Basket.SUBMITTED)
    return True


def _basket_not_yet_ordered(basket):
    """Lock the basket's row, first of all (``NO KEY UPDATE``: the foreign-key checks
    of reservations being written for it do not wait on it), and refuse a basket
    that has become an order meanwhile."""
    list(Basket.objects.select_for_update(no_key=True).filter(pk=basket.pk).values_list("pk", flat=True))
    number = basket_order_number(basket_id=basket.pk)
    if number:
        raise BasketAlreadyOrdered(number)


def _delivery_record(*, order, choice, service_point):
    try:
        from shop.fulfilment.services import order_delivery_record
    except ImportError:  # until home delivery lands every order is a pickup
        order_delivery_record = None
    if order_delivery_record is not None:
        return order_delivery_record(order=order, choice=choice)
    return order_pickup_create(
        order=order, service_point=service_point, recipient_name=choice.recipient_name,
        recipient_phone=choice.recipient_phone,
    )


class _LockLastOrderCreator(OrderCreator):
    """Oscar's OrderCreator with the stock allocation left to ``order_create``,
    which does it last: the rows every buyer of a product contends for (its
    stock record, its campaign quota, its harvest batch) are locked only for the
    few statements before the commit, not while the order's rows are written."""

    def update_stock_records(self, line):
        pass

    def allocate_stock(self, basket):
        """What Oscar's ``place_order`` does with the basket lines, in stock-record order."""
        for line in sorted(basket.all_lines(), key=lambda line: line.stockrecord_id):
            super().update_stock_records(line)


class _LaterStockOrderCreator(OrderCreator):
    """Oscar's OrderCreator for lines whose units do not exist yet (a pre-sale
    before its harvest): no stock allocated, ``line.num_allocated`` 0. The
    harvest's confirmation allocates both (``shop.presale.harvest``)."""

    def create_line_models(self, order, basket_line, extra_line_fields=None):
        return super().create_line_models(order, basket_line, {**(extra_line_fields or {}), "num_allocated": 0})

    def update_stock_records(self, line):
        pass


def order_create(*, basket, user, choice: DeliveryChoice, order_number, total, shipping_method, shipping_charge,
                 shipping_address, status=None, surcharges=None, on_created=None, attribute=True, **order_kwargs):
    """Place the order or raise UnableToPlaceOrder (a message for the customer);
    nothing is written when it raises. ``on_created(order)`` runs inside the
    transaction (the pay-at-pickup view saves its payment source there).
    ``attribute=False`` places an order whose units come later (a pre-sale): no
    stock check or allocation, no batches, no ledger entries yet."""
    service_point = choice.service_point() if choice.is_pickup else None
    if choice.is_pickup and service_point is None:
        raise UnableToPlaceOrder(_("您选择的自提点已停止服务，请重新选择"))
    creator = _LockLastOrderCreator() if attribute else _LaterStockOrderCreator()
    try:
        with stock_placement_atomic(basket=basket):
            _basket_not_yet_ordered(basket)
            if shipping_address is not None:
                shipping_address.save()
            order = creator.place_order(
                basket=basket, total=total, shipping_method=shipping_method, shipping_charge=shipping_charge,
                user=user if user is not None and user.is_authenticated else None,
                shipping_address=shipping_address, order_number=order_number,
                status=status or initial_order_status(), surcharges=surcharges, **order_kwargs,
            )
            _delivery_record(order=order, choice=choice, service_point=service_point)
            if on_created is not None:
                on_created(order)
            # Last, under the row locks (stock records, then campaign products, in pk order):
            # the locked re-check, the allocation, the quota and the batches.
            if attribute:
                basket_stock_ensure(basket=basket, lock=True)
                creator.allocate_stock(basket)
            campaign_order_record(order=order, basket=basket)
            if attribute:
                order_attribute(order=order)
            basket_reservation_consume(basket=basket)
    except (PickupPointUnavailable, InvalidRecipient) as exc:
        raise UnableToPlaceOrder(str(exc)) from exc
    return order


def _strategy_basket(payment):
    basket = payment.basket
    basket.strategy = Selector().strategy(user=payment.user)
    return basket


def _source_type(method):
    from shop.payments.models import PaymentMethodCode

    source_type, _created = SourceType.objects.get_or_create(
        code=f"stripe-{method}".replace("_", "-"), defaults={"name": str(PaymentMethodCode(method).label)}
    )
    return source_type


def _payment_record(*, order, payment):
    amount = Decimal(payment.amount_received_fen) / 100
    source = Source.objects.create(
        order=order, source_type=_source_type(payment.method), currency=order.currency,
        amount_allocated=order.total_incl_tax, reference=payment.intent_id or "",
        label=str(payment.get_method_display()),
    )
    source.debit(amount=min(order.total_incl_tax, amount), reference=payment.intent_id or "")
    event_type, _created = PaymentEventType.objects.get_or_create(name=PAID_EVENT)
    event = PaymentEvent.objects.create(order=order, event_type=event_type, amount=source.amount_debited,
                                        reference=payment.intent_id or "")
    PaymentEventQuantity.objects.bulk_create(
        [PaymentEventQuantity(event=event, line=line, quantity=line.quantity) for line in order.lines.all()]
    )


def payment_mismatch(*, payment, total):
    """Why the money received does not match the order ("" when it does)."""
    expected_fen = int(total.incl_tax * 100)
    if payment.currency_received and payment.currency_received != "cny":
        return _("币种不符：收到 %(got)s，应为 CNY") % {"got": payment.currency_received.upper()}
    if payment.amount_received_fen != expected_fen or payment.amount_fen != expected_fen:
        return _("金额不符：收到 ¥%(got)s，订单应付 ¥%(due)s") % {
            "got": f"{payment.amount_received_fen / 100:.2f}", "due": f"{total.incl_tax:.2f}"
        }
    return ""


def order_place_for_payment(*, payment):
    """Place the order of a succeeded payment (the payment row is locked by the
    caller). One PaymentIntent, one order. If the stock is gone (the reservation
    expired and others bought it), the payment is refunded in full."""
    from shop.payments import services as payment_services
    from shop.payments.models import OnlinePayment

    if payment.order_id is not None or payment.basket is None:
        return payment.order
    basket = _strategy_basket(payment)
    choice = DeliveryChoice.from_json(payment.delivery)
    service_point = choice.service_point()
    shipping_method = delivery_shipping_method(choice=choice, basket=basket, user=payment.user,
                                               service_point=service_point)
    problem = ""
    if shipping_method is None:
        problem = _("配送方式已不可用")
        shipping_charge = None
    else:
        shipping_charge = shipping_method.calculate(basket)
    total = OrderTotalCalculator().calculate(basket, shipping_charge) if shipping_charge is not None else None
    if total is not None:
        problem = problem or payment_mismatch(payment=payment, total=total)
    order_kwargs = {} if payment.user else {"guest_email": payment.guest_email}
    try:
        if shipping_method is None:
            raise UnableToPlaceOrder(problem)
        order = order_create(
            basket=basket, user=payment.user, choice=choice, order_number=payment.order_number, total=total,
            shipping_method=shipping_method, shipping_charge=shipping_charge,
            shipping_address=delivery_shipping_address(choice=choice, service_point=service_point),
            status=PAYMENT_HELD if problem else None, **order_kwargs,
        )
    except UnableToPlaceOrder as exc:
        # Paid, but no order can be made: give the money back, whole.
        message = str(exc) or _("库存不足")
        payment.problem = _("无法下单（%(reason)s），已全额退款") % {"reason": message}
        OnlinePayment.objects.filter(pk=payment.pk).update(problem=payment.problem)
        refund = payment_services.refund_record(
            payment=payment, amount=Decimal(payment.amount_received_fen) / 100, reason=message
        )
        transaction.on_commit(lambda: payment_services.refund_send_quietly(refund=refund))
        if (payment.basket is not None and payment.basket.status == payment.basket.FROZEN
                and not isinstance(exc, BasketAlreadyOrdered)):
            payment.basket.thaw()
        return None
    _payment_record(order=order, payment=payment)
    basket.submit()
    OnlinePayment.objects.filter(pk=payment.pk).update(order=order, problem=problem)
    payment.order = order
    payment.problem = problem
    transaction.on_commit(lambda: order_placed_email_send(order=order))
    return order


def order_placed_email_send(*, order):
    """Oscar's order confirmation (ORDER_PLACED), for a signed-in user or a guest."""
    try:
        OrderDispatcher(logger=logger).send_order_placed_email_for_user(
            order, {"order": order, "lines": order.lines.all(), "user": order.user}
        )
    except Exception:  # an e-mail failure never undoes a paid order
        logger.exception("Order confirmation e-mail failed for %s", order.number)
