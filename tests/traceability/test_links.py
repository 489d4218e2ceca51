"""Product and order pages link to the trace pages of their batches."""
import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_model

from shop.attribution.models import LineAllocation
from shop.harvest.models import HarvestBatch
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order as checkout_place_order, start_as_guest
from tests.factories import ServicePointFactory, UserFactory, make_batch, make_product, place_order

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
TRACE_LINK = re.compile(r'<a href="(/t/[^"]+/)" data-trace-link="([^"]+)">')


def test_product_page_links_its_newest_sellable_batches(client, scenario):
    dates = [datetime.date(2026, 10, day) for day in range(1, 8)]
    older = [make_batch(product=scenario.product, quantity=5, harvested_on=day) for day in dates]
    failed = make_batch(product=scenario.product, quantity=5, harvested_on=datetime.date(2026, 11, 30),
                        inspection_result=HarvestBatch.Inspection.FAILED)
    response = client.get(scenario.product.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    expected = [scenario.batch, *reversed(older)][:5]  # 2026-11-01, then 10-07 … 10-04
    assert TRACE_LINK.findall(html) == [(f"/t/{b.code}/", b.code) for b in expected]
    assert failed.code not in html
    section = html[html.index("data-product-batches"):]
    section = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section[: section.index("</ul>")]))
    assert f"溯源 {scenario.batch.code} 2026-11-01 采收" in section


def test_product_page_without_batches_has_no_trace_section(client, db):
    product = make_product(title="英德红茶 250克")
    html = client.get(product.get_absolute_url()).content.decode()
    assert "data-product-batches" not in html


def test_product_page_shows_a_new_batch_at_once(client, scenario):
    url = scenario.product.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    batch = make_batch(product=scenario.product, quantity=5, harvested_on=datetime.date(2026, 11, 25))
    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert TRACE_LINK.findall(response.content.decode())[0] == (f"/t/{batch.code}/", batch.code)


def order_links(html):
    section = html[html.index("data-order-batches"):]
    section = section[: section.index("</ul>")]
    return [
        (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item.split(">", 1)[1].split("：")[0])).strip(), TRACE_LINK.findall(item))
        for item in section.split("<li data-line=")[1:]
    ]


def test_order_page_links_each_line_to_its_batches(client, scenario):
    first = scenario.batch  # 60 units, harvested 11-01
    second = make_batch(product=scenario.product, quantity=40, harvested_on=datetime.date(2026, 11, 10))
    tea = make_product(title="英德红茶 250克", stock=10)
    tea_batch = make_batch(product=tea, quantity=10)
    customer = UserFactory()
    place_order(lines=[(scenario.product, 50)], user=customer)  # 50 of the first batch
    order = place_order(lines=[(scenario.product, 15), (tea, 2)], user=customer)  # 10 + 5, and tea
    assert LineAllocation.objects.filter(line__order=order).count() == 3

    client.force_login(customer)
    response = client.get(reverse("customer:order", kwargs={"order_number": order.number}))
    assert response.status_code == 200
    html = response.content.decode()
    assert order_links(html) == [
        ("高州荔枝 3斤装 × 15", [(f"/t/{first.code}/", first.code), (f"/t/{second.code}/", second.code)]),
        ("英德红茶 250克 × 2", [(f"/t/{tea_batch.code}/", tea_batch.code)]),
    ]
    assert "10 件" in html and "5 件" in html


def test_order_batches_cost_one_query_whatever_the_lines(client, scenario):
    from django.template import Context, Template

    products = [make_product(title=f"商品{n}", stock=5) for n in range(4)]
    for product in products:
        make_batch(product=product, quantity=5)
    small = place_order(lines=[(products[0], 1)])
    large = place_order(lines=[(product, 1) for product in products])
    template = Template('{% load trace_tags %}{% order_trace_lines order as lines %}{% for l in lines %}'
                        '{% for b in l.batches %}{{ b.url }}{% endfor %}{% endfor %}')
    for order, n in ((small, 1), (large, 4)):
        order = Order.objects.get(pk=order.pk)
        with CaptureQueriesContext(connection) as queries:
            html = template.render(Context({"order": order}))
        assert len(queries.captured_queries) == 1
        assert html.count("/t/") == n


def test_guest_order_page_and_thank_you_page_link_to_the_trace_page(client, scenario):
    point = ServicePointFactory(name="林和社区自提点", has_cold_storage=True)
    add_to_basket(client, scenario.product, 2)
    start_as_guest(client)
    go_to_preview(client, point)
    response = checkout_place_order(client)
    assert response.status_code == 302
    order = Order.objects.get()
    expected = [("高州荔枝 3斤装 × 2", [(f"/t/{scenario.batch.code}/", scenario.batch.code)])]

    thank_you = client.get(response.url)
    assert thank_you.status_code == 200
    assert order_links(thank_you.content.decode()) == expected

    kwargs = {"order_number": order.number, "hash": order.verification_hash()}
    # Oscar asks the guest for the order's email address first.
    client.post(reverse("customer:anon-order-form", kwargs=kwargs), {"email": "guest@example.com"})
    anon = client.get(reverse("customer:anon-order", kwargs=kwargs))
    assert anon.status_code == 200
    assert order_links(anon.content.decode()) == expected
