"""A local Stripe emulator (localstripe, started on loopback for the test session),
Stripe settings pointing at it, and webhook events signed with Stripe's scheme."""
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.checkout.conftest import cold_point, plain_point, tianhe, yuexiu  # noqa: F401  (fixtures)

from .stripe_front import StripeFront

WEBHOOK_SECRET = "whsec_test_xiangpin"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# localstripe keeps its state in one file, /tmp/localstripe.pickle, shared by every
# instance on the machine: two test runs at once truncate it under each other (a
# new instance then dies reading an empty file) and an old run's objects leak into
# the next. Each test session's instance keeps its state in memory only.
LOCALSTRIPE_IN_MEMORY = (
    "import runpy, sys; from localstripe import resources; "
    "resources.Store.try_load_from_disk = lambda self: None; "
    "resources.Store.dump_to_disk = lambda self: None; "
    "sys.argv[0] = 'localstripe'; runpy.run_module('localstripe', run_name='__main__')"
)


@pytest.fixture(scope="session")
def localstripe_url():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LOCALSTRIPE_IN_MEMORY, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a loaded machine takes more than 10 s to import it
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        try:
            requests.get(f"{url}/v1/payment_intents", auth=("sk_test_x", ""), timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("localstripe did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


_fronts = {}


def _front_for(localstripe_url):
    if localstripe_url not in _fronts:
        _fronts[localstripe_url] = StripeFront(localstripe_url)
    return _fronts[localstripe_url]


@pytest.fixture
def stripe_front(localstripe_url):
    """localstripe behind a front that keeps idempotency keys as Stripe does and
    emulates wallet intents (tests/payments/stripe_front.py); the server calls go
    through it. Its request log starts empty in every test."""
    front = _front_for(localstripe_url)
    front.log.clear()
    return front


@pytest.fixture
def stripe_on(settings, localstripe_url):
    """Stripe settings: the server talks to localstripe through the front, the
    browser (Stripe.js, card tokens) to localstripe itself; returns localstripe's URL."""
    settings.STRIPE_SECRET_KEY = "sk_test_xiangpin"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_xiangpin"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = _front_for(localstripe_url).url
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    settings.STRIPE_METHODS = ["card", "alipay", "wechat_pay"]
    return localstripe_url


def card_token(localstripe_url, number="4242424242424242"):
    """What Stripe.js createToken() returns for a card typed into the element."""
    response = requests.post(f"{localstripe_url}/v1/tokens", data={
        "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2031", "card[cvc]": "123",
        "key": "pk_test_xiangpin",
    }, timeout=5)
    response.raise_for_status()
    return response.json()


def sign(payload: bytes, *, secret=WEBHOOK_SECRET, timestamp=None):
    """A Stripe-Signature header (HMAC-SHA256 over "{t}.{payload}")."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def stripe_event(event_type, obj, *, event_id=None, created=None):
    return json.dumps({
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-01-28",
        "created": int(time.time()) if created is None else created,
        "type": event_type,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }).encode()


def post_event(client, payload, header="__sign__"):
    headers = {}
    if header == "__sign__":
        header = sign(payload)
    if header is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = header
    return client.post("/payments/stripe/webhook/", data=payload, content_type="application/json", **headers)


def start_payment(client, point, product, quantity=1, *, method="card", email="buyer@example.com"):
    """A guest's checkout up to "place order" with an online method: stock reserved,
    basket frozen, the payment recorded with its key; no PaymentIntent yet."""
    from django.urls import reverse

    from shop.payments.models import OnlinePayment
    from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, start_as_guest

    add_to_basket(client, product, quantity)
    start_as_guest(client, email)
    go_to_preview(client, point, method=method)
    response = place_order(client)
    payment = OnlinePayment.objects.get(guest_email=email, basket__status="Frozen")
    assert response.status_code == 302 and response.url == reverse("payments:pay", args=[payment.reference])
    return payment


def intent_object(payment, status, *, intent_id=None, amount=None, amount_received=None, currency="cny",
                  method=None):
    """A PaymentIntent as Stripe puts it in an event for ``payment``."""
    amount = payment.amount_fen if amount is None else amount
    if amount_received is None:
        amount_received = amount if status == "succeeded" else 0
    return {
        "id": intent_id or payment.intent_id, "object": "payment_intent", "amount": amount,
        "amount_received": amount_received, "currency": currency, "status": status,
        "payment_method_types": [method or payment.method], "capture_method": "automatic",
        "metadata": {"order_number": payment.order_number, "payment_reference": str(payment.reference),
                     "payment_attempt": payment.idempotency_key},
        "latest_charge": None, "next_action": None, "livemode": False,
    }


def charge_object(payment, *, amount_refunded, intent_id=None, charge_id="ch_test", refunds=()):
    """The charge of ``payment`` as Stripe puts it in charge.refunded."""
    amount = payment.amount_fen
    return {
        "id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": amount_refunded, "currency": "cny", "paid": True, "captured": True,
        "refunded": amount_refunded >= amount, "status": "succeeded",
        "payment_intent": intent_id or payment.intent_id,
        "metadata": {"order_number": payment.order_number, "payment_reference": str(payment.reference)},
        "refunds": {"object": "list", "data": list(refunds)},
    }


def refund_object(*, refund_id, amount, status="succeeded", charge_id="ch_test", intent_id, metadata=None):
    return {"id": refund_id, "object": "refund", "amount": amount, "currency": "cny", "status": status,
            "charge": charge_id, "payment_intent": intent_id, "metadata": metadata or {}}


def payment_begin(product, quantity, *, point, method="card", email="buyer@example.com", intent_id=None):
    """``start_payment`` without the HTTP checkout (for tests that need many
    payments): a guest basket, its stock reserved and frozen, the payment row."""
    from oscar.core.loading import get_class, get_model

    from shop.checkout.delivery import DeliveryChoice
    from shop.payments.models import OnlinePayment
    from shop.payments.services import payment_start

    Basket = get_model("basket", "Basket")
    Selector = get_class("partner.strategy", "Selector")
    basket = Basket.objects.create()
    basket.strategy = Selector().strategy()
    basket.add_product(product, quantity)
    payment = payment_start(
        basket=basket, user=None, guest_email=email, method=method,
        delivery=DeliveryChoice(method_code="community-pickup", recipient_name="王小明",
                                recipient_phone="13812345678", service_point_id=point.pk),
        amount=basket.total_incl_tax, order_number=str(100000 + basket.pk),
    )
    if intent_id:
        OnlinePayment.objects.filter(pk=payment.pk).update(intent_id=intent_id)
        payment.refresh_from_db()
    return payment


def deliver(client, event_type, obj, **kwargs):
    """Sign and post one event; the response must be a 200."""
    response = post_event(client, stripe_event(event_type, obj, **kwargs))
    assert response.status_code == 200, response.content
    return response


def localstripe_intents(localstripe_url, payment):
    """The PaymentIntents localstripe holds for ``payment`` (by its metadata)."""
    response = requests.get(f"{localstripe_url}/v1/payment_intents", params={"limit": 100000},
                            auth=("sk_test_xiangpin", ""), timeout=10)
    response.raise_for_status()
    return [intent for intent in response.json()["data"]
            if intent["metadata"].get("payment_reference") == str(payment.reference)]


def localstripe_refunds(localstripe_url, intent_id):
    response = requests.get(f"{localstripe_url}/v1/refunds", params={"limit": 100000, "payment_intent": intent_id},
                            auth=("sk_test_xiangpin", ""), timeout=10)
    response.raise_for_status()
    return response.json()["data"]


def pay_by_card(client, payment, localstripe_url, number="4242424242424242"):
    """What the pay page's script does: a fresh token for the card typed in, posted."""
    from django.urls import reverse

    token = card_token(localstripe_url, number)
    return client.post(reverse("payments:card", args=[payment.reference]), {"card": token["card"]["id"]})
