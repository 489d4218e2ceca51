"""Stripe webhooks: verify (raw body, 300 s both ways), record the event id once,
observe the payment. Processing and the event row share one transaction, so a
failure leaves no trace and Stripe's retry processes the event again."""
import logging
from datetime import datetime, timezone as dt_timezone

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
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


def _signature_timestamp(header):
    for part in header.split(","):
        key, _sep, value = part.partition("=")
        if key.strip() == "t" and value.strip().isdigit():
            return int(value.strip())
    return None


def event_verify(*, payload, signature):
    """The verified event, or None. Stripe's construct_event rejects stale
    timestamps but not future ones: those are refused here too."""
    if not signature or not settings.STRIPE_WEBHOOK_SECRET:
        return None
    timestamp = _signature_timestamp(signature)
    if timestamp is None or timestamp > timezone.now().timestamp() + settings.STRIPE_WEBHOOK_TOLERANCE:
        return None
    try:
        return gateway.webhook_event(payload=payload, signature=signature)
    except (ValueError, stripe.SignatureVerificationError):
        return None


def _observation(event_type, obj):
    if obj.get("object") == "payment_intent":
        status = INTENT_STATUS.get(obj.get("status"), Status.CREATED)
        if event_type == "payment_intent.payment_failed":
            status = Status.FAILED
        received = obj.get("amount_received")
        if received is None and status == Status.SUCCEEDED:
            received = obj.get("amount", 0)
        return Observation(status=status, received_fen=received or 0, currency=(obj.get("currency") or "").lower())
    if obj.get("object") == "charge":
        paid = bool(obj.get("paid")) and obj.get("status") == "succeeded"
        return Observation(
            status=Status.SUCCEEDED if paid else Status.CREATED,
            received_fen=(obj.get("amount_captured") or obj.get("amount") or 0) if paid else 0,
            refunded_fen=obj.get("amount_refunded") or 0,
            currency=(obj.get("currency") or "").lower(),
        )
    return None


def _intent_id(obj):
    if obj.get("object") == "payment_intent":
        return obj.get("id") or ""
    value = obj.get("payment_intent") or ""
    return value if isinstance(value, str) else value.get("id", "")


def _payment_for(obj, intent_id):
    payment = OnlinePayment.objects.filter(intent_id=intent_id).first() if intent_id else None
    reference = (obj.get("metadata") or {}).get("payment_reference")
    if payment is None and reference:
        payment = OnlinePayment.objects.filter(reference=reference).first()
        if payment is not None and not payment.intent_id and intent_id:
            OnlinePayment.objects.filter(pk=payment.pk, intent_id__isnull=True).update(intent_id=intent_id)
    return payment


def event_process(event):
    """Process a verified event once. Returns "duplicate", "ignored" or "processed"."""
    data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    obj = data["data"]["object"]
    intent_id = _intent_id(obj)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    event_id=data["id"], type=data["type"], intent_id=intent_id,
                    stripe_created=datetime.fromtimestamp(data.get("created", 0), tz=dt_timezone.utc),
                )
        except IntegrityError:
            return "duplicate"
        payment = _payment_for(obj, intent_id)
        if payment is None:
            return "ignored"
        if obj.get("object") == "refund" and obj.get("id"):
            status = REFUND_STATUS.get(obj.get("status"))
            if status:
                OnlineRefund.objects.filter(payment=payment, refund_id=obj["id"]).update(status=status)
            return "processed"
        observation = _observation(data["type"], obj)
        if observation is None:
            return "ignored"
        payment_observe(payment_id=payment.pk, observation=observation)
    return "processed"


@csrf_exempt
@require_POST
def stripe_webhook(request):
    event = event_verify(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    if event is None:
        return HttpResponseBadRequest("invalid signature")
    outcome = event_process(event)
    return HttpResponse(outcome)
