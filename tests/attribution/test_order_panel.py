"""The dashboard's order page says where an order was sold and where its income
went: a pavilion order shows the pavilion and its order number instead of the
(absent) customer, and every order a 收益归属 table of batches and households,
names masked; a cooperative's staff see only their own lines."""
from datetime import datetime, timedelta, timezone

import pytest
from oscar.core.loading import get_model

from catalog_sync.models import Platform
from catalog_sync.orders import order_import_one
from tests.backoffice.support import HEAD_NAME_A, HEAD_NAME_B, build_world
from tests.catalog_sync.orders.conftest import make_channel
from tests.catalog_sync.orders.fake import channel_order
from tests.factories import place_order

StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db
CHINA = timezone(timedelta(hours=8))


def sku(product):
    return StockRecord.objects.get(product=product).partner_sku


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def pavilion_order(world):
    jd = make_channel("jd-pavilion", Platform.JD, "京东特产馆")
    placed = datetime(2026, 11, 28, 9, 15, tzinfo=CHINA)
    result = order_import_one(jd, channel_order("300000000042", placed, lines=[
        (sku(world.product_a), 2, "39.90"), (sku(world.product_b), 1, "59.00")]))
    return result.order_number


def page(client, user, number):
    client.force_login(user)
    response = client.get(f"/zh-hans/shop/dashboard/orders/{number}/")
    assert response.status_code == 200
    return response.content.decode()


def attribution_table(html):
    return html[html.index('id="order-attribution"'):html.index("</table>", html.index('id="order-attribution"'))]


def test_a_pavilion_order_shows_its_channel_and_masked_households(client, world, pavilion_order):
    html = page(client, world.users["admin"], pavilion_order)
    assert '<th>渠道订单号</th><td>300000000042</td>' in html
    assert "京东特产馆（京东特产馆）" in html
    assert "顾客已删除其帐户" not in html
    table = attribution_table(html)
    assert "收益归属（京东特产馆）" in table
    assert "JD44140300001 李**" in table and "JD44142600001 王**" in table
    assert world.batch_a.code in table and world.batch_b.code in table
    assert HEAD_NAME_A not in html and HEAD_NAME_B not in html
    assert "<th class=\"text-right\">¥138.80</th>" in table           # 2 × 39.90 + 59.00 sold


def test_a_cooperative_sees_only_its_own_lines(world, pavilion_order):
    # Cooperative staff do not open the dashboard's order pages (403); the selector limits them anyway.
    from oscar.core.loading import get_model

    from shop.attribution.selectors import order_attribution

    order = get_model("order", "Order").objects.get(number=pavilion_order)
    mine = order_attribution(order, world.users["coop_a"])
    # Household A grew 40 of the batch's 100 units; the rest is the cooperative's own (no household).
    assert [(row.household, row.batch) for row in mine.rows] == [("JD44140300001 李**", world.batch_a.code),
                                                                 ("", world.batch_a.code)]
    assert (mine.channel, mine.channel_name, mine.external_id, str(mine.sales_amount)) == (
        "京东特产馆", "京东特产馆", "300000000042", "79.80")


def test_a_store_order_keeps_the_customer_and_shows_the_store_channel(client, world):
    order = place_order(lines=[(world.product_a, 1)], user=world.users["consumer"])
    html = page(client, world.users["admin"], order.number)
    assert 'id="order-channel"' not in html
    assert "收益归属（乡品通商城）" in attribution_table(html)
    assert "consumer@example.com" in html
