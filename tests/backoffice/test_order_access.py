"""Issue 4's access matrix: every order, wave, pickup, refund, rate and payment URL
(ours and Oscar's order dashboard) × every role — anonymous, two customers, two
cooperatives, the staff of two pickup points, staff — × GET and POST.

Every object in the matrix belongs to the B side: customer B's order of
cooperative B's product, collected at point Q, in cooperative B's shipped wave,
with customer B's online payment. Its owners (and staff) get the page; everyone
else gets 403 or 404 (anonymous users the login), never B's data, and their POSTs
write nothing."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from shop.checkout.session import shipping_address_for_pickup
from shop.core.roles import PICKUP_STAFF
from shop.fulfilment.models import DeliveryRate, DeliveryWave, OrderPickup, WaveOrder
from shop.fulfilment.waves import wave_create, wave_ship
from shop.payments.models import OnlinePayment
from tests.factories import UserFactory
from tests.fulfilment.conftest import pickup_order

from .support import bo_url, build_world

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
PaymentEvent = get_model("order", "PaymentEvent")
ShippingEvent = get_model("order", "ShippingEvent")
StockRecord = get_model("partner", "StockRecord")
Group = get_model("auth", "Group")

# The roles B's objects belong to (on scoped lists they see them; nobody else does).
B_SIDE = {"customer_b", "coop_b", "pickup_q"}
ROLES = ("anonymous", "customer_a", "customer_b", "coop_a", "coop_b", "pickup_p", "pickup_q", "staff")

# Who owns each URL's B-side object (staff own everything). Pages not in the
# table are lists/forms every holder of the role may open, scoped inside.
OWNERS = {
    # cooperative B's wave
    "delivery-wave-detail": {"coop_b"},
    "delivery-wave-manifest": {"coop_b"},
    "delivery-wave-packing-list": {"coop_b"},
    "delivery-wave-ship": {"coop_b"},
    # point Q's wave and order
    "pickup-wave-detail": {"pickup_q"},
    "pickup-wave-receive": {"pickup_q"},
    "pickup-order-detail": {"pickup_q"},
    "pickup-hand-over-q": {"pickup_q"},
    # customer B's order and payment
    "customer-order": {"customer_b"},
    "customer-order-line": {"customer_b"},
    "pay": {"customer_b"},
    "pay-card": {"customer_b"},
    "pay-return": {"customer_b"},
    "pay-status": {"customer_b"},
    "pay-cancel": {"customer_b"},
    # staff only
    "order-refund": set(),
    "delivery-rate-list": set(), "delivery-rate-detail": set(), "delivery-rate-create": set(),
    "delivery-rate-update": set(), "delivery-rate-delete": set(),
    "dashboard-order-list": set(), "dashboard-order-stats": set(), "dashboard-order-detail": set(),
    "dashboard-order-line-detail": set(), "dashboard-order-shipping-address": set(),
}
# Scoped lists and forms: the role opens them and sees only its own rows.
SCOPED = {
    "delivery-wave-list": {"coop_a", "coop_b"},
    "delivery-wave-create": {"coop_a", "coop_b"},
    "pickup-wave-list": {"pickup_p", "pickup_q"},
    "pickup-order-list": {"pickup_p", "pickup_q"},
    "pickup-hand-over": {"pickup_p", "pickup_q"},
    "customer-order-list": {"customer_a", "customer_b"},
}
# URLs that only take POST (GET → 405 for whoever may use them).
POST_ONLY = {"delivery-wave-ship", "pickup-wave-receive", "pay-card", "pay-cancel"}
# Customer pages send anonymous users to the shop's login, payment pages answer 404
# (a payment is found by its user or the session that started it).
ANONYMOUS_404 = {"pay", "pay-card", "pay-return", "pay-status", "pay-cancel"}


def _urls(world):
    order, wave, payment = world.order_b, world.wave_b, world.payment_b
    line = order.lines.get()
    rate = world.rate
    urls = {
        "delivery-wave-list": bo_url("delivery-wave-list"),
        "delivery-wave-create": bo_url("delivery-wave-create"),
        "delivery-wave-detail": bo_url("delivery-wave-detail", pk=wave.pk),
        "delivery-wave-manifest": bo_url("delivery-wave-manifest", pk=wave.pk),
        "delivery-wave-packing-list": bo_url("delivery-wave-packing-list", pk=wave.pk),
        "delivery-wave-ship": bo_url("delivery-wave-ship", pk=wave.pk),
        "pickup-wave-list": bo_url("pickup-wave-list"),
        "pickup-wave-detail": bo_url("pickup-wave-detail", pk=wave.pk),
        "pickup-wave-receive": bo_url("pickup-wave-receive", pk=wave.pk),
        "pickup-order-list": bo_url("pickup-order-list"),
        "pickup-order-detail": bo_url("pickup-order-detail", number=order.number),
        "pickup-hand-over": bo_url("pickup-hand-over"),
        "pickup-hand-over-q": bo_url("pickup-hand-over") + f"?point={world.point_q.pk}",
        "order-refund": bo_url("order-refund", number=order.number),
        "delivery-rate-list": bo_url("delivery-rate-list"),
        "delivery-rate-detail": bo_url("delivery-rate-detail", pk=rate.pk),
        "delivery-rate-create": bo_url("delivery-rate-create"),
        "delivery-rate-update": bo_url("delivery-rate-update", pk=rate.pk),
        "delivery-rate-delete": bo_url("delivery-rate-delete", pk=rate.pk),
        "dashboard-order-list": reverse("dashboard:order-list"),
        "dashboard-order-stats": reverse("dashboard:order-stats"),
        "dashboard-order-detail": reverse("dashboard:order-detail", kwargs={"number": order.number}),
        "dashboard-order-line-detail": reverse("dashboard:order-line-detail",
                                               kwargs={"number": order.number, "line_id": line.pk}),
        "dashboard-order-shipping-address": reverse("dashboard:order-shipping-address",
                                                    kwargs={"number": order.number}),
        "customer-order-list": reverse("customer:order-list"),
        "customer-order": reverse("customer:order", kwargs={"order_number": order.number}),
        "customer-order-line": reverse("customer:order-line", kwargs={"order_number": order.number, "line_id": line.pk}),
    }
    for name in ("pay", "card", "return", "status", "cancel"):
        key = "pay" if name == "pay" else f"pay-{name}"
        urls[key] = reverse(f"payments:{name}", kwargs={"reference": payment.reference})
    return urls


@pytest.fixture
def world(db):
    world = build_world()
    users = world.users
    users["customer_a"] = users["consumer"]
    users["customer_b"] = UserFactory(username="customer_b", email="customer.b@example.com")
    users["pickup_p"] = users["pickup"]
    users["pickup_q"] = UserFactory(username="pickup_q", email="pickup.q@example.com")
    users["pickup_q"].groups.add(Group.objects.get(name=PICKUP_STAFF))
    world.point_q.staff.add(users["pickup_q"])
    users["staff"] = users["admin"]
    # Customer A's order at point P (so lists have something of their own to show).
    world.order_a = pickup_order(lines=[(world.product_a, 1)], point=world.point_p, user=users["customer_a"],
                                 name="陈一", phone="13711112222")
    world.order_b = pickup_order(lines=[(world.product_b, 2)], point=world.point_q, user=users["customer_b"],
                                 name="林二", phone="13733334444")
    address = shipping_address_for_pickup(service_point=world.point_q, recipient_name="林二")
    address.save()
    Order.objects.filter(pk=world.order_b.pk).update(shipping_address=address)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    world.wave_a = wave_create(partner=world.subject_a.partner, service_point=world.point_p, delivery_date=tomorrow,
                               user=users["coop_a"])
    world.wave_b = wave_create(partner=world.subject_b.partner, service_point=world.point_q, delivery_date=tomorrow,
                               user=users["coop_b"])
    wave_ship(wave=world.wave_b, user=users["coop_b"])
    world.order_b.refresh_from_db()
    world.payment_b = OnlinePayment.objects.create(
        user=users["customer_b"], order_number="900001", method="card", amount=Decimal("118.00"),
        delivery={}, idempotency_key="access-matrix-b",
    )
    world.rate = DeliveryRate.objects.order_by("pk").first() or _rate()
    return world


def _rate():
    return DeliveryRate.objects.create(method="home", first_weight_kg=Decimal("1.0"), first_price=Decimal("10.00"),
                                       additional_kg_price=Decimal("2.00"))


def _expected_get(role, name):
    if role == "anonymous":
        if name in ANONYMOUS_404:
            return {404, 405} if name in POST_ONLY else {404}
        return {302}
    owners = OWNERS.get(name)
    if owners is not None:
        if role == "staff" and not name.startswith("pay") and not name.startswith("customer"):
            return {405} if name in POST_ONLY else {200}
        if role in owners:
            return {405} if name in POST_ONLY else {200}
        # GET on a POST-only URL is refused before anything is looked up.
        return {403, 404, 405} if name in POST_ONLY else {403, 404}
    if role in SCOPED[name] or (role == "staff" and not name.startswith("customer")):
        return {200}
    if name.startswith("customer"):
        return {200}  # every signed-in user has their own (empty) order list
    return {403, 404}


def _client(role, world, client):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _leaks(world, html):
    """B-side identifiers a page must not show to anyone but B's owners."""
    return [text for text in (world.order_b.number, world.wave_b.code, "林二", "13733334444", "133****4444")
            if text in html]


def _snapshot():
    models = [Order, OrderPickup, DeliveryWave, WaveOrder, Source, PaymentEvent, ShippingEvent, StockRecord,
              OnlinePayment, DeliveryRate]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def test_the_matrix_names_every_issue_4_url(world):
    from django.apps import apps

    ours = {pattern.name for pattern in apps.get_app_config("backoffice").get_urls()}
    issue_4 = {name for name in ours if name.startswith(("delivery-", "pickup-", "order-refund"))}
    assert issue_4 == {name for name in _urls(world) if name in ours}
    assert len(issue_4) == 18


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(world, client, role):
    client = _client(role, world, client)
    unexpected, leaked = {}, {}
    for name, url in _urls(world).items():
        response = client.get(url)
        if response.status_code not in _expected_get(role, name):
            unexpected[name] = response.status_code
        owner = role == "staff" or role in OWNERS.get(name, ()) or (name in SCOPED and role in B_SIDE)
        if response.status_code == 200 and not owner and _leaks(world, response.content.decode()):
            leaked[name] = _leaks(world, response.content.decode())
    assert unexpected == {}
    assert leaked == {}


# A POST that would change B's things if it got through.
HOSTILE = {
    "code": "000000", "payment_collected": "on", "temperature": "4", "delivery_date": "2030-01-01",
    "orders": [], "partner": "", "quantity": "1", "reason": "篡改", "method": "home", "first_price": "0.01",
    "first_weight_kg": "1", "additional_kg_price": "0", "status": "已取消", "card_token": "tok_visa",
    "line_1": "1",
}


@pytest.mark.parametrize("role", [role for role in ROLES if role != "staff"])
def test_post_matrix_non_owners_write_nothing(world, client, role):
    client = _client(role, world, client)
    data = dict(HOSTILE, orders=[world.order_b.pk], partner=world.subject_b.partner.pk,
                point=world.point_q.pk, service_point=world.point_q.pk)
    before = _snapshot()
    unexpected = {}
    for name, url in _urls(world).items():
        if role in OWNERS.get(name, ()) or role in SCOPED.get(name, ()) or name == "customer-order-list":
            continue  # owners may write: their own flows are tested elsewhere
        status = client.post(url, data).status_code
        allowed = ({302} if name not in ANONYMOUS_404 else {404}) if role == "anonymous" else {403, 404, 405}
        if status not in allowed:
            unexpected[name] = status
    assert unexpected == {}
    assert _snapshot() == before


def test_point_p_staff_cannot_hand_over_point_qs_order(world, client):
    """Q's order, ready with a code, entered at P: refused, nothing written."""
    from shop.fulfilment.pickup import wave_receive

    wave_receive(wave=world.wave_b, user=world.users["pickup_q"])
    code = OrderPickup.objects.get(order=world.order_b).pickup_code
    assert len(code) == 6
    client.force_login(world.users["pickup_p"])
    before = _snapshot()
    response = client.post(bo_url("pickup-hand-over"), {"code": code, "payment_collected": "on"})
    assert response.status_code in (200, 404)
    assert "取货码无效" in response.content.decode()
    assert _snapshot() == before
    assert Order.objects.get(pk=world.order_b.pk).status == "待取货"
