"""The customer's order page: status steps, the pickup code and its QR only while
the order waits at the point, tracking events, how it is paid — and nobody else's."""
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from shop.checkout.payment_methods import pay_at_pickup_source_build
from shop.fulfilment.models import OrderPickup
from tests.checkout.conftest import cold_point, tianhe  # noqa: F401  (fixtures)
from tests.factories import UserFactory, make_product, place_order

ShippingEvent = get_model("order", "ShippingEvent")
ShippingEventType = get_model("order", "ShippingEventType")

pytestmark = pytest.mark.django_db


@pytest.fixture
def consumer():
    return UserFactory(username="chen", email="chen@example.com")


@pytest.fixture
def order(consumer, cold_point):
    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=10)
    order = place_order(lines=[(pomelo, 2)], user=consumer)
    OrderPickup.objects.create(order=order, service_point=cold_point, recipient_name="陈晓",
                               recipient_phone="13900001111")
    source = pay_at_pickup_source_build(total=_total(order))
    source.order = order
    source.save()
    return order


def _total(order):
    class Total:
        currency = order.currency
        incl_tax = order.total_incl_tax

    return Total()


def _event(order, name, notes=""):
    event_type, _created = ShippingEventType.objects.get_or_create(name=name)
    ShippingEvent.objects.create(order=order, event_type=event_type, notes=notes)


def _page(client, user, order):
    client.force_login(user)
    return client.get(reverse("customer:order", kwargs={"order_number": order.number}))


def test_waiting_order_shows_steps_code_qr_events_and_amount_due(client, consumer, order):
    _event(order, "已发运", "波次 W20261203-gz-linhe-1")
    _event(order, "已到达自提点")
    order.set_status("配送中")
    order.set_status("待取货")
    OrderPickup.objects.filter(order=order).update(pickup_code="482913", ready_at=timezone.now())

    response = _page(client, consumer, order)

    assert response.status_code == 200
    tracking = response.context["tracking"]
    assert [(step.label, step.state) for step in tracking.steps] == [
        ("已下单", "done"), ("配送中", "done"), ("待取货", "current"), ("已取货", "todo"),
    ]
    assert [(event.name, event.notes) for event in tracking.events] == [
        ("已发运", "波次 W20261203-gz-linhe-1"), ("已到达自提点", ""),
    ]
    assert tracking.amount_due == Decimal("79.80")
    page = response.content.decode()
    assert '<p class="xp-pickup-code" aria-label="取货码">482913</p>' in page
    assert page.count('class="xp-pickup-qr"') == 1
    assert "取货时请付款 ¥79.80" in page
    assert "139****1111" in page and "13900001111" not in page


def test_collected_order_shows_no_code(client, consumer, order):
    for status in ("配送中", "待取货", "已取货"):
        order.set_status(status)
    OrderPickup.objects.filter(order=order).update(pickup_code="482913", collected_at=timezone.now())
    source = order.sources.get()
    source.debit(amount=source.amount_allocated)

    response = _page(client, consumer, order)

    tracking = response.context["tracking"]
    assert [step.state for step in tracking.steps] == ["done", "done", "done", "done"]
    assert tracking.pickup_code == "" and tracking.amount_due == Decimal("0.00")
    page = response.content.decode()
    assert "482913" not in page and "xp-pickup-qr" not in page
    assert "已支付 <strong>¥79.80</strong>" in page


def test_returned_order_says_so(client, consumer, order):
    for status in ("配送中", "待取货", "已退回"):
        order.set_status(status)
    tracking = _page(client, consumer, order).context["tracking"]
    assert (tracking.steps, tracking.notice) == ([], "逾期未取货，商品已退回")


def test_another_customer_gets_404(client, order):
    OrderPickup.objects.filter(order=order).update(pickup_code="482913")
    assert _page(client, UserFactory(username="li"), order).status_code == 404
