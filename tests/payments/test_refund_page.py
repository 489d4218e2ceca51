"""The dashboard refund page: staff refund part of an order by units, then the rest;
the ledger is reversed exactly; others cannot open it."""
from decimal import Decimal

import pytest
from django.urls import reverse

from shop.attribution.services import line_net
from tests.factories import UserFactory, make_batch, make_household, make_product, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    product = make_product(title="连州菜心 2斤装", price=Decimal("15.00"), stock=10)
    household = make_household()
    make_batch(product=product, quantity=10, households=[(household, 10)])
    return place_order(lines=[(product, 3)])


def test_partial_then_full_refund(client, order):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("backoffice:order-refund", kwargs={"number": order.number})
    line = order.lines.get()
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["lines"] == [(line, 3)]

    response = client.post(url, {f"line_{line.pk}": "1", "reason": "顾客少收一件"})
    assert response.status_code == 302
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount) == (2, Decimal("30.00"))
    assert list(order.payment_events.values_list("event_type__name", "amount", "reference")) == [
        ("退款", Decimal("15.00"), "顾客少收一件")]

    too_many = client.post(url, {f"line_{line.pk}": "3"})
    assert too_many.status_code == 200
    assert [str(m) for m in too_many.context["messages"]] == ["已退款 ¥15.00", "退款数量超过可退数量（剩余 2 件）"]

    client.post(url, {"full": "1"})
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount) == (0, Decimal("0.00"))
    order.refresh_from_db()
    assert order.status == "已取消"
    assert client.get(url).context["refunded"] == Decimal("45.00")


def test_only_staff_with_order_permission(client, order):
    url = reverse("backoffice:order-refund", kwargs={"number": order.number})
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    assert client.post(url, {"full": "1"}).status_code == 403
    assert order.payment_events.count() == 0
