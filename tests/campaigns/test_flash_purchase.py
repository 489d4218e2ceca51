"""立即抢购 (one-step flash purchase, pay at the pickup point) through the real
view: the order it makes, its refusals, and under load on PostgreSQL — 200
customers for a quota of 50, and one customer's 20 concurrent attempts from 5
sessions under a limit of 2 — with the gate in front."""
import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from oscar.core.loading import get_model

from shop.campaigns.models import CampaignOrderLine, CustomerPurchase
from tests.factories import UserFactory
from tests.inventory.conftest import run_in_threads

from .conftest import CAMPAIGN_PRICE, TITLE, campaign_product, make_campaign, signed_in_client

Order = get_model("order", "Order")
SOLD_OUT = f"「{TITLE}」已抢光"


@pytest.fixture(autouse=True)
def empty_gate():
    cache.clear()
    yield
    cache.clear()


def buy(client, item, point, quantity=1, phone="13900001111"):
    return client.post(reverse("flash:buy"), {
        "item": item.pk, "quantity": quantity, "service_point": point.pk, "recipient_name": "陈小姐",
        "recipient_phone": phone,
    })


def refusal_text(response):
    text = response.content.decode()
    start = text.index('role="alert">') + len('role="alert">')
    return text[start:text.index("</div>", start)].strip()


@pytest.mark.django_db
def test_a_flash_purchase_is_an_order_at_the_campaign_price_paid_at_pickup(cold_point):
    item = campaign_product(quota=50, limit=2)
    user = UserFactory()
    response = buy(signed_in_client(user), item, cold_point, quantity=2)

    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("customer:order", kwargs={"order_number": order.number})
    assert (order.user, order.status, order.total_incl_tax) == (user, "待发货", Decimal("19.80"))
    line = order.lines.get()
    assert (line.quantity, line.unit_price_incl_tax) == (2, CAMPAIGN_PRICE)
    source = order.sources.get()
    assert (source.source_type.code, source.amount_allocated, source.amount_debited) == (
        "pay-at-pickup", Decimal("19.80"), Decimal("0.00"))
    assert order.pickup.service_point == cold_point
    item.refresh_from_db()
    assert item.sold == 2
    assert CampaignOrderLine.objects.get().quantity == 2
    assert CustomerPurchase.objects.get(item=item, user=user).quantity == 2
    assert item.product.stockrecords.get().num_allocated == 2


@pytest.mark.django_db
def test_refusals_write_nothing(cold_point):
    user = UserFactory()
    client = signed_in_client(user)
    later = campaign_product(campaign=make_campaign(starts_in=datetime.timedelta(hours=2)), quota=5)
    over = campaign_product(campaign=make_campaign(starts_in=datetime.timedelta(hours=-8)), quota=5)
    live = campaign_product(quota=5, limit=2)

    not_started = buy(client, later, cold_point)
    ended = buy(client, over, cold_point)
    bad_phone = buy(client, live, cold_point, phone="12345")
    over_limit = buy(client, live, cold_point, quantity=3)

    assert (not_started.status_code, refusal_text(not_started)) == (409, "活动尚未开始，请在开始后再抢购")
    assert (ended.status_code, refusal_text(ended)) == (409, "活动已结束")
    assert (bad_phone.status_code, refusal_text(bad_phone)) == (400, "请输入 11 位中国大陆手机号")
    assert over_limit.status_code == 409
    assert "每人限购 2 件" in refusal_text(over_limit)
    assert Order.objects.count() == 0
    assert CampaignOrderLine.objects.count() == 0
    live.refresh_from_db()
    assert live.sold == 0


@pytest.mark.django_db
def test_anonymous_buyers_are_sent_to_sign_in(cold_point):
    from django.test import Client

    item = campaign_product(quota=5)
    response = buy(Client(), item, cold_point)
    assert response.status_code == 302
    assert response.url.startswith(reverse("customer:login"))
    assert Order.objects.count() == 0


def outcome(response):
    if response.status_code == 302 and "/accounts/orders/" in response.url:
        return "order"
    if response.status_code == 409:
        return refusal_text(response)
    return f"unexpected {response.status_code}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_200_customers_for_a_quota_of_50(cold_point):
    item = campaign_product(quota=50, stock=500)
    clients = [signed_in_client(UserFactory()) for _ in range(200)]
    results = run_in_threads([lambda client=client: buy(client, item, cold_point) for client in clients], workers=40)

    assert [repr(exc) for _response, exc in results if exc is not None] == []
    outcomes = [outcome(response) for response, _exc in results]
    assert outcomes.count("order") == 50
    assert outcomes.count(SOLD_OUT) == 150
    assert Order.objects.count() == 50
    item.refresh_from_db()
    stock = item.product.stockrecords.get()
    assert (item.sold, stock.num_allocated, stock.num_in_stock) == (50, 50, 500)
    assert CampaignOrderLine.objects.filter(item=item).count() == 50


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_customer_with_5_sessions_and_20_attempts_gets_2_units(cold_point):
    item = campaign_product(quota=50, limit=2)
    user = UserFactory()
    sessions = [signed_in_client(user) for _ in range(5)]
    results = run_in_threads([lambda n=n: buy(sessions[n % 5], item, cold_point) for n in range(20)], workers=20)

    assert [repr(exc) for _response, exc in results if exc is not None] == []
    outcomes = [outcome(response) for response, _exc in results]
    assert outcomes.count("order") == 2
    assert all(text.startswith(f"「{TITLE}」每人限购 2 件") for text in outcomes if text != "order")
    assert sum(line.quantity for line in CampaignOrderLine.objects.filter(item=item)) == 2
    assert CustomerPurchase.objects.get(item=item, user=user).quantity == 2
    item.refresh_from_db()
    assert item.sold == 2


@pytest.mark.django_db
def test_the_product_page_offers_flash_purchase_with_the_last_pickup_filled_in(cold_point):
    from django.test import Client

    item = campaign_product(quota=50, limit=2)
    user = UserFactory(first_name="小敏", last_name="陈")
    client = signed_in_client(user)
    page = client.get(item.product.get_absolute_url()).content.decode()
    assert 'id="flash_form"' in page
    assert f'name="item" value="{item.pk}"' in page
    assert 'max="2"' in page
    assert buy(client, item, cold_point, phone="13800002222").status_code == 302

    again = client.get(item.product.get_absolute_url()).content.decode()
    assert f'<option value="{cold_point.pk}" selected>' in again
    assert 'value="陈小姐"' in again and 'value="13800002222"' in again

    anonymous = Client().get(item.product.get_absolute_url()).content.decode()
    assert 'id="flash_form"' not in anonymous
    assert "登录后立即抢购" in anonymous
