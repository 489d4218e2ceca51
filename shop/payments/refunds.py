"""Refunds, full or partial, for any order: the money goes back the way it came
(Stripe refund with a stored idempotency key, or cash at the pickup point) and the
attribution ledger is reversed for the refunded units (shop.attribution line_refund).

Refunded quantities are Oscar PaymentEventQuantity rows of the "退款" event type,
so what is left to refund is always read from the database under the order lock.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from shop.attribution.services import line_refund
from shop.fulfilment.statuses import AWAITING_SHIPMENT, CANCELLED, PAYMENT_HELD

from . import services
from .models import OnlinePayment

Order = get_model("order", "Order")
Line = get_model("order", "Line")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")
PaymentEventQuantity = get_model("order", "PaymentEventQuantity")

REFUND_EVENT = "退款"
CENT = Decimal("0.01")


class RefundRefused(ValueError):
    """``str(exc)`` says why, for staff."""


@dataclass(frozen=True)
class RefundResult:
    amount: Decimal
    quantities: dict
    event: object


def refunded_quantities(*, order):
    rows = (
        PaymentEventQuantity.objects.filter(event__order=order, event__event_type__name=REFUND_EVENT)
        .values("line_id")
        .annotate(quantity=Sum("quantity"))
    )
    return {row["line_id"]: row["quantity"] for row in rows}


def refunded_amount(*, order):
    total = PaymentEvent.objects.filter(order=order, event_type__name=REFUND_EVENT).aggregate(total=Sum("amount"))
    return total["total"] or Decimal("0.00")


def refundable_quantities(*, order):
    done = refunded_quantities(order=order)
    return {line.pk: line.quantity - done.get(line.pk, 0) for line in order.lines.order_by("pk")}


def _unit_amount(line, quantity):
    return (line.line_price_incl_tax * quantity / line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)


def order_refund(*, order, line_quantities=None, reason, user=None, gateway_refund=True, include_shipping=None):
    """Refund ``line_quantities`` ({line id: units}); None refunds everything left,
    shipping included. Raises RefundRefused with a message for staff."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        left = refundable_quantities(order=order)
        if line_quantities is None:
            line_quantities = {pk: quantity for pk, quantity in left.items() if quantity > 0}
            include_shipping = True if include_shipping is None else include_shipping
        line_quantities = {int(pk): int(quantity) for pk, quantity in line_quantities.items() if int(quantity) > 0}
        if not line_quantities:
            raise RefundRefused(_("没有可退款的商品"))
        for pk, quantity in line_quantities.items():
            if pk not in left:
                raise RefundRefused(_("商品行不属于该订单"))
            if quantity > left[pk]:
                raise RefundRefused(_("退款数量超过可退数量（剩余 %(left)d 件）") % {"left": left[pk]})
        lines = {line.pk: line for line in Line.objects.filter(order=order, pk__in=line_quantities)}
        amounts = {pk: _unit_amount(lines[pk], quantity) for pk, quantity in line_quantities.items()}
        amount = sum(amounts.values(), Decimal("0.00"))
        everything_left = all(line_quantities.get(pk, 0) == quantity for pk, quantity in left.items())
        if include_shipping or (include_shipping is None and everything_left):
            amount += order.shipping_incl_tax
        # Never more than was charged and not yet refunded.
        amount = min(amount, order.total_incl_tax - refunded_amount(order=order))
        payment = OnlinePayment.objects.select_for_update().filter(order=order).first()
        # The refunded quantities are claimed now, under the order lock, so two
        # refunds at once cannot both take the same units.
        event = _refund_event_write(order=order, amount=amount, quantities=line_quantities, lines=lines, reason=reason)
        refund = None
        if payment is not None and payment.is_paid and gateway_refund:
            refund = services.refund_record(payment=payment, amount=amount, reason=reason, user=user)
    # The refund row (and its idempotency key) is committed before Stripe is called.
    if refund is not None:
        try:
            services.refund_send(refund=refund)
        except services.PaymentError:
            PaymentEvent.objects.filter(pk=event.pk).delete()
            raise
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        for pk, quantity in line_quantities.items():
            line_refund(line=lines[pk], quantity=quantity, amount=amounts[pk])
        _sources_refund(order=order, amount=amount)
        if payment is not None and payment.is_paid:
            fen = int(amount * 100)
            payment = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
            payment.amount_refund_applied_fen += fen
            payment.amount_refunded_fen = max(payment.amount_refunded_fen, payment.amount_refund_applied_fen)
            status = services.refund_status(payment)
            if status and OnlinePayment.RANK[status] > OnlinePayment.RANK[payment.status]:
                payment.status = status
            payment.save(update_fields=["amount_refund_applied_fen", "amount_refunded_fen", "status", "updated"])
        if all(quantity == 0 for quantity in refundable_quantities(order=order).values()):
            if order.status in (AWAITING_SHIPMENT, PAYMENT_HELD):
                order.set_status(CANCELLED)
    return RefundResult(amount=amount, quantities=line_quantities, event=event)


def _refund_event_write(*, order, amount, quantities, lines, reason):
    event_type, _created = PaymentEventType.objects.get_or_create(name=REFUND_EVENT)
    event = PaymentEvent.objects.create(order=order, event_type=event_type, amount=amount, reference=reason[:128])
    PaymentEventQuantity.objects.bulk_create(
        [PaymentEventQuantity(event=event, line=lines[pk], quantity=quantity) for pk, quantity in quantities.items()]
    )
    return event


def _sources_refund(*, order, amount):
    """Record the refund against the order's payment sources (money actually taken)."""
    remaining = amount
    for source in order.sources.select_for_update().order_by("pk"):
        refundable = source.amount_debited - source.amount_refunded
        if remaining <= 0 or refundable <= 0:
            continue
        part = min(refundable, remaining)
        source.refund(part)
        remaining -= part
