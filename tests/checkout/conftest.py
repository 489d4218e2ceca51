"""Fixtures and client helpers for the checkout journey (pickup point, pay at pickup)."""
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse

from shop.regions.models import ServicePoint
from tests.factories import CountyFactory, ServicePointFactory, UserFactory, make_product



GUANGZHOU = {"city__code": "440100", "city__name": "广州市"}


@pytest.fixture
def tianhe():
    return CountyFactory(code="440106", name="天河区", **GUANGZHOU)


@pytest.fixture
def yuexiu():
    return CountyFactory(code="440104", name="越秀区", **GUANGZHOU)


@pytest.fixture
def futian():
    return CountyFactory(code="440304", name="福田区", city__code="440300", city__name="深圳市")


@pytest.fixture
def cold_point(tianhe):
    return ServicePointFactory(
        name="林和社区自提点", code="gz-linhe", county=tianhe, community="林和街道",
        address="林和西路 1 号", opening_hours="09:00-21:00", has_cold_storage=True,
    )


@pytest.fixture
def plain_point(yuexiu):
    return ServicePointFactory(
        name="北京街社区自提点", code="gz-beijingjie", county=yuexiu, community="北京街道",
        address="北京路 100 号", opening_hours="10:00-20:00", has_cold_storage=False,
    )


@pytest.fixture
def locker(futian):
    return ServicePointFactory(
        kind=ServicePoint.Kind.LOCKER, name="福田口岸提货柜", code="sz-futian-locker", county=futian,
        community="福保街道", address="福强路 1 号", opening_hours="全天", has_cold_storage=False,
    )


@pytest.fixture
def closed_point(tianhe):
    return ServicePointFactory(name="已停用自提点", code="gz-closed", county=tianhe, is_active=False)


@pytest.fixture
def village_point(tianhe):
    return ServicePointFactory(kind=ServicePoint.Kind.VILLAGE_POINT, name="村级服务点", code="village-1", county=tianhe)


@pytest.fixture
def pomelo():
    return make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=10)


@pytest.fixture
def tea():
    return make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=3)


@pytest.fixture
def lychee():
    return make_product(title="高州荔枝 3斤装", price=Decimal("59.00"), stock=5, is_fresh=True)


@pytest.fixture
def customer():
    return UserFactory(email="chen@example.com", first_name="晓", last_name="陈")


@pytest.fixture
def other_customer():
    return UserFactory(email="li@example.com")


def add_to_basket(client, product, quantity=1):
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": quantity})
    assert response.status_code == 302, response
    return response


def start_as_guest(client, email="guest@example.com"):
    response = client.post(reverse("checkout:index"), {"username": email, "options": "anonymous"})
    assert response.status_code == 302
    assert response.url == reverse("checkout:shipping-address")


def choose_pickup_point(client, point, name="王小明", phone="138 1234 5678"):
    return client.post(
        reverse("checkout:shipping-address"),
        {"service_point": point.pk, "recipient_name": name, "recipient_phone": phone},
    )


def go_to_preview(client, point, method="pay-at-pickup", **recipient):
    """Pickup point → delivery method (auto-selected) → payment method → preview."""
    response = choose_pickup_point(client, point, **recipient)
    assert response.status_code == 302 and response.url == reverse("checkout:shipping-method")
    response = client.get(reverse("checkout:shipping-method"))
    assert response.status_code == 302 and response.url == reverse("checkout:payment-method")
    response = client.post(reverse("checkout:payment-method"), {"payment_method": method})
    assert response.status_code == 302 and response.url == reverse("checkout:preview")
    response = client.get(reverse("checkout:preview"))
    assert response.status_code == 200
    return response


def place_order(client):
    return client.post(reverse("checkout:preview"), {"action": "place_order"})


def warnings_and_errors(response):
    """Texts of the warning and error messages queued for the customer."""
    return [str(m) for m in get_messages(response.wsgi_request) if m.level >= messages.WARNING]
