"""Refunds, full or partial, for any order: the money goes back the way it came
(Stripe refund with a stored idempotency key, or cash at the pickup point) and the
attribution ledger is reversed for the refunded units (shop.attribution line_refund).

Refunded quantities are Oscar PaymentEventQuantity rows of the "退款" event type,
so what is left to refund is always read from the database under the order lock.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from shop.attribution.services import line_refund
from shop.fulfilment.statuses import AWAITING_SHIPMENT, CANCELLED, PAYMENT_HELD

from . import services
from .models import OnlinePayment, OnlineRefund

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
    # True when this call finished an earlier refund left unconfirmed (its units
    # and amount, its idempotency key) instead of starting a new one.
    resumed: bool = False


@dataclass(frozen=True)
class _Claim:
    order: object
    event: object
    amount: Decimal
    quantities: dict
    refund: object  # OnlineRefund to send, or None
    resumed: bool = False


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


def _fen(amount):
    return int((amount * 100).to_integral_value())


def order_refund(*, order, line_quantities=None, reason, user=None, gateway_refund=True, include_shipping=None):
    """Refund ``line_quantities`` ({line id: units}); None refunds everything left,
    shipping included. Raises RefundRefused with a message for staff, or
    services.PaymentError when Stripe's answer is lost (then the refund stays
    claimed and the next call sends it again with the same key).

    Three steps: claim the units and the amount under the payment and order locks
    (and, for Stripe, write the refund row with its key) and commit; call Stripe;
    then reverse the ledger and settle the order. An earlier refund of the order
    that never got past the call is finished first, whatever is asked now."""
    with transaction.atomic():
        claim = _refund_claim(order=order, line_quantities=line_quantities, reason=reason, user=user,
                              gateway_refund=gateway_refund, include_shipping=include_shipping)
        if claim.refund is None:  # nothing to send: one transaction
            _refund_apply(claim)
            return RefundResult(amount=claim.amount, quantities=claim.quantities, event=claim.event)
    # Committed: the refund row and its key exist before Stripe is called.
    if not claim.refund.refund_id:
        try:
            services.refund_send(refund=claim.refund)
        except services.StripeRefused:
            _refund_unclaim(claim)
            raise
    _refund_apply(claim)
    return RefundResult(amount=claim.amount, quantities=claim.quantities, event=claim.event, resumed=claim.resumed)


def _payment_and_order_locked(order):
    # The payment first, then the order: the order webhooks take them in (they
    # lock the payment, then place or refund its order), so the two never deadlock.
    payment = OnlinePayment.objects.select_for_update().filter(order_id=order.pk).first()
    return payment, Order.objects.select_for_update().get(pk=order.pk)


def _unfinished_refund(payment):
    if payment is None:
        return None
    return (
        OnlineRefund.objects.select_for_update()
        .filter(payment=payment, applied_at__isnull=True, payment_event__isnull=False)
        .exclude(status=OnlineRefund.Status.FAILED)
        .select_related("payment_event")
        .order_by("pk")
        .first()
    )


def _refund_claim(*, order, line_quantities, reason, user, gateway_refund, include_shipping):
    with transaction.atomic():
        payment, order = _payment_and_order_locked(order)
        unfinished = _unfinished_refund(payment) if gateway_refund else None
        if unfinished is not None:
            event = unfinished.payment_event
            quantities = dict(PaymentEventQuantity.objects.filter(event=event).values_list("line_id", "quantity"))
            return _Claim(order=order, event=event, amount=event.amount, quantities=quantities, refund=unfinished,
                          resumed=True)
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
        amount = sum((_unit_amount(lines[pk], quantity) for pk, quantity in line_quantities.items()), Decimal("0.00"))
        everything_left = all(line_quantities.get(pk, 0) == quantity for pk, quantity in left.items())
        if include_shipping or (include_shipping is None and everything_left):
            amount += order.shipping_incl_tax
        # Never more than was charged and not yet refunded.
        amount = min(amount, order.total_incl_tax - refunded_amount(order=order))
        # The refunded quantities are claimed now, under the order lock, so two
        # refunds at once cannot both take the same units.
        event = _refund_event_write(order=order, amount=amount, quantities=line_quantities, lines=lines, reason=reason)
        refund = None
        if payment is not None and payment.is_paid:
            if gateway_refund:
                refund = services.refund_record(payment=payment, amount=amount, reason=reason, user=user,
                                                payment_event=event)
            # Counted as ours before Stripe is called: the charge.refunded event of
            # this very refund (which may arrive before Stripe's answer) is then
            # not taken for a refund made in Stripe's dashboard.
            OnlinePayment.objects.filter(pk=payment.pk).update(
                amount_refund_applied_fen=F("amount_refund_applied_fen") + _fen(amount))
    return _Claim(order=order, event=event, amount=amount, quantities=line_quantities, refund=refund)


def _refund_unclaim(claim):
    """Stripe refused the refund: give the units and the amount back."""
    with transaction.atomic():
        payment, _order = _payment_and_order_locked(claim.order)
        PaymentEvent.objects.filter(pk=claim.event.pk).delete()
        if payment is not None:
            OnlinePayment.objects.filter(pk=payment.pk).update(
                amount_refund_applied_fen=F("amount_refund_applied_fen") - _fen(claim.amount))


def _refund_apply(claim):
    """Bring the order in line with a claimed refund: ledger, payment sources,
    payment status, and 已取消 once nothing is left."""
    with transaction.atomic():
        payment, order = _payment_and_order_locked(claim.order)
        if claim.refund is not None:
            refund = OnlineRefund.objects.select_for_update().get(pk=claim.refund.pk)
            if refund.applied_at is not None:
                return
        lines = {line.pk: line for line in Line.objects.filter(order=order, pk__in=claim.quantities)}
        for pk, quantity in claim.quantities.items():
            line_refund(line=lines[pk], quantity=quantity, amount=_unit_amount(lines[pk], quantity))
        _sources_refund(order=order, amount=claim.amount)
        if payment is not None and payment.is_paid:
            payment.amount_refunded_fen = max(payment.amount_refunded_fen, payment.amount_refund_applied_fen)
            status = services.refund_status(payment)
            if status and OnlinePayment.RANK[status] > OnlinePayment.RANK[payment.status]:
                payment.status = status
            payment.save(update_fields=["amount_refunded_fen", "status", "updated"])
        if claim.refund is not None:
            OnlineRefund.objects.filter(pk=claim.refund.pk).update(applied_at=timezone.now())
        if all(quantity == 0 for quantity in refundable_quantities(order=order).values()):
            if order.status in (AWAITING_SHIPMENT, PAYMENT_HELD):
                order.set_status(CANCELLED)


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
