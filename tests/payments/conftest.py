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

WEBHOOK_SECRET = "whsec_test_xiangpin"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(100):
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


@pytest.fixture
def stripe_on(settings, localstripe_url):
    settings.STRIPE_SECRET_KEY = "sk_test_xiangpin"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_xiangpin"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_url
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
