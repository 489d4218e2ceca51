"""The campaign dashboard (营销活动 → 节庆活动): who may open it (every campaign
URL × the eight roles, GET and POST), creating and editing a campaign through
the forms, its products with their rules and Chinese errors (nothing written
when anything is wrong), publishing with the no-overlap rule, the live page's
figures and JSON, and the XLSX / CSV results."""
import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from oscar.apps.dashboard.menu import get_nodes
from oscar.core.loading import get_model

from cms.models import CampaignPage
from shop.backoffice.templatetags.backoffice_tags import cell
from shop.campaigns.models import Campaign, CampaignOrderLine, CampaignProduct
from tests.backoffice.support import build_world
from tests.factories import make_product

from .ui_support import Clock, beijing, make_home_page, record_sale, schedule_campaign

pytestmark = pytest.mark.django_db

Product = get_model("catalogue", "Product")

ROLES = ("anonymous", "consumer", "bare_staff", "pickup", "operations", "officer", "coop_a", "admin")
ALLOWED = {"operations", "admin"}
POST_ONLY = {"campaign-publish", "campaign-unpublish"}
WRITES = {"campaign-create", "campaign-update", "campaign-publish", "campaign-unpublish", "campaign-item-create",
          "campaign-item-update", "campaign-item-delete"}
NOW = beijing(2027, 1, 10, 9, 0)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


@pytest.fixture
def world(db, clock):
    world = build_world()
    make_home_page()
    Product.objects.filter(pk=world.product_a.pk).update(upc="6901234500011")
    world.product_a.refresh_from_db()
    return world


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def campaign(world):
    """A draft 年货节 with 梅州金柚 (¥39.90) at ¥29.90, 50 units, 2 per customer."""
    return schedule_campaign(starts_at=beijing(2027, 1, 20, 10), ends_at=beijing(2027, 1, 27, 22), publish=False,
                             items=[(world.product_a, "29.90", 50, 2)])


def errors_of(form):
    return {field: list(messages) for field, messages in form.errors.items()}


def url(name, **kwargs):
    return reverse(f"backoffice:{name}", kwargs=kwargs or None)


def campaign_urls(campaign):
    item = campaign.items.get()
    pk = {"pk": campaign.pk}
    urls = {
        "campaign-list": url("campaign-list"),
        "campaign-create": url("campaign-create"),
        "campaign-item-create": url("campaign-item-create", **pk),
        "campaign-item-update": url("campaign-item-update", pk=campaign.pk, item_pk=item.pk),
        "campaign-item-delete": url("campaign-item-delete", pk=campaign.pk, item_pk=item.pk),
    }
    for name in ("detail", "update", "publish", "unpublish", "live", "live-data", "results-xlsx", "results-csv"):
        urls[f"campaign-{name}"] = url(f"campaign-{name}", **pk)
    return urls


def snapshot():
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for model in (Campaign, CampaignProduct, CampaignOrderLine, CampaignPage)}


def client_for(role, world, client):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def expected_get(role, name):
    if role == "anonymous":
        return 302
    if role not in ALLOWED:
        return 403
    return 405 if name in POST_ONLY else 200


def test_the_matrix_names_every_campaign_url(campaign):
    from django.apps import apps

    names = {p.name for p in apps.get_app_config("backoffice").get_urls() if p.name.startswith("campaign-")}
    assert names == set(campaign_urls(campaign))
    assert len(names) == 13


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(world, campaign, client, role):
    client = client_for(role, world, client)
    results = {name: client.get(address).status_code for name, address in campaign_urls(campaign).items()}
    assert results == {name: expected_get(role, name) for name in results}


def test_anonymous_users_are_sent_to_the_dashboard_login(world, campaign, client):
    address = url("campaign-live", pk=campaign.pk)
    assert client.get(address)["Location"] == f"/zh-hans/shop/dashboard/login/?next={address}"


HOSTILE = {"name": "被篡改", "slug": "tampered", "theme": "nianhuo", "summary": "被篡改", "starts_at": "2027-01-21T10:00",
           "ends_at": "2027-01-28T10:00", "price": "1.00", "quota": 1, "per_customer_limit": 1}


@pytest.mark.parametrize("role", [role for role in ROLES if role not in ALLOWED])
def test_post_matrix_writes_nothing(world, campaign, client, role):
    client = client_for(role, world, client)
    before = snapshot()
    urls = {name: address for name, address in campaign_urls(campaign).items() if name in WRITES}
    results = {name: client.post(address, dict(HOSTILE, product=world.product_b.pk)).status_code
               for name, address in urls.items()}
    assert results == {name: 302 if role == "anonymous" else 403 for name in urls}
    assert snapshot() == before


def _menu(user):
    for node in get_nodes(user):
        if str(node.label) == "营销活动":
            return [str(child.label) for child in node.children]
    return []


@pytest.mark.parametrize("role", ROLES[1:])
def test_the_menu_shows_campaigns_to_campaign_managers_and_administrators(world, role):
    assert ("节庆活动" in _menu(world.users[role])) is (role in ALLOWED)


# -- creating and editing a campaign ------------------------------------------
CREATE = {"name": "2027 年货节", "slug": "nianhuo-2027", "theme": "nianhuo", "summary": "红红火火过大年",
          "starts_at": "2027-01-20T10:00", "ends_at": "2027-01-27T22:00"}


def test_a_campaign_manager_creates_a_draft_campaign_with_its_landing_page(world, login):
    client = login(world.users["operations"])
    form = client.get(url("campaign-create")).context["form"]
    assert form.fields["theme"].choices == [
        ("default", "默认（乡品绿）"), ("fupinri", "扶贫日（10月17日）"), ("nianhuo", "年货节（红金）"), ("shuang11", "双11"),
    ]

    response = client.post(url("campaign-create"), CREATE)

    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == url("campaign-detail", pk=campaign.pk)
    assert (campaign.name, campaign.slug, campaign.theme, campaign.summary) == ("2027 年货节", "nianhuo-2027", "nianhuo",
                                                                               "红红火火过大年")
    assert (campaign.starts_at, campaign.ends_at) == (beijing(2027, 1, 20, 10), beijing(2027, 1, 27, 22))
    assert (campaign.is_published, campaign.state, campaign.created_by) == (False, "draft", world.users["operations"])
    page = CampaignPage.objects.get()
    assert (page.title, page.slug, page.live, page.campaign_id, page.url) == (
        "2027 年货节", "nianhuo-2027", True, campaign.pk, "/zh-hans/nianhuo-2027/")

    detail = client.get(url("campaign-detail", pk=campaign.pk))
    html = detail.content.decode()
    assert detail.context["state_label"] == "草稿"
    assert 'data-campaign-theme="nianhuo">年货节（红金）<' in html
    assert 'id="campaign_landing_link">/zh-hans/nianhuo-2027/</a>' in html
    assert detail.context["publish_url"] == url("campaign-publish", pk=campaign.pk)


@pytest.mark.parametrize(("changes", "errors"), [
    ({"ends_at": "2027-01-20T10:00"}, {"ends_at": ["结束时间必须晚于开始时间。"]}),
    ({"starts_at": "2027-01-01T10:00", "ends_at": "2027-01-05T10:00"}, {"ends_at": ["结束时间已过，请选择当前时间之后的时间。"]}),
    ({"name": "  "}, {"name": ["必需字段"]}),
    ({"slug": "年货节"}, {"slug": ["输入由字母，数字，下划线或连字符号组成的有效“字段”。"]}),
    ({"starts_at": "2027-13-01T10:00"}, {"starts_at": ["输入一个有效的日期/时间。"]}),
])
def test_a_bad_campaign_is_refused_with_chinese_errors_and_nothing_written(world, login, changes, errors):
    client = login(world.users["operations"])
    before = snapshot()
    response = client.post(url("campaign-create"), dict(CREATE, **changes))
    assert response.status_code == 200
    assert errors_of(response.context["form"]) == errors
    assert snapshot() == before


def test_a_slug_in_use_is_refused(world, login, campaign):
    client = login(world.users["operations"])
    before = snapshot()
    response = client.post(url("campaign-create"), dict(CREATE, name="另一个活动"))
    assert errors_of(response.context["form"]) == {"slug": ["网址标识「nianhuo-2027」已被活动「2027 年货节」使用。"]}
    assert snapshot() == before


def test_a_theme_that_is_not_offered_is_a_tampered_post(world, login):
    client = login(world.users["operations"])
    before = snapshot()
    assert client.post(url("campaign-create"), dict(CREATE, theme="../default")).status_code == 403
    assert snapshot() == before


def test_editing_a_draft_and_the_rules_once_it_has_started(world, login, campaign, clock):
    client = login(world.users["operations"])
    response = client.post(url("campaign-update", pk=campaign.pk),
                           dict(CREATE, name="2027 年货节·第一波", theme="shuang11", ends_at="2027-01-25T22:00"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.theme, campaign.ends_at) == ("2027 年货节·第一波", "shuang11", beijing(2027, 1, 25, 22))
    client.post(url("campaign-publish", pk=campaign.pk))

    clock.set(beijing(2027, 1, 21, 8))  # live
    before = snapshot()
    response = client.post(url("campaign-update", pk=campaign.pk),
                           dict(CREATE, slug="nianhuo-2027-b", starts_at="2027-01-21T10:00",
                                ends_at="2027-01-21T07:00"))
    assert errors_of(response.context["form"]) == {
        "ends_at": ["结束时间必须晚于开始时间。"], "slug": ["已发布的活动不能修改网址标识。"],
        "starts_at": ["活动已开始，不能修改开始时间。"],
    }
    assert snapshot() == before

    clock.set(beijing(2027, 1, 26, 8))  # ended
    client = login(world.users["operations"])  # the session of sixteen days ago has expired
    response = client.post(url("campaign-update", pk=campaign.pk), CREATE)
    assert list(response.context["form"].non_field_errors()) == ["活动已结束，不能再修改。"]
    assert snapshot() == before
    assert client.get(url("campaign-detail", pk=campaign.pk)).context["actions"][-1].label == "导出 CSV"


# -- campaign products ----------------------------------------------------------
def test_the_product_picker_finds_products_by_title_and_upc(world, login, campaign):
    client = login(world.users["operations"])
    address = url("campaign-item-create", pk=campaign.pk)

    def found(query):
        rows = client.get(address, {"q": query}).context["results"]
        return [(row["product"].get_title(), row["regular_price"]) for row in rows]

    assert found("脐橙") == [("平远脐橙 10斤装", Decimal("59.00"))]
    assert found("690123450") == [("梅州金柚 5斤装", Decimal("39.90"))]
    assert found("榴莲") == []
    assert "没有找到商品，请换个名称或 UPC 再搜索。" in client.get(address, {"q": "榴莲"}).content.decode()


def test_adding_a_product_with_price_quota_and_limit(world, login, campaign):
    client = login(world.users["operations"])
    response = client.post(url("campaign-item-create", pk=campaign.pk),
                           {"q": "脐橙", "product": world.product_b.pk, "price": "49.5", "quota": "30",
                            "per_customer_limit": ""})
    assert response.status_code == 302
    item = campaign.items.get(product=world.product_b)
    assert (item.price, item.quota, item.sold, item.per_customer_limit, item.position) == (
        Decimal("49.50"), 30, 0, None, 2)
    rows = client.get(url("campaign-detail", pk=campaign.pk)).context["item_rows"]
    assert [(row["item"].product.get_title(), row["regular_price"], row["item"].price) for row in rows] == [
        ("梅州金柚 5斤装", Decimal("39.90"), Decimal("29.90")), ("平远脐橙 10斤装", Decimal("59.00"), Decimal("49.50")),
    ]


@pytest.mark.parametrize(("data", "errors"), [
    ({"price": "0"}, {"price": ["活动价必须大于 0 元。"]}),
    ({"price": "-5"}, {"price": ["活动价必须大于 0 元。"]}),
    ({"price": "29.999"}, {"price": ["活动价最多两位小数（精确到分）。"]}),
    ({"price": "59.00"}, {"price": ["活动价必须低于原价 ¥59.00。"]}),
    ({"price": "60"}, {"price": ["活动价必须低于原价 ¥59.00。"]}),
    ({"price": ""}, {"price": ["请填写活动价。"]}),
    ({"price": "五十"}, {"price": ["输入一个数字。"]}),
    ({"quota": "0"}, {"quota": ["限量至少 1 件；不限量请留空。"]}),
    ({"per_customer_limit": "0"}, {"per_customer_limit": ["每人限购至少 1 件；不限购请留空。"]}),
    ({"quota": "5", "per_customer_limit": "6"}, {"per_customer_limit": ["每人限购不能超过限量（5 件）。"]}),
    ({"price": "0", "quota": "0"}, {"price": ["活动价必须大于 0 元。"], "quota": ["限量至少 1 件；不限量请留空。"]}),
    ({"product": ""}, {"product": ["请选择商品。"]}),
    ({"product": "999999"}, {"product": ["所选商品不存在，请重新搜索。"]}),
    ({"product": "A"}, {"product": ["梅州金柚 5斤装"]}),
])
def test_a_bad_campaign_product_is_refused_and_nothing_written(world, login, campaign, data, errors):
    client = login(world.users["operations"])
    before = snapshot()
    post = {"q": "", "product": world.product_b.pk, "price": "49.00", "quota": "30", "per_customer_limit": "2", **data}
    if post["product"] == "A":
        post["product"] = world.product_a.pk
        errors = {"product": ["「梅州金柚 5斤装」已在本活动中。"]}
    response = client.post(url("campaign-item-create", pk=campaign.pk), post)
    assert response.status_code == 200
    assert errors_of(response.context["form"]) == errors
    assert snapshot() == before


def test_a_parent_product_must_be_narrowed_to_a_variant(world, login, campaign):
    Product.objects.filter(pk=world.product_b.pk).update(structure=Product.PARENT)
    client = login(world.users["operations"])
    response = client.post(url("campaign-item-create", pk=campaign.pk),
                           {"product": world.product_b.pk, "price": "49.00"})
    assert errors_of(response.context["form"]) == {"product": ["所选商品不存在，请重新搜索。"]}


def test_editing_a_product_keeps_what_was_sold(world, login, campaign):
    item = campaign.items.get()
    record_sale(item, quantity=3, user=world.users["consumer"], sold_at=beijing(2027, 1, 20, 10, 5))
    client = login(world.users["operations"])
    address = url("campaign-item-update", pk=campaign.pk, item_pk=item.pk)
    assert client.get(address).context["form"].initial == {"price": Decimal("29.90"), "quota": 50,
                                                            "per_customer_limit": 2}

    before = snapshot()
    response = client.post(address, {"price": "25.00", "quota": "2", "per_customer_limit": "1"})
    assert errors_of(response.context["form"]) == {"quota": ["已售出 3 件，限量不能少于已售件数。"]}
    assert snapshot() == before

    assert client.post(address, {"price": "25.00", "quota": "3", "per_customer_limit": ""}).status_code == 302
    item.refresh_from_db()
    assert (item.price, item.quota, item.sold, item.per_customer_limit, item.quota_left) == (
        Decimal("25.00"), 3, 3, None, 0)


def test_removing_products(world, login, campaign):
    client = login(world.users["operations"])
    first = campaign.items.get()
    client.post(url("campaign-item-create", pk=campaign.pk), {"product": world.product_b.pk, "price": "49.00"})
    second = campaign.items.get(product=world.product_b)
    record_sale(first, quantity=1, user=world.users["consumer"], sold_at=beijing(2027, 1, 20, 11))

    response = client.post(url("campaign-item-delete", pk=campaign.pk, item_pk=first.pk), follow=True)
    assert messages_of(response) == ["「梅州金柚 5斤装」已有成交记录，不能移除。"]
    client.post(url("campaign-publish", pk=campaign.pk))
    assert client.get(url("campaign-item-delete", pk=campaign.pk, item_pk=second.pk)).status_code == 200
    response = client.post(url("campaign-item-delete", pk=campaign.pk, item_pk=second.pk), follow=True)
    assert messages_of(response) == ["已从活动中移除「平远脐橙 10斤装」。"]
    assert list(campaign.items.values_list("product__title", flat=True)) == ["梅州金柚 5斤装"]


def test_another_campaigns_product_is_not_reachable_through_this_campaign(world, login, campaign):
    other = schedule_campaign(name="双11", slug="shuang11-2027", theme="shuang11", starts_at=beijing(2027, 11, 11),
                              ends_at=beijing(2027, 11, 12), publish=False,
                              items=[(world.product_b, "50.00", None, None)])
    client = login(world.users["operations"])
    foreign = other.items.get()
    before = snapshot()
    assert client.get(url("campaign-item-update", pk=campaign.pk, item_pk=foreign.pk)).status_code == 404
    assert client.post(url("campaign-item-delete", pk=campaign.pk, item_pk=foreign.pk)).status_code == 404
    assert snapshot() == before


# -- publishing -----------------------------------------------------------------
def messages_of(response):
    """The messages of the last request (earlier ones, not yet shown, come first)."""
    return [str(message) for message in response.context["messages"]][-1:]


def test_publishing_needs_a_product(world, login):
    empty = schedule_campaign(starts_at=beijing(2027, 1, 20, 10), ends_at=beijing(2027, 1, 27, 22), publish=False)
    client = login(world.users["operations"])
    response = client.post(url("campaign-publish", pk=empty.pk), follow=True)
    assert messages_of(response) == ["请先添加至少一件活动商品，再发布活动。"]
    empty.refresh_from_db()
    assert empty.is_published is False


def test_a_product_cannot_be_in_two_overlapping_published_campaigns(world, login, campaign):
    client = login(world.users["operations"])
    response = client.post(url("campaign-publish", pk=campaign.pk), follow=True)
    assert messages_of(response) == ["已发布活动「2027 年货节」：到开始时间后商城按活动价销售。"]

    rival = schedule_campaign(name="春节特惠", slug="chunjie-2027", theme="default", starts_at=beijing(2027, 1, 27, 20),
                              ends_at=beijing(2027, 2, 3), publish=False,
                              items=[(world.product_a, "28.00", None, None)])
    before = snapshot()
    response = client.post(url("campaign-publish", pk=rival.pk), follow=True)
    assert messages_of(response) == [
        "「梅州金柚 5斤装」已在同时段的活动「2027 年货节」（2027-01-20 10:00 至 2027-01-27 22:00）中，同一商品不能同时参加两个活动。"]
    assert snapshot() == before

    # Moving the rival after the 年货节 ends lets it through; moving the 年货节 onto it again does not.
    client.post(url("campaign-update", pk=rival.pk), dict(CREATE, name="春节特惠", slug="chunjie-2027", theme="default",
                                                          starts_at="2027-01-27T22:00", ends_at="2027-02-03T00:00"))
    response = client.post(url("campaign-publish", pk=rival.pk), follow=True)
    assert messages_of(response) == ["已发布活动「春节特惠」：到开始时间后商城按活动价销售。"]
    response = client.post(url("campaign-update", pk=campaign.pk), dict(CREATE, ends_at="2027-01-28T10:00"))
    assert list(response.context["form"].non_field_errors()) == [
        "「梅州金柚 5斤装」已在同时段的活动「春节特惠」（2027-01-27 22:00 至 2027-02-03 00:00）中，同一商品不能同时参加两个活动。"]

    # Adding the product to a third published campaign in the same days is refused too.
    third = schedule_campaign(name="扶贫日", slug="fupinri", theme="fupinri", starts_at=beijing(2027, 1, 25),
                              ends_at=beijing(2027, 1, 26), items=[(world.product_b, "50.00", None, None)])
    response = client.post(url("campaign-item-create", pk=third.pk), {"product": world.product_a.pk, "price": "30.00"})
    assert errors_of(response.context["form"]) == {"product": [
        "「梅州金柚 5斤装」已在同时段的活动「2027 年货节」（2027-01-20 10:00 至 2027-01-27 22:00）中，同一商品不能同时参加两个活动。"]}


def test_unpublishing_before_the_end_only(world, login, campaign, clock):
    client = login(world.users["operations"])
    client.post(url("campaign-publish", pk=campaign.pk))
    response = client.post(url("campaign-unpublish", pk=campaign.pk), follow=True)
    assert messages_of(response) == ["已撤回活动「2027 年货节」，活动价和活动主题不再生效。"]
    client.post(url("campaign-publish", pk=campaign.pk))
    clock.set(beijing(2027, 1, 28))
    client = login(world.users["operations"])
    response = client.post(url("campaign-unpublish", pk=campaign.pk), follow=True)
    assert messages_of(response) == ["活动已结束，不能撤回发布。"]
    campaign.refresh_from_db()
    assert campaign.is_published is True


def test_the_list_shows_each_campaigns_state(world, login, campaign, clock):
    schedule_campaign(name="双11", slug="shuang11-2026", theme="shuang11", starts_at=beijing(2027, 1, 1),
                      ends_at=beijing(2027, 1, 15), items=[(world.product_b, "50.00", 10, None)],
                      now=beijing(2027, 1, 1))
    schedule_campaign(name="扶贫日", slug="fupinri-2027", theme="fupinri", starts_at=beijing(2027, 2, 1),
                      ends_at=beijing(2027, 2, 2), items=[(world.product_b, "51.00", None, None)])
    client = login(world.users["operations"])
    clock.set(beijing(2027, 1, 16))
    client = login(world.users["operations"])
    rows = client.get(url("campaign-list")).context["rows"]
    assert [[str(cell(value)) for _column, value in row["cells"]] for row in rows] == [
        ["扶贫日", "未开始", "扶贫日（10月17日）", "2027-02-01 00:00", "2027-02-02 00:00", "1", "0"],
        ["2027 年货节", "草稿", "年货节（红金）", "2027-01-20 10:00", "2027-01-27 22:00", "1", "0"],
        ["双11", "已结束", "双11", "2027-01-01 00:00", "2027-01-15 00:00", "1", "0"],
    ]


# -- live page, JSON and exports ---------------------------------------------------
@pytest.fixture
def sold_campaign(world, campaign, login):
    """The 年货节 published with a second product, four sales recorded (one
    cancelled), now 2027-01-20 12:00."""
    client = login(world.users["operations"])
    client.post(url("campaign-item-create", pk=campaign.pk), {"product": world.product_b.pk, "price": "49.00"})
    client.post(url("campaign-publish", pk=campaign.pk))
    pomelo, orange = campaign.items.get(product=world.product_a), campaign.items.get(product=world.product_b)
    consumer = world.users["consumer"]
    record_sale(pomelo, quantity=2, user=consumer, sold_at=beijing(2027, 1, 20, 10, 30), number="910001")
    record_sale(pomelo, quantity=1, guest_email="Guest@Example.com", sold_at=beijing(2027, 1, 20, 11), number="910002")
    record_sale(orange, quantity=1, user=consumer, sold_at=beijing(2027, 1, 20, 11, 15), number="910003")
    cancelled = record_sale(pomelo, quantity=1, user=world.users["officer"], sold_at=beijing(2027, 1, 20, 11, 30),
                            number="910004")
    CampaignOrderLine.objects.filter(line__order=cancelled).update(released_at=beijing(2027, 1, 20, 11, 40))
    CampaignProduct.objects.filter(pk=pomelo.pk).update(sold=3)
    world.clock_client = client
    return campaign


def ms(moment):
    return int(moment.timestamp() * 1000)


def test_the_live_json_has_the_figures_series_and_quota_left(world, sold_campaign, clock):
    clock.set(beijing(2027, 1, 20, 12))
    client = world.clock_client
    response = client.get(url("campaign-live-data", pk=sold_campaign.pk))
    pomelo, orange = (sold_campaign.items.get(product=world.product_a).pk,
                      sold_campaign.items.get(product=world.product_b).pk)
    start = ms(beijing(2027, 1, 20, 10))
    assert response["Cache-Control"] == "private, no-store"
    assert response.json() == {
        "state": "live", "state_label": "进行中", "starts_at": start, "ends_at": ms(beijing(2027, 1, 27, 22)),
        "generated_at": ms(beijing(2027, 1, 20, 12)),
        "totals": {"orders": 3, "units": 4, "sales": "138.70", "buyers": 2},
        "products": [
            {"item": pomelo, "title": "梅州金柚 5斤装", "price": "29.90", "quota": 50, "sold": 3, "quota_left": 47,
             "revenue": "89.70", "buyers": 2, "orders": 2},
            {"item": orange, "title": "平远脐橙 10斤装", "price": "49.00", "quota": None, "sold": 1, "quota_left": None,
             "revenue": "49.00", "buyers": 1, "orders": 1},
        ],
        "series": [
            {"item": pomelo, "label": "梅州金柚 5斤装", "points": [
                [start, 0], [ms(beijing(2027, 1, 20, 10, 30)), 2], [ms(beijing(2027, 1, 20, 11)), 3],
                [ms(beijing(2027, 1, 20, 12)), 3]]},
            {"item": orange, "label": "平远脐橙 10斤装", "points": [
                [start, 0], [ms(beijing(2027, 1, 20, 11, 15)), 1], [ms(beijing(2027, 1, 20, 12)), 1]]},
        ],
    }


def test_the_live_page_shows_the_figures_and_polls_the_json(world, sold_campaign, clock):
    clock.set(beijing(2027, 1, 20, 12))
    response = world.clock_client.get(url("campaign-live", pk=sold_campaign.pk))
    html = response.content.decode()
    for fragment in ('data-live="orders">3<', 'data-live="units">4<', 'data-live="sales">¥138.70<',
                     'data-live="buyers">2<', 'data-live="state">进行中<', 'id="chart-units"', 'id="chart-quota"',
                     "xiangpin/vendor/chart.umd.min.js", "xiangpin/js/campaign-live.js"):
        assert fragment in html, fragment
    live_data = response.context["live_data"]
    assert (live_data["url"], live_data["poll_seconds"]) == (url("campaign-live-data", pk=sold_campaign.pk), 5)
    assert live_data["totals"] == {"orders": 3, "units": 4, "sales": "138.70", "buyers": 2}


def test_the_results_as_xlsx(world, sold_campaign, clock):
    from openpyxl import load_workbook

    clock.set(beijing(2027, 1, 20, 12))
    response = world.clock_client.get(url("campaign-results-xlsx", pk=sold_campaign.pk))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"campaign_nianhuo-2027.xlsx\"; "
        "filename*=UTF-8''%E6%B4%BB%E5%8A%A8%E7%BB%93%E6%9E%9C_2027%20%E5%B9%B4%E8%B4%A7%E8%8A%82.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["活动商品", "订单明细", "说明"]
    products = [list(row) for row in book["活动商品"].iter_rows(values_only=True)]
    assert products == [
        ["商品", "商品条码", "活动价（元）", "限量（件）", "已售（件）", "剩余（件）", "销售额（元）", "购买人数"],
        ["梅州金柚 5斤装", "6901234500011", 29.9, 50, 3, 47, 89.7, 2],
        ["平远脐橙 10斤装", None, 49, None, 1, None, 49, 1],
        ["合计", None, None, 50, 4, None, 138.7, 2],
    ]
    assert book["活动商品"]["C2"].number_format == "#,##0.00"
    lines = [list(row) for row in book["订单明细"].iter_rows(values_only=True)]
    assert lines == [
        ["订单号", "成交时间", "商品", "商品条码", "数量（件）", "成交单价（元）", "金额（元）", "顾客", "状态"],
        ["910001", "2027-01-20 10:30:00", "梅州金柚 5斤装", "6901234500011", 2, 29.9, 59.8, "c***@example.com", "有效"],
        ["910002", "2027-01-20 11:00:00", "梅州金柚 5斤装", "6901234500011", 1, 29.9, 29.9, "G***@Example.com", "有效"],
        ["910003", "2027-01-20 11:15:00", "平远脐橙 10斤装", None, 1, 49, 49, "c***@example.com", "有效"],
        ["910004", "2027-01-20 11:30:00", "梅州金柚 5斤装", "6901234500011", 1, 29.9, 29.9, "o***@example.com",
         "已取消（限量已退回）"],
    ]
    notes = dict(book["说明"].iter_rows(values_only=True))
    assert {key: notes[key] for key in ("活动", "主题", "开始时间", "结束时间", "状态", "订单数", "售出件数", "销售额（元）",
                                        "购买人数", "导出时间")} == {
        "活动": "2027 年货节", "主题": "年货节（红金）", "开始时间": "2027-01-20 10:00:00", "结束时间": "2027-01-27 22:00:00",
        "状态": "进行中", "订单数": 3, "售出件数": 4, "销售额（元）": 138.7, "购买人数": 2, "导出时间": "2027-01-20 12:00:00",
    }


def test_the_results_as_csv(world, sold_campaign, clock):
    clock.set(beijing(2027, 1, 20, 12))
    response = world.clock_client.get(url("campaign-results-csv", pk=sold_campaign.pk))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["商品", "商品条码", "活动价（元）", "限量（件）", "已售（件）", "剩余（件）", "销售额（元）", "购买人数"],
        ["梅州金柚 5斤装", "6901234500011", "29.90", "50", "3", "47", "89.70", "2"],
        ["平远脐橙 10斤装", "", "49.00", "", "1", "", "49.00", "1"],
        ["合计", "", "", "50", "4", "", "138.70", "2"],
    ]


def test_a_product_without_a_price_cannot_join(world, login, campaign):
    bare = make_product(title="无价商品", price=None, stock=5)
    client = login(world.users["operations"])
    response = client.post(url("campaign-item-create", pk=campaign.pk), {"product": bare.pk, "price": "1.00"})
    assert errors_of(response.context["form"]) == {"product": ["「无价商品」没有价格，不能参加活动。"]}
