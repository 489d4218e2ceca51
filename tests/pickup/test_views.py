"""The pickup point's back-office pages: staff of point P see P's waves and
orders only (recipient masked, no code, no address, no e-mail), sign for a
wave, hand over on the phone page; point Q's wave or order is a 404 for them,
Q's code is invalid, and nothing is written. Other roles are kept out."""
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from oscar.core.loading import get_model

from shop.fulfilment import notify, pickup
from shop.fulfilment.models import DeliveryWave, OrderPickup
from tests.backoffice.support import bo_url

from .conftest import RECIPIENT_NAME, RECIPIENT_PHONE, pickup_order, shipped_wave

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")
ShippingEvent = get_model("order", "ShippingEvent")

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world, monkeypatch):
    """At each point: one order ready for pickup (paid at pickup) and one wave in transit."""
    codes = iter(["111111", "222222", "333333", "444444"])
    monkeypatch.setattr(pickup, "pickup_code_generate", lambda: next(codes))
    scene = {}
    for key, point, staff in (("p", world.point_p, "pickup"), ("q", world.point_q, "pickup_q")):
        order = pickup_order(lines=[(world.product_a, 2)], point=point, user=world.users["consumer"])
        received = shipped_wave(partner=world.partner_a, point=point, orders=[order])
        pickup.wave_receive(wave=received, user=world.users[staff])
        coming = pickup_order(lines=[(world.lychee, 1)], point=point)
        incoming = shipped_wave(partner=world.partner_a, point=point, orders=[coming], cold_chain=True)
        scene[key] = {"order": order, "code": OrderPickup.objects.get(order=order).pickup_code,
                      "received": received, "incoming": incoming, "coming": coming}
    return scene


def _snapshot():
    return {
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "pickups": list(OrderPickup.objects.order_by("pk").values()),
        "waves": list(DeliveryWave.objects.order_by("pk").values()),
        "payment_events": PaymentEvent.objects.count(),
        "shipping_events": ShippingEvent.objects.count(),
    }


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_staff_of_a_point_see_its_waves_and_orders_only(world, scene, login):
    client = login(world.users["pickup"])
    waves = client.get(bo_url("pickup-wave-list"))
    assert waves.status_code == 200
    assert [row["wave"] for row in waves.context["incoming"]] == [scene["p"]["incoming"]]
    assert [row["wave"] for row in waves.context["received"]] == [scene["p"]["received"]]
    html = waves.content.decode()
    assert scene["p"]["incoming"].code in html and scene["q"]["incoming"].code not in html
    assert 'name="temperature"' in html  # the incoming wave is cold chain

    orders = client.get(bo_url("pickup-order-list"))
    assert orders.status_code == 200
    [row] = orders.context["orders"]
    waiting = row["order"]
    assert (waiting.number, waiting.point_name, waiting.recipient_name, waiting.recipient_phone,
            waiting.amount_due, waiting.days_waiting, waiting.reminded) == (
        scene["p"]["order"].number, "天河林和自提点", "王**", "138****5678", Decimal("79.80"), 0, False)
    assert [(line.title, line.quantity) for line in waiting.lines] == [("梅州金柚 5斤装", 2)]
    html = orders.content.decode()
    assert scene["q"]["order"].number not in html
    for secret in (RECIPIENT_PHONE, RECIPIENT_NAME, "广州市天河区林和西路1号", "consumer@example.com",
                   scene["p"]["code"]):
        assert secret not in html

    detail = client.get(bo_url("pickup-order-detail", number=scene["p"]["order"].number))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "138****5678" in html and RECIPIENT_PHONE not in html and scene["p"]["code"] not in html
    wave = client.get(bo_url("pickup-wave-detail", pk=scene["p"]["received"].pk))
    assert wave.status_code == 200
    assert RECIPIENT_PHONE not in wave.content.decode() and "138****5678" in wave.content.decode()


def test_another_points_wave_order_and_code_are_out_of_reach(world, scene, login):
    client = login(world.users["pickup"])
    q = scene["q"]
    before = _snapshot()
    assert client.get(bo_url("pickup-wave-detail", pk=q["incoming"].pk)).status_code == 404
    assert client.post(bo_url("pickup-wave-receive", pk=q["incoming"].pk), {"temperature": "4"}).status_code == 404
    assert client.get(bo_url("pickup-order-detail", number=q["order"].number)).status_code == 404
    assert client.get(bo_url("pickup-hand-over") + f"?point={world.point_q.pk}").status_code == 404
    assert client.post(bo_url("pickup-hand-over"), {"point": world.point_q.pk, "code": q["code"],
                                                     "payment_collected": "1"}).status_code == 404
    # Q's code at P: simply invalid.
    page = client.get(bo_url("pickup-hand-over") + f"?code={q['code']}")
    assert (page.status_code, page.context["error"]) == (200, "取货码无效")
    assert "summary" not in page.context
    page = client.post(bo_url("pickup-hand-over"), {"point": world.point_p.pk, "code": q["code"],
                                                     "payment_collected": "1"})
    assert (page.status_code, page.context["error"]) == (200, "取货码无效")
    assert _snapshot() == before


def test_signing_for_a_cold_chain_wave(world, scene, login):
    client = login(world.users["pickup"])
    wave = scene["p"]["incoming"]
    response = client.post(bo_url("pickup-wave-receive", pk=wave.pk))
    assert response.status_code == 302
    assert _messages(response) == ["冷链波次须填写到货温度"]
    client.get(response["Location"])  # the message is shown (and consumed)
    wave.refresh_from_db()
    assert wave.status == "shipped"

    response = client.post(bo_url("pickup-wave-receive", pk=wave.pk), {"temperature": "3.5"})
    assert response.status_code == 302 and response["Location"] == bo_url("pickup-wave-list")
    assert _messages(response) == [f"波次 {wave.code} 已签收；1 个订单已通知顾客取货"]
    wave.refresh_from_db()
    assert (wave.status, wave.received_by) == ("received", world.users["pickup"])
    scene["p"]["coming"].refresh_from_db()
    assert scene["p"]["coming"].status == "待取货"
    assert client.get(bo_url("pickup-wave-receive", pk=wave.pk)).status_code == 405


def test_hand_over_on_the_phone_page_from_the_customers_qr(world, scene, login):
    client = login(world.users["pickup"])
    order, code = scene["p"]["order"], scene["p"]["code"]
    # The QR in the customer's e-mail opens this page with the code filled in.
    path = notify.hand_over_url(code).removeprefix("http://example.com")
    page = client.get(path)
    assert page.status_code == 200
    summary = page.context["summary"]
    assert (summary.number, summary.recipient_name, summary.recipient_phone, summary.amount_due) == (
        order.number, "王**", "138****5678", Decimal("79.80"))
    html = page.content.decode()
    assert "已收款 ¥79.80" in html and "确认交付" in html and RECIPIENT_PHONE not in html

    before = _snapshot()
    page = client.post(bo_url("pickup-hand-over"), {"point": world.point_p.pk, "code": code,
                                                     "amount_expected": "79.80"})
    assert page.status_code == 200
    assert page.context["error"] == "该订单须在自提点付款 ¥79.80，请收款后勾选「已收款」"
    assert page.context["summary"].number == order.number
    assert _snapshot() == before

    response = client.post(bo_url("pickup-hand-over"), {"point": world.point_p.pk, "code": code,
                                                         "payment_collected": "1", "amount_expected": "79.80"})
    assert response.status_code == 302
    assert response["Location"] == bo_url("pickup-hand-over") + f"?point={world.point_p.pk}"
    assert _messages(response) == [f"订单 {order.number} 已交付顾客"]
    order.refresh_from_db()
    assert order.status == "已取货"
    assert list(PaymentEvent.objects.filter(order=order).values_list("event_type__name", "amount")) == [
        ("已支付", Decimal("79.80"))]

    again = client.post(bo_url("pickup-hand-over"), {"point": world.point_p.pk, "code": code,
                                                      "payment_collected": "1"})
    assert again.status_code == 200 and again.context["error"].endswith("交付，不能重复交付")


def test_the_hand_over_page_without_a_code_shows_the_input(world, scene, login):
    page = login(world.users["pickup"]).get(bo_url("pickup-hand-over"))
    assert page.status_code == 200
    assert page.context["point"] == world.point_p and page.context["points"] == [world.point_p]
    html = page.content.decode()
    assert 'inputmode="numeric"' in html and 'id="scan_button"' in html and "pickup-scan.js" in html


ROLE_STATUS = {
    # role: status for every page (GET); pickup staff see their own point's objects.
    "anonymous": 302, "consumer": 403, "bare_staff": 403, "operations": 403, "officer": 403,
    "coop_a": 403, "coop_b": 403, "pickup": 200, "pickup_q": 404, "admin": 200,
}


@pytest.mark.parametrize("role", sorted(ROLE_STATUS))
def test_who_may_open_the_pickup_pages(world, scene, client, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    p = scene["p"]
    pages = {
        "pickup-wave-list": bo_url("pickup-wave-list"),
        "pickup-order-list": bo_url("pickup-order-list"),
        "pickup-hand-over": bo_url("pickup-hand-over"),
        "pickup-wave-detail": bo_url("pickup-wave-detail", pk=p["received"].pk),
        "pickup-order-detail": bo_url("pickup-order-detail", number=p["order"].number),
    }
    lists = {"pickup-wave-list", "pickup-order-list", "pickup-hand-over"}
    expected = {}
    for name in pages:
        status = ROLE_STATUS[role]
        if role == "pickup_q" and name in lists:
            status = 200  # their own (empty of P's) lists
        expected[name] = status
    assert {name: client.get(url).status_code for name, url in pages.items()} == expected

    before = _snapshot()
    receive = client.post(bo_url("pickup-wave-receive", pk=p["incoming"].pk), {"temperature": "4"})
    hand_over = client.post(bo_url("pickup-hand-over"), {"point": world.point_p.pk, "code": p["code"],
                                                          "payment_collected": "1"})
    if role in ("pickup", "admin"):
        assert (receive.status_code, hand_over.status_code) == (302, 302)
    else:
        assert (receive.status_code, hand_over.status_code) == (ROLE_STATUS[role], ROLE_STATUS[role])
        assert _snapshot() == before
