"""Stripe webhooks: verify (raw body, 300 s both ways), check the event's shape,
record the event id once, observe the payment. Processing and the event row share
one transaction, so a failure leaves no trace and Stripe's retry processes the
event again; a second delivery of a processed event is acknowledged (200) and
changes nothing."""
import logging
import uuid
from datetime import datetime, timezone as dt_timezone

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import gateway
from .models import OnlinePayment, OnlineRefund, WebhookEvent
from .services import INTENT_STATUS, Observation, payment_observe

logger = logging.getLogger(__name__)
Status = OnlinePayment.Status

REFUND_STATUS = {"succeeded": OnlineRefund.Status.SUCCEEDED, "failed": OnlineRefund.Status.FAILED,
                 "canceled": OnlineRefund.Status.FAILED}
# Event timestamps we can store (1970 … 2100).
LATEST_CREATED = 4102444800


class MalformedEvent(ValueError):
    pass


def _signature_timestamp(header):
    for part in header.split(","):
        key, _sep, value = part.partition("=")
        if key.strip() == "t" and value.strip().isdigit():
            return int(value.strip())
    return None


def event_verify(*, payload, signature):
    """The verified body as a dict (or other JSON value), or None. Stripe's check
    rejects stale timestamps but not future ones: those are refused here too."""
    if not signature or not settings.STRIPE_WEBHOOK_SECRET:
        return None
    timestamp = _signature_timestamp(signature)
    if timestamp is None or timestamp > timezone.now().timestamp() + gateway.webhook_tolerance():
        return None
    try:
        return gateway.webhook_event(payload=payload, signature=signature)
    except (ValueError, stripe.SignatureVerificationError):
        return None


def event_check(data):
    """The event, if it has the shape of a Stripe event; else MalformedEvent."""
    if not isinstance(data, dict):
        raise MalformedEvent("not an object")
    event_id, kind, created, body = data.get("id"), data.get("type"), data.get("created"), data.get("data")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255:
        raise MalformedEvent("id")
    if not isinstance(kind, str) or not 0 < len(kind) <= 100:
        raise MalformedEvent("type")
    if isinstance(created, bool) or not isinstance(created, int) or not 0 <= created <= LATEST_CREATED:
        raise MalformedEvent("created")
    if not isinstance(body, dict) or not isinstance(body.get("object"), dict):
        raise MalformedEvent("data.object")
    return data


def _observation(event_type, obj):
    if obj.get("object") == "payment_intent":
        status = INTENT_STATUS.get(obj.get("status"), Status.CREATED)
        if event_type == "payment_intent.payment_failed":
            status = Status.FAILED
        received = obj.get("amount_received")
        if received is None and status == Status.SUCCEEDED:
            received = obj.get("amount", 0)
        return Observation(status=status, received_fen=_fen(received), currency=_text(obj.get("currency")).lower())
    if obj.get("object") == "charge":
        paid = bool(obj.get("paid")) and obj.get("status") == "succeeded"
        return Observation(
            status=Status.SUCCEEDED if paid else Status.CREATED,
            received_fen=_fen(obj.get("amount_captured") or obj.get("amount")) if paid else 0,
            refunded_fen=_fen(obj.get("amount_refunded")),
            currency=_text(obj.get("currency")).lower(),
        )
    return None


def _fen(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _text(value):
    return value if isinstance(value, str) else ""


def _intent_id(obj):
    if obj.get("object") == "payment_intent":
        return _text(obj.get("id"))
    value = obj.get("payment_intent")
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


def _current_attempt(metadata):
    """The payment whose *current* attempt made this intent (by its metadata)."""
    if not isinstance(metadata, dict):
        return None
    reference, attempt = metadata.get("payment_reference"), metadata.get("payment_attempt")
    try:
        reference = uuid.UUID(str(reference))
    except ValueError:
        return None
    if not isinstance(attempt, str) or not attempt:
        return None
    return OnlinePayment.objects.filter(reference=reference, idempotency_key=attempt).first()


def _payment_for(obj, intent_id):
    """The payment an object is about, or None (another system's, or an attempt
    that is over). An intent we have not stored yet (its create call's answer is
    still on the way, or was lost) is known by its metadata; a charge of such an
    intent by asking Stripe for the intent."""
    if not intent_id or len(intent_id) > 64:
        return None
    payment = OnlinePayment.objects.filter(intent_id=intent_id).first()
    if payment is not None:
        return payment
    if obj.get("object") == "payment_intent":
        metadata = obj.get("metadata")
    else:
        try:
            metadata = gateway.intent_retrieve(intent_id).to_dict().get("metadata")
        except stripe.InvalidRequestError:  # not an intent of this account
            return None
    payment = _current_attempt(metadata)
    if payment is None or payment.intent_id not in (None, intent_id):
        return None
    OnlinePayment.objects.filter(pk=payment.pk, intent_id__isnull=True).update(intent_id=intent_id)
    return payment


def _refund_observe(obj):
    """A refund's final status, for the refund we asked for (by its id, or by the
    key in its metadata if its create call's answer has not been stored yet)."""
    refund_id = _text(obj.get("id"))
    status = REFUND_STATUS.get(obj.get("status"))
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    key = _text(metadata.get("refund_key"))
    if not refund_id or status is None:
        return "ignored"
    match = Q(refund_id=refund_id)
    if key:
        match |= Q(idempotency_key=key, refund_id__isnull=True)
    refund = OnlineRefund.objects.select_for_update().filter(match).first()
    if refund is None:
        return "ignored"
    OnlineRefund.objects.filter(pk=refund.pk).update(refund_id=refund_id, status=status)
    return "processed"


def event_process(event):
    """Process a checked event once. Returns "duplicate", "ignored" or "processed"."""
    obj = event["data"]["object"]
    intent_id = _intent_id(obj)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    event_id=event["id"], type=event["type"], intent_id=intent_id[:64],
                    stripe_created=datetime.fromtimestamp(event["created"], tz=dt_timezone.utc),
                )
        except IntegrityError:
            return "duplicate"
        if obj.get("object") == "refund":
            return _refund_observe(obj)
        observation = _observation(event["type"], obj)
        if observation is None:
            return "ignored"
        payment = _payment_for(obj, intent_id)
        if payment is None:
            return "ignored"
        payment_observe(payment_id=payment.pk, observation=observation)
    return "processed"


@csrf_exempt
@require_POST
def stripe_webhook(request):
    data = event_verify(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    if data is None:
        return HttpResponseBadRequest("invalid signature")
    try:
        event = event_check(data)
    except MalformedEvent as exc:
        logger.warning("Signed Stripe webhook body is not an event (%s)", exc)
        return HttpResponseBadRequest("invalid event")
    return HttpResponse(event_process(event))
