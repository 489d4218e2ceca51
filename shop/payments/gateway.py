"""The one place that talks to Stripe (stripe-python's StripeClient).

Keys come from the environment (settings.STRIPE_*). Without a secret key no online
method is offered. ``STRIPE_API_BASE`` points the client at a local emulator
(localstripe in the tests). Every create call carries an idempotency key that the
caller stored in the database before calling.
"""
import json
from functools import lru_cache

import stripe
from django.conf import settings

from .models import PaymentMethodCode

# Wallets cannot be captured later (Stripe: "Manual capture support: No").
WALLET_METHODS = frozenset({PaymentMethodCode.ALIPAY, PaymentMethodCode.WECHAT_PAY})


class ManualCaptureRefused(ValueError):
    pass


def answer_lost(exc):
    """True when a Stripe call may or may not have happened (no answer came back:
    a timeout, a dropped connection). Then the same call is made again with the
    same idempotency key and parameters. Any other error is Stripe's answer."""
    return isinstance(exc, (stripe.APIConnectionError, stripe.IdempotencyError))


def stripe_configured():
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY and settings.STRIPE_WEBHOOK_SECRET)


def online_methods_enabled():
    """The online method codes offered, in display order (none without keys)."""
    if not stripe_configured():
        return []
    return [code for code in settings.STRIPE_METHODS if code in PaymentMethodCode.values]


@lru_cache(maxsize=4)
def _client(secret_key, api_base):
    base_addresses = {"api": api_base} if api_base else {}
    return stripe.StripeClient(secret_key, base_addresses=base_addresses, max_network_retries=0)


def client():
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def intent_params(*, payment, return_url, payment_method=None, capture_method="automatic"):
    """PaymentIntent create parameters for ``payment`` (amounts in fen, CNY)."""
    method = payment.method
    if capture_method == "manual" and method in WALLET_METHODS:
        raise ManualCaptureRefused(f"{method} cannot be captured later")
    params = {
        "amount": payment.amount_fen,
        "currency": payment.currency.lower(),
        "payment_method_types": [method],
        # payment_attempt: events of an attempt that is over (a declined card) are
        # told apart from the current one's (shop.payments.webhooks).
        "metadata": {"order_number": payment.order_number, "payment_reference": str(payment.reference),
                     "payment_attempt": payment.idempotency_key, "purpose": payment.purpose},
        "confirm": True,
        "return_url": return_url,
    }
    if capture_method == "manual":
        params["capture_method"] = "manual"
    if method == PaymentMethodCode.CARD:
        params["payment_method"] = payment_method
    else:
        params["payment_method_data"] = {"type": method}
        if method == PaymentMethodCode.WECHAT_PAY:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    return params


def _manual_capture_refuse(params):
    methods = set(params.get("payment_method_types") or [])
    options = params.get("payment_method_options") or {}
    for method in methods & WALLET_METHODS:
        if params.get("capture_method") == "manual" or (options.get(method) or {}).get("capture_method") == "manual":
            raise ManualCaptureRefused(f"{method} cannot be captured later")


def intent_create(*, params, idempotency_key):
    _manual_capture_refuse(params)
    if not idempotency_key:
        raise ValueError("a PaymentIntent is never created without a stored idempotency key")
    return client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})


def intent_retrieve(intent_id):
    return client().v1.payment_intents.retrieve(intent_id)


def intent_cancel(intent_id):
    return client().v1.payment_intents.cancel(intent_id)


def off_session_intent_params(*, payment, customer_id, payment_method_id):
    """PaymentIntent parameters charging a saved card without its holder (a
    crowdfunding pledge at the deadline): the card's Customer, automatic capture."""
    if payment.method != PaymentMethodCode.CARD:
        raise ValueError("only a saved card can be charged off-session")
    return {
        "amount": payment.amount_fen,
        "currency": payment.currency.lower(),
        "payment_method_types": [PaymentMethodCode.CARD],
        "customer": customer_id,
        "payment_method": payment_method_id,
        "off_session": True,
        "confirm": True,
        "metadata": {"order_number": payment.order_number, "payment_reference": str(payment.reference),
                     "payment_attempt": payment.idempotency_key, "purpose": payment.purpose},
    }


def customer_create(*, params, idempotency_key):
    if not idempotency_key:
        raise ValueError("a Customer is never created without a stored idempotency key")
    return client().v1.customers.create(params=params, options={"idempotency_key": idempotency_key})


def setup_intent_create(*, params, idempotency_key):
    """A SetupIntent saving a card for later off-session charges (cards only:
    Alipay and WeChat Pay have no setup mode)."""
    if set(params.get("payment_method_types") or []) & WALLET_METHODS:
        raise ValueError("wallets cannot be saved for later charges")
    if not idempotency_key:
        raise ValueError("a SetupIntent is never created without a stored idempotency key")
    return client().v1.setup_intents.create(params=params, options={"idempotency_key": idempotency_key})


def setup_intent_retrieve(setup_intent_id):
    return client().v1.setup_intents.retrieve(setup_intent_id)


def refund_create(*, intent_id, amount_fen, idempotency_key, metadata=None):
    if not idempotency_key:
        raise ValueError("a refund is never created without a stored idempotency key")
    params = {"payment_intent": intent_id, "amount": amount_fen}
    if metadata:
        params["metadata"] = metadata
    return client().v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})


def webhook_tolerance():
    """Seconds an event may be old (or ahead); never 0, which would turn Stripe's check off."""
    return int(settings.STRIPE_WEBHOOK_TOLERANCE or 0) or stripe.Webhook.DEFAULT_TOLERANCE


def webhook_event(*, payload, signature):
    """Verify a webhook body (raw bytes) and parse it into a dict; raises
    SignatureVerificationError, or ValueError when the body is not JSON."""
    stripe.WebhookSignature.verify_header(payload, signature, settings.STRIPE_WEBHOOK_SECRET, webhook_tolerance())
    return json.loads(payload)
