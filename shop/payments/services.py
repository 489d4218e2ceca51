"""Online payment flow: start (reserve + freeze + record), charge, observe, settle.

``payment_observe`` is the single door for what Stripe tells us, whether it comes
from a webhook event or from retrieving the PaymentIntent on the return URL. It
merges monotonically under a row lock (a status never moves to a lower rank, the
received and refunded amounts only grow), so duplicated or reordered events end
in the same state, then ``_settle`` brings the order in line with it: place the
order once the money is in, reverse refunds the store did not start itself.
"""
import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from shop.checkout.delivery import DeliveryChoice

from . import gateway, purposes
from .models import OnlinePayment, OnlineRefund, PaymentMethodCode, PaymentPurpose

logger = logging.getLogger(__name__)
Status = OnlinePayment.Status

# Stripe PaymentIntent statuses → ours.
INTENT_STATUS = {
    "requires_payment_method": Status.CREATED,
    "requires_confirmation": Status.CREATED,
    "requires_action": Status.REQUIRES_ACTION,
    "processing": Status.PROCESSING,
    "requires_capture": Status.PROCESSING,
    "succeeded": Status.SUCCEEDED,
    "canceled": Status.CANCELED,
}


class PaymentError(Exception):
    """A payment step failed; ``str(exc)`` is for the customer (or staff).
    Raised as such when Stripe's answer was lost: the same call is made again
    with the same idempotency key."""


class StripeRefused(PaymentError):
    """Stripe answered no (a declined card, a refund it will not make)."""


# Stripe intent statuses after which a card attempt is over without the money.
ATTEMPT_OVER = frozenset({"requires_payment_method", "canceled"})


@dataclass(frozen=True)
class Observation:
    status: str
    received_fen: int = 0
    refunded_fen: int = 0
    currency: str = ""


def new_key(prefix):
    return f"{prefix}-{uuid.uuid4().hex}"


@transaction.atomic
def payment_start(*, basket, user, guest_email, method, delivery: DeliveryChoice, amount, order_number):
    """Reserve the basket's stock, freeze it and record the payment with its
    idempotency key. Raises BasketStockUnavailable (sold out) before any payment
    exists at Stripe."""
    from shop.inventory.services import basket_reserve

    if method not in gateway.online_methods_enabled():
        raise PaymentError(_("该付款方式暂不可用"))
    basket_reserve(basket=basket)
    basket.freeze()
    return OnlinePayment.objects.create(
        basket=basket,
        user=user if user is not None and user.is_authenticated else None,
        guest_email=guest_email or "",
        order_number=order_number,
        method=method,
        amount=amount,
        currency="CNY",
        delivery=delivery.to_json(),
        idempotency_key=new_key("pi"),
    )


def _intent_observation(intent):
    data = _intent_data(intent)
    charge = data.get("latest_charge")
    if isinstance(charge, str):
        charge = None
    received = data.get("amount_received")
    refunded = 0
    if charge:
        if received is None and charge.get("paid") and charge.get("captured", True):
            received = charge.get("amount", 0)
        refunded = charge.get("amount_refunded", 0) or 0
    status = INTENT_STATUS.get(data.get("status"), Status.CREATED)
    if status == Status.SUCCEEDED and received is None:
        received = data.get("amount", 0)
    return Observation(status=status, received_fen=received or 0, refunded_fen=refunded,
                       currency=(data.get("currency") or "").lower())


def _remember_intent(payment, intent):
    data = _intent_data(intent)
    fields = []
    if payment.intent_id != data["id"]:
        payment.intent_id = data["id"]
        fields.append("intent_id")
    if data.get("client_secret") and payment.client_secret != data["client_secret"]:
        payment.client_secret = data["client_secret"]
        fields.append("client_secret")
    if fields:
        OnlinePayment.objects.filter(pk=payment.pk).update(**{field: getattr(payment, field) for field in fields})


def _intent_data(intent):
    return intent.to_dict() if hasattr(intent, "to_dict") else dict(intent)


def _stripe_message(exc):
    return getattr(exc, "user_message", None) or _("支付未成功，请检查后重试或更换付款方式")


def _intent_create(*, payment, return_url, card):
    """One create call for the payment's current attempt. The card it carries is
    stored with the key before the call, so an unanswered attempt is asked again
    exactly as it was. Raises StripeRefused (the attempt is closed and a new key
    is stored for the next) or PaymentError (no answer: keep the key)."""
    if payment.method == PaymentMethodCode.CARD and payment.attempt_card != card:
        OnlinePayment.objects.filter(pk=payment.pk).update(attempt_card=card)
        payment.attempt_card = card
    params = gateway.intent_params(
        payment=payment, return_url=return_url if payment.method != PaymentMethodCode.CARD else "",
        payment_method=card,
    )
    if not params.get("return_url"):
        params.pop("return_url", None)
    try:
        intent = gateway.intent_create(params=params, idempotency_key=payment.idempotency_key)
    except gateway.stripe.StripeError as exc:
        logger.warning("PaymentIntent create failed for %s: %s", payment.order_number, exc.__class__.__name__)
        if gateway.answer_lost(exc):
            raise PaymentError(_("支付结果暂未确认，请稍后重试（不会重复扣款）")) from exc
        payment_attempt_next(payment=payment)
        raise StripeRefused(_stripe_message(exc)) from exc
    _remember_intent(payment, intent)
    return intent


@transaction.atomic
def payment_attempt_next(*, payment):
    """Close the current attempt (Stripe said no, or its intent can no longer be
    paid) and open the next: a new idempotency key stored before any call, no
    intent, status back to 待支付, and the basket's stock held again."""
    from shop.checkout.stock import BasketStockUnavailable
    from shop.inventory.services import basket_reserve

    payment = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
    if payment.is_paid or payment.order_id is not None:
        return payment
    if payment.purpose != PaymentPurpose.ORDER:
        # No basket: what the payment is for is held by its own app.
        if payment.status == Status.CANCELED:
            raise PaymentError(_("支付已取消"))
    else:
        if payment.status == Status.CANCELED or payment.basket is None or payment.basket.status != payment.basket.FROZEN:
            raise PaymentError(_("支付已取消，请返回购物车重新结算"))
        try:
            basket_reserve(basket=payment.basket)  # again if a failure released it; else a fresh expiry
        except BasketStockUnavailable as exc:
            raise PaymentError(str(exc)) from exc
    payment.idempotency_key = new_key("pi")
    payment.attempt_card = ""
    payment.intent_id = None
    payment.client_secret = ""
    payment.status = Status.CREATED
    payment.save(update_fields=["idempotency_key", "attempt_card", "intent_id", "client_secret", "status", "updated"])
    return payment


def payment_intent_ensure(*, payment, return_url="", card=None):
    """The PaymentIntent of the payment's current attempt, created once. A retry
    after a lost answer asks again with the stored key and card (Stripe replays
    its first answer); a card attempt that is over (declined, 3-D Secure failed)
    is closed and a new card gets a new attempt. Returns the Stripe intent."""
    payment = OnlinePayment.objects.get(pk=payment.pk)
    new_card = card if payment.method == PaymentMethodCode.CARD else None
    if payment.intent_id:
        intent = gateway.intent_retrieve(payment.intent_id)
        if not new_card or _intent_data(intent).get("status") not in ATTEMPT_OVER:
            return intent
        _intent_abandon(payment.intent_id)
        payment = payment_attempt_next(payment=payment)
    elif new_card and payment.attempt_card and payment.attempt_card != new_card:
        # The last attempt had no answer: ask again as then, before trying this card.
        try:
            intent = _intent_create(payment=payment, return_url=return_url, card=payment.attempt_card)
        except StripeRefused:
            payment = OnlinePayment.objects.get(pk=payment.pk)
        else:
            if _intent_data(intent).get("status") not in ATTEMPT_OVER:
                return intent
            _intent_abandon(_intent_data(intent)["id"])
            payment = payment_attempt_next(payment=payment)
    return _intent_create(payment=payment, return_url=return_url, card=new_card if new_card else card)


def _intent_abandon(intent_id):
    """Cancel an intent whose attempt is over, so it can never be paid later."""
    try:
        gateway.intent_cancel(intent_id)
    except gateway.stripe.StripeError as exc:
        logger.info("Cancel of %s refused: %s", intent_id, exc.__class__.__name__)


def payment_sync(*, payment):
    """Retrieve the intent from Stripe and observe it (the return URL's path)."""
    if not payment.intent_id:
        return payment
    intent = gateway.intent_retrieve(payment.intent_id)
    return payment_observe(payment_id=payment.pk, observation=_intent_observation(intent))


def payment_observe_intent(*, payment, intent):
    return payment_observe(payment_id=payment.pk, observation=_intent_observation(intent))


@transaction.atomic
def payment_observe(*, payment_id, observation: Observation):
    """Merge what Stripe says into the payment (monotonic), then settle the order."""
    payment = OnlinePayment.objects.select_for_update().get(pk=payment_id)
    changes = {}
    new_status = observation.status
    # A refund observation implies the money came in first.
    if observation.refunded_fen and OnlinePayment.RANK[new_status] < OnlinePayment.RANK[Status.SUCCEEDED]:
        new_status = Status.SUCCEEDED
    if OnlinePayment.RANK[new_status] > OnlinePayment.RANK[payment.status]:
        changes["status"] = new_status
    if observation.received_fen > payment.amount_received_fen:
        changes["amount_received_fen"] = observation.received_fen
    if observation.currency and not payment.currency_received:
        changes["currency_received"] = observation.currency
    if observation.refunded_fen > payment.amount_refunded_fen:
        changes["amount_refunded_fen"] = observation.refunded_fen
    for field, value in changes.items():
        setattr(payment, field, value)
    refunded_rank_status = refund_status(payment)
    if refunded_rank_status and OnlinePayment.RANK[refunded_rank_status] > OnlinePayment.RANK[payment.status]:
        payment.status = refunded_rank_status
        changes["status"] = refunded_rank_status
    if changes:
        payment.save(update_fields=[*changes, "updated"])
    _settle(payment)
    return payment


def refund_status(payment):
    if payment.amount_refunded_fen <= 0:
        return None
    if payment.amount_refunded_fen >= max(payment.amount_received_fen, payment.amount_fen):
        return Status.REFUNDED
    return Status.PARTIALLY_REFUNDED


def _settle(payment):
    """Called with the payment row locked."""
    from shop.checkout.placement import order_place_for_payment

    if payment.purpose != PaymentPurpose.ORDER:
        purposes.settle(payment)
        return
    if payment.is_paid and payment.order_id is None and not payment.refunds.exists():
        order_place_for_payment(payment=payment)
    if payment.order_id is not None and payment.amount_refunded_fen > payment.amount_refund_applied_fen:
        _external_refund_apply(payment)
    if payment.status in (Status.FAILED, Status.CANCELED) and payment.order_id is None:
        _release(payment)


def _external_refund_apply(payment):
    """Stripe refunded more than the store asked for (a refund made in Stripe's
    dashboard): a full refund reverses the order; a partial one is held for staff."""
    from .refunds import order_refund

    missing_fen = payment.amount_refunded_fen - payment.amount_refund_applied_fen
    if payment.amount_refunded_fen >= payment.amount_received_fen:
        order_refund(order=payment.order, reason=_("Stripe 后台退款"), gateway_refund=False)
    else:
        OnlinePayment.objects.filter(pk=payment.pk).update(
            problem=_("Stripe 后台部分退款 ¥%(amount)s，待人工核对") % {"amount": f"{missing_fen / 100:.2f}"},
            amount_refund_applied_fen=payment.amount_refunded_fen,
        )
        payment.amount_refund_applied_fen = payment.amount_refunded_fen


def _release(payment):
    from shop.inventory.services import basket_reservation_release

    basket = payment.basket
    if basket is not None:
        basket_reservation_release(basket=basket)


@transaction.atomic
def payment_abandon(*, payment):
    """The customer gives up (or changes method): cancel the intent if any,
    release the reservation and thaw the basket."""
    payment = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
    if payment.order_id is not None or payment.is_paid:
        return payment
    if payment.intent_id:
        try:
            intent = gateway.intent_cancel(payment.intent_id)
        except gateway.stripe.StripeError:
            intent = gateway.intent_retrieve(payment.intent_id)
        observation = _intent_observation(intent)
        if observation.status == Status.SUCCEEDED:
            return payment_observe(payment_id=payment.pk, observation=observation)
    payment.status = Status.CANCELED
    payment.save(update_fields=["status", "updated"])
    if payment.purpose != PaymentPurpose.ORDER:
        purposes.settle(payment)  # its app lets go of what the payment held
        return payment
    _release(payment)
    if payment.basket is not None and payment.basket.status == payment.basket.FROZEN:
        payment.basket.thaw()
    return payment


def refund_record(*, payment, amount, reason, user=None, payment_event=None):
    """Write the refund row with its idempotency key *before* calling Stripe."""
    return OnlineRefund.objects.create(
        payment=payment, amount=amount, reason=reason, created_by=user, idempotency_key=new_key("re"),
        payment_event=payment_event,
    )


def refund_send(*, refund):
    """Create the Stripe refund with the refund's stored key (a retry replays the
    first answer, never refunds twice). Raises StripeRefused (the refund is marked
    failed) or PaymentError (no answer: it stays pending for a retry)."""
    try:
        result = gateway.refund_create(
            intent_id=refund.payment.intent_id, amount_fen=int(refund.amount * 100),
            idempotency_key=refund.idempotency_key,
            metadata={"order_number": refund.payment.order_number, "refund_key": refund.idempotency_key},
        )
    except gateway.stripe.StripeError as exc:
        logger.warning("Refund failed for %s: %s", refund.payment.order_number, exc.__class__.__name__)
        if gateway.answer_lost(exc):
            raise PaymentError(_("退款结果暂未确认，请稍后重试（不会重复退款）")) from exc
        OnlineRefund.objects.filter(pk=refund.pk).update(status=OnlineRefund.Status.FAILED)
        raise StripeRefused(_("退款请求被拒绝，请稍后重试或联系支付服务商")) from exc
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    status = {"succeeded": OnlineRefund.Status.SUCCEEDED, "failed": OnlineRefund.Status.FAILED}.get(
        data.get("status"), OnlineRefund.Status.PENDING
    )
    # A refund.* webhook may have said more already: a final status is kept.
    OnlineRefund.objects.filter(pk=refund.pk).update(refund_id=data["id"])
    OnlineRefund.objects.filter(pk=refund.pk, status=OnlineRefund.Status.PENDING).update(status=status)
    refund.refund_id = data["id"]
    return data


def refund_send_quietly(*, refund):
    """``refund_send`` after a commit: a failure is logged and left PENDING/FAILED
    for staff to retry with the same key."""
    try:
        refund_send(refund=refund)
    except PaymentError:
        logger.warning("Refund %s left for a retry", refund.pk)
