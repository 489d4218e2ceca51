"""Signed-in customers see their orders with pickup point and status; nobody else's."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_model

from .conftest import add_to_basket, go_to_preview, place_order, start_as_guest

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed_order(client, customer, pomelo, cold_point):
    client.force_login(customer)
    add_to_basket(client, pomelo, 2)
    client.get(reverse("checkout:index"))
    go_to_preview(client, cold_point, name="陈晓", phone="13900001111")
    assert place_order(client).status_code == 302
    return Order.objects.get()


def test_order_list_shows_status_and_pickup_point(client, placed_order):
    response = client.get(reverse("customer:order-list"))
    assert response.status_code == 200
    assert [order.number for order in response.context["orders"]] == [placed_order.number]
    page = response.content.decode()
    row = page[page.index(f">{placed_order.number}</a>"):]
    row = row[: row.index("</tr>")]
    cells = [cell.split(">", 1)[1].split("<", 1)[0].strip() for cell in row.split("<td")[1:]]
    assert cells[1:] == ["2", "¥79.80", "待发货", "林和社区自提点"]


def order_list_query_count(client):
    client.get(reverse("customer:order-list"))  # per-process calendars (campaigns, pre-sales) loaded
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customer:order-list"))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_order_list_queries_do_not_grow_with_orders(client, customer, pomelo, tea, cold_point, plain_point,
                                                    placed_order):
    with_one_order = order_list_query_count(client)
    for product, point in ((tea, plain_point), (pomelo, cold_point)):
        add_to_basket(client, product, 1)
        client.get(reverse("checkout:index"))
        go_to_preview(client, point)
        place_order(client)
    assert Order.objects.filter(user=customer).count() == 3
    assert order_list_query_count(client) == with_one_order
    page = client.get(reverse("customer:order-list")).content.decode()
    assert page.count("林和社区自提点") == 2 and page.count("北京街社区自提点") == 1


def test_order_detail_shows_pickup_point_to_its_owner(client, placed_order, cold_point):
    response = client.get(reverse("customer:order", kwargs={"order_number": placed_order.number}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "林和社区自提点" in page and "林和西路 1 号" in page and "09:00-21:00" in page
    assert "待发货" in page
    assert "139****1111" in page and "13900001111" not in page


def test_another_customer_gets_404(client, placed_order, other_customer):
    client.force_login(other_customer)
    response = client.get(reverse("customer:order", kwargs={"order_number": placed_order.number}))
    assert response.status_code == 404
    response = client.get(reverse("customer:order-list"))
    assert list(response.context["orders"]) == []


def test_guest_order_status_page_shows_pickup_point(client, pomelo, plain_point):
    add_to_basket(client, pomelo)
    start_as_guest(client)
    go_to_preview(client, plain_point)
    place_order(client)
    order = Order.objects.get()
    kwargs = {"order_number": order.number, "hash": order.verification_hash()}
    # Oscar asks the guest for the order's email address first.
    response = client.post(reverse("customer:anon-order-form", kwargs=kwargs), {"email": "someone@example.com"})
    assert client.get(reverse("customer:anon-order", kwargs=kwargs)).status_code == 302
    response = client.post(reverse("customer:anon-order-form", kwargs=kwargs), {"email": "guest@example.com"})
    assert response.status_code == 302 and response.url == reverse("customer:anon-order", kwargs=kwargs)
    response = client.get(reverse("customer:anon-order", kwargs=kwargs))
    assert response.status_code == 200
    page = response.content.decode()
    assert "北京街社区自提点" in page and "北京路 100 号" in page and "138****5678" in page
