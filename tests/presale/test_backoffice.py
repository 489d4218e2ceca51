"""The pre-sale screens: who may open and do what (every pre-sale URL × role,
against cooperative B's pre-sale), a cooperative creating a pre-sale and
confirming its harvest in the dashboard, and the cannot-deliver form."""
import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from shop.payments.models import OnlinePayment
from shop.presale import services
from shop.presale.models import PreSale, PreSaleOrder
from tests.backoffice.support import bo_url, build_world
from tests.factories import UserFactory
from tests.payments.conftest import intent_object, post_event, stripe_event
from tests.checkout.conftest import plain_point, yuexiu  # noqa: F401

from .conftest import committed, make_presale

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "consumer", "pickup", "operations", "officer", "coop_a", "admin")
READ = {"presale-list", "presale-detail"}
ALLOWED = {
    "anonymous": set(), "consumer": set(), "pickup": set(),
    "operations": READ | {"presale-create", "presale-update", "presale-cancel"},
    "officer": READ,
    "coop_a": READ | {"presale-create", "presale-update", "presale-cancel", "presale-confirm-harvest"},
    "admin": READ | {"presale-create", "presale-update", "presale-cancel", "presale-confirm-harvest"},
}
# Cooperative B's pre-sale is out of cooperative A's scope (the list is scoped, the others 404).
OUT_OF_SCOPE = {"coop_a": {"presale-detail", "presale-update", "presale-cancel", "presale-confirm-harvest"}}


@pytest.fixture
def world(db, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_xiangpin"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_xiangpin"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_xiangpin"
    settings.STRIPE_METHODS = ["card"]
    return build_world()


def _urls(presale):
    return {
        "presale-list": bo_url("presale-list"), "presale-create": bo_url("presale-create"),
        "presale-detail": bo_url("presale-detail", pk=presale.pk), "presale-update": bo_url("presale-update", pk=presale.pk),
        "presale-confirm-harvest": bo_url("presale-confirm-harvest", pk=presale.pk),
        "presale-cancel": bo_url("presale-cancel", pk=presale.pk),
    }


def _client(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _expected(role, name, method):
    if role == "anonymous":
        return 302
    if name not in ALLOWED[role]:
        return 403
    if method == "POST" and name in READ:
        return 405  # read-only views: the method is refused before any object is looked up
    if name in OUT_OF_SCOPE.get(role, ()):
        return 404
    if method == "GET":
        return 405 if name in ("presale-confirm-harvest", "presale-cancel") else 200
    return {"presale-create": 200, "presale-update": 200}.get(name, 302)


def test_the_matrix_covers_every_presale_url(world):
    names = {p.name for p in apps.get_app_config("backoffice").get_urls() if p.name.startswith("presale-")}
    assert names == set(_urls(make_presale(world.product_b)))


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world, client, role):
    presale = make_presale(world.product_b)
    client = _client(client, world, role)
    for method in ("GET", "POST"):
        results = {name: getattr(client, method.lower())(url).status_code for name, url in _urls(presale).items()}
        assert results == {name: _expected(role, name, method) for name in results}, method
    presale.refresh_from_db()
    assert (presale.status, presale.cancel_reason) == (PreSale.Status.PUBLISHED, "")  # a bare POST changes nothing


def _paid(client, presale, user, point):
    """Buy and pay the deposit: a signed payment_intent.succeeded, as Stripe sends it."""
    payment = services.purchase_start(presale=presale, user=user, request=services.PurchaseRequest(
        quantity=2, service_point=point, recipient_name="王小明", recipient_phone="13812345678", method="card"))
    payment.refresh_from_db()
    with committed():
        response = post_event(client, stripe_event("payment_intent.succeeded",
                                                   intent_object(payment, "succeeded", intent_id=f"pi_bo_{payment.pk}")))
    assert response.status_code == 200
    return PreSaleOrder.objects.get(payments__payment=payment)


def test_a_cooperative_creates_a_presale_and_confirms_its_harvest(world, client, plain_point):
    client.force_login(world.users["coop_a"])
    now = timezone.localtime()
    form = {
        "product": world.product_a.pk, "title": "梅州金柚 年货预售", "summary": "", "mode": "deposit",
        "price": "88.00", "deposit": "20.00", "capacity": "50", "max_per_order": "5",
        "order_starts": (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "order_ends": (now + datetime.timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
        "balance_starts": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "balance_deadline": (now + datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "ship_from": (now + datetime.timedelta(days=10)).date().isoformat(),
        "ship_until": (now + datetime.timedelta(days=20)).date().isoformat(), "status": "published",
    }
    refused = client.post(bo_url("presale-create"), dict(form, deposit="88.00"))
    assert refused.status_code == 200 and "定金须小于预售价" in refused.content.decode()
    swapped = client.post(bo_url("presale-create"), dict(form, product=world.product_b.pk))
    assert swapped.status_code == 403
    response = client.post(bo_url("presale-create"), form)
    presale = PreSale.objects.get()
    assert response.status_code == 302 and response.url == bo_url("presale-detail", pk=presale.pk)
    assert (presale.created_by, presale.price, presale.deposit, presale.capacity) == (
        world.users["coop_a"], Decimal("88.00"), Decimal("20.00"), 50)

    buyer = UserFactory(email="buyer@example.com")
    presale_order = _paid(client, presale, buyer, plain_point)
    assert presale_order.status == PreSaleOrder.Status.BALANCE_DUE
    client.force_login(world.users["coop_a"])
    page = client.get(bo_url("presale-detail", pk=presale.pk)).content.decode()
    assert presale_order.number in page and world.batch_a.code in page

    other = client.post(bo_url("presale-confirm-harvest", pk=presale.pk), {"batch": world.batch_b.pk})
    assert other.status_code == 403  # cooperative B's batch: not among the choices
    response = client.post(bo_url("presale-confirm-harvest", pk=presale.pk), {"batch": world.batch_a.pk})
    assert response.status_code == 302
    presale_order.refresh_from_db()
    assert (presale_order.batch, presale_order.status, presale_order.order.status) == (
        world.batch_a, PreSaleOrder.Status.BALANCE_DUE, "预售·待付尾款")
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages == [f"已确认采收（批次 {world.batch_a.code}）：1 单分配到批次，其中 0 单已付清、转入待发货；0 单未能分配"]

    # Terms buyers agreed to are fixed once there are orders.
    client.post(bo_url("presale-update", pk=presale.pk), dict(form, price="10.00", capacity="40"))
    presale.refresh_from_db()
    assert (presale.price, presale.capacity) == (Decimal("88.00"), 40)


def test_the_cannot_deliver_form_needs_the_confirmation(world, client):
    presale = make_presale(world.product_a)
    client.force_login(world.users["coop_a"])
    client.post(bo_url("presale-cancel", pk=presale.pk), {"reason": "歉收"})
    assert PreSale.objects.get(pk=presale.pk).status == PreSale.Status.PUBLISHED
    client.post(bo_url("presale-cancel", pk=presale.pk), {"reason": "歉收", "confirm": "on"})
    presale.refresh_from_db()
    assert (presale.status, presale.cancel_reason) == (PreSale.Status.CANCELLED, "歉收")
    assert not OnlinePayment.objects.exists()
