"""Cooperative staff see the channel status of their own products only: state,
last sync and the last error in plain words; no other cooperative's product, no
credential, no dead-letter button; the operators' pages are closed to them."""
import re

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from .conftest import SECRETS, bo_url

B_TITLES = ("平远脐橙 10斤装", "平远梅菜干", "徐闻菠萝 5斤装", "高州荔枝 3斤装")
A_TITLES = ("梅州金柚 5斤装", "梅县客家娘酒", "英德红茶 100克", "梅县客家腌面")


def _rows(response):
    return [(status.product_title, status.channel_name, status.state_label, status.problem, status.detail)
            for status in (row["status"] for row in response.context["rows"])]


def test_cooperative_a_sees_its_products_on_every_channel(sync, login):
    response = login(sync.world.users["coop_a"]).get(bo_url("channel-listing-list"))
    assert response.status_code == 200
    assert _rows(response) == [
        ("梅县客家娘酒", "京东扶贫馆", "失败", "平台不接受这件商品的信息（标题、图片、类目或价格等），请修改商品后联系运营人员重试。",
         "标题含有违禁词「最」"),
        ("梅县客家腌面", "京东扶贫馆", "尚未推送", "", ""),
        ("梅州金柚 5斤装", "京东扶贫馆", "在售", "", ""),
        ("梅州金柚 5斤装", "商品 Feed", "在售", "", ""),
        ("英德红茶 100克", "京东扶贫馆", "待推送", "平台限流，系统稍后自动重试。", ""),
    ]
    html = response.content.decode()
    assert [title for title in B_TITLES if title in html] == []
    pomelo = sync.listings["pomelo"]
    assert date_format(timezone.localtime(pomelo.last_synced_at), "Y-m-d H:i") in html
    assert f'href="{bo_url("channel-listing-detail", pk=sync.products["pomelo"].pk)}"' in html


def test_cooperative_b_sees_its_own_and_nothing_of_a(sync, login):
    response = login(sync.world.users["coop_b"]).get(bo_url("channel-listing-list"))
    assert _rows(response) == [
        ("平远梅菜干", "京东扶贫馆", "审核中", "", ""),
        ("平远脐橙 10斤装", "京东扶贫馆", "在售", "平台暂时无法处理，系统会自动重试。", ""),
        ("平远脐橙 10斤装", "商品 Feed", "失败", "渠道账号或权限配置有误，请联系运营人员。", ""),
        ("徐闻菠萝 5斤装", "京东扶贫馆", "已下架", "", ""),
        ("高州荔枝 3斤装", "京东扶贫馆", "审核未通过", "平台审核未通过，请联系运营人员。", ""),
    ]
    html = response.content.decode()
    assert [title for title in A_TITLES if title in html] == []
    assert "（已不在该渠道销售）" in html   # the pineapple is no longer enabled on JD


@pytest.mark.parametrize("role", ["coop_a", "coop_b"])
def test_no_credential_no_platform_code_and_no_button(sync, login, role):
    client = login(sync.world.users[role])
    urls = [bo_url("channel-listing-list")]
    mine = sync.world.subject_a if role == "coop_a" else sync.world.subject_b
    urls += [bo_url("channel-listing-detail", pk=product.pk) for product in sync.products.values()
             if product.stockrecords.filter(partner=mine.partner).exists()]
    assert len(urls) == (4 if role == "coop_a" else 5)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert [secret for secret in SECRETS if secret in html] == [], url
        assert "******" not in html and "jd-key" not in html
        assert "<form method=\"post\"" not in html and "重试</button>" not in html
        assert "push_listings" not in html and "App Call Limited" not in html


def test_a_products_page(sync, login):
    response = login(sync.world.users["coop_a"]).get(bo_url("channel-listing-detail", pk=sync.products["pomelo"].pk))
    assert [(status.channel_name, status.state_label) for status in response.context["statuses"]] == [
        ("京东扶贫馆", "在售"), ("商品 Feed", "在售")]
    html = response.content.decode()
    assert re.search(r'<li class="breadcrumb-item">渠道同步</li>', html)
    assert f'<a href="{bo_url("channel-listing-list")}">渠道商品状态</a>' in html


@pytest.mark.parametrize(("actor", "victim"), [("coop_a", "orange"), ("coop_a", "lychee"), ("coop_b", "pomelo"),
                                               ("coop_b", "wine")])
def test_another_cooperatives_product_is_not_found(sync, login, actor, victim):
    client = login(sync.world.users[actor])
    assert client.get(bo_url("channel-listing-detail", pk=sync.products[victim].pk)).status_code == 404


@pytest.mark.parametrize("role", ["coop_a", "coop_b"])
def test_the_operators_pages_are_closed_to_cooperatives(sync, login, role):
    client = login(sync.world.users[role])
    jd = sync.jd
    reads = [bo_url("channel-list"), bo_url("channel-detail", pk=jd.pk)]
    writes = [bo_url("channel-push", pk=jd.pk), bo_url("channel-import-orders", pk=jd.pk),
              bo_url("channel-dead-letter-retry", pk=jd.pk, letter_pk=sync.dead_letter.pk)]
    assert [client.get(url).status_code for url in reads + writes] == [403] * 5
    assert [client.post(url).status_code for url in writes] == [403] * 3
    sync.dead_letter.refresh_from_db()
    assert sync.dead_letter.resolved_at is None


@pytest.mark.parametrize("name", ["channel-list", "channel-listing-list"])
def test_anonymous_users_are_sent_to_the_dashboard_login(sync, client, name):
    url = bo_url(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/zh-hans/shop/dashboard/login/?next={url}"
