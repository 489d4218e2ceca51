"""The one place that talks to Stripe (stripe-python's StripeClient).

Keys come from the environment (settings.STRIPE_*). Without a secret key no online
method is offered. ``STRIPE_API_BASE`` points the client at a local emulator
(localstripe in the tests). Every create call carries an idempotency key that the
caller stored in the database before calling.
"""
from functools import lru_cache

import stripe
from django.conf import settings

from .models import PaymentMethodCode

# Wallets cannot be captured later (Stripe: "Manual capture support: No").
WALLET_METHODS = frozenset({PaymentMethodCode.ALIPAY, PaymentMethodCode.WECHAT_PAY})


class ManualCaptureRefused(ValueError):
    pass


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
        "metadata": {"order_number": payment.order_number, "payment_reference": str(payment.reference)},
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


def intent_create(*, params, idempotency_key):
    return client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})


def intent_retrieve(intent_id):
    return client().v1.payment_intents.retrieve(intent_id)


def intent_cancel(intent_id):
    return client().v1.payment_intents.cancel(intent_id)


def refund_create(*, intent_id, amount_fen, idempotency_key):
    return client().v1.refunds.create(
        params={"payment_intent": intent_id, "amount": amount_fen}, options={"idempotency_key": idempotency_key}
    )


def webhook_event(*, payload, signature):
    """Verify and parse a webhook body; raises ValueError or SignatureVerificationError."""
    return stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
    )
