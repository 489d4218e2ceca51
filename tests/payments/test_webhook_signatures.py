"""The Stripe webhook accepts only events signed with our secret, at most 300 s
old or ahead, with the raw body: anything else is 400 and writes nothing."""
import json
import time
from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from shop.inventory.models import StockReservation
from shop.payments.models import OnlinePayment, WebhookEvent
from tests.factories import make_product

from .conftest import intent_object, post_event, sign, start_payment, stripe_event

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(client, stripe_on, cold_point):
    product = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=5)
    payment = start_payment(client, cold_point, product, 2)
    OnlinePayment.objects.filter(pk=payment.pk).update(intent_id="pi_signaturetest")
    payment.refresh_from_db()
    return payment


def _state():
    return (
        list(WebhookEvent.objects.values()),
        list(OnlinePayment.objects.values()),
        list(Order.objects.values()),
        list(StockReservation.objects.values("basket_id", "stockrecord_id", "quantity")),
    )


def _succeeded(payment, **kwargs):
    return stripe_event("payment_intent.succeeded", intent_object(payment, "succeeded"), **kwargs)


def _refused(client, payload, header):
    before = _state()
    response = post_event(client, payload, header)
    assert (response.status_code, response.content) == (400, b"invalid signature")
    assert _state() == before
    return response


def test_tampered_body_is_refused(client, payment):
    payload = _succeeded(payment)
    header = sign(payload)
    tampered = payload.replace(b'"amount_received": 2500', b'"amount_received": 1')
    assert tampered != payload
    _refused(client, tampered, header)


def test_wrong_secret_is_refused(client, payment):
    payload = _succeeded(payment)
    _refused(client, payload, sign(payload, secret="whsec_someone_else"))


def test_missing_header_is_refused(client, payment):
    _refused(client, _succeeded(payment), None)


def test_stale_timestamp_is_refused(client, payment):
    payload = _succeeded(payment)
    _refused(client, payload, sign(payload, timestamp=time.time() - 301))
    _refused(client, payload, sign(payload, timestamp=time.time() - 3600))


def test_future_timestamp_is_refused(client, payment):
    payload = _succeeded(payment)
    _refused(client, payload, sign(payload, timestamp=time.time() + 301))
    _refused(client, payload, sign(payload, timestamp=time.time() + 86400 * 365 * 1000))


@pytest.mark.parametrize("header", [
    "", "garbage", "t=,v1=", "t=abc,v1=00", "v1=00", "t=1700000000", "t=99999999999999999999999,v1=00",
])
def test_malformed_header_is_refused(client, payment, header):
    _refused(client, _succeeded(payment), header)


def test_older_signature_scheme_alone_is_refused(client, payment):
    payload = _succeeded(payment)
    v0 = sign(payload).replace("v1=", "v0=")
    _refused(client, payload, v0)


@pytest.mark.parametrize("payload", [
    b"not json at all",
    b"[1, 2, 3]",
    b'{"id": "evt_nodata", "object": "event", "type": "payment_intent.succeeded"}',
    b'{"id": "evt_badobj", "object": "event", "type": "payment_intent.succeeded", "created": 1, "data": {"object": 7}}',
    b'{"object": "event", "type": "payment_intent.succeeded", "created": 1, "data": {"object": {}}}',
    b'{"id": "evt_badtime", "object": "event", "type": "charge.refunded", "created": "soon", "data": {"object": {}}}',
    "{\"id\": \"evt_\u00e9\", \"data\": ".encode(),
])
def test_malformed_body_signed_correctly_is_refused(client, payment, payload):
    """Even with a valid signature, a body that is not a Stripe event is a 400, not a 500."""
    before = _state()
    response = post_event(client, payload)
    assert response.status_code == 400
    assert _state() == before


def test_a_correct_event_is_accepted_and_processed(client, payment, django_capture_on_commit_callbacks):
    payload = _succeeded(payment, event_id="evt_signed_ok")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, payload)
    assert (response.status_code, response.content) == (200, b"processed")
    assert list(WebhookEvent.objects.values_list("event_id", "type", "intent_id")) == [
        ("evt_signed_ok", "payment_intent.succeeded", "pi_signaturetest")]
    payment.refresh_from_db()
    order = Order.objects.get()
    assert (payment.status, payment.amount_received_fen, payment.order_id) == ("succeeded", 2500, order.pk)
    assert (order.number, order.total_incl_tax) == (payment.order_number, Decimal("25.00"))


def test_a_signature_within_the_tolerance_either_way_is_accepted(client, payment):
    first = _succeeded(payment, event_id="evt_recent_past")
    assert post_event(client, first, sign(first, timestamp=time.time() - 280)).status_code == 200
    second = stripe_event("payment_intent.processing", intent_object(payment, "processing"), event_id="evt_near_future")
    assert post_event(client, second, sign(second, timestamp=time.time() + 280)).status_code == 200
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == ["evt_near_future", "evt_recent_past"]


def test_one_of_several_v1_signatures_matching_is_enough(client, payment):
    """Stripe sends one v1 per active secret while a secret is rolled."""
    payload = _succeeded(payment, event_id="evt_rolled")
    good = sign(payload)
    timestamp, signature = good.split(",")
    header = f"{timestamp},v1={'0' * 64},{signature}"
    assert post_event(client, payload, header).status_code == 200


def test_the_body_is_verified_as_sent_not_as_reparsed(client, payment):
    """Whitespace is part of the signed bytes: re-serialised JSON would not verify."""
    payload = _succeeded(payment, event_id="evt_spacing")
    respaced = json.dumps(json.loads(payload), indent=2).encode()
    _refused(client, respaced, sign(payload))
    assert post_event(client, respaced, sign(respaced)).status_code == 200
