"""A campaign's Wagtail landing page and the campaign states on product pages
and cards: campaign price over the struck-through regular price, 限量 / 仅剩 /
每人限购, the countdown (rendered by the server, counted down by countdown.js)
and the states 未开始, 进行中, 已抢光 and 已结束."""
import re

import pytest
from django.urls import reverse

from cms.models import CampaignPage
from shop.campaigns import scheduling
from shop.campaigns.templatetags.campaign_tags import countdown_text
from tests.factories import make_product
from tests.storefront.test_pages import text_of

from .ui_support import Clock, beijing, make_home_page, record_sale, schedule_campaign

pytestmark = pytest.mark.django_db

BEFORE = beijing(2027, 1, 19, 9, 0)
START, END = beijing(2027, 1, 20, 10, 0), beijing(2027, 1, 27, 22, 0)
LIVE = beijing(2027, 1, 20, 12, 0)
LANDING = "/zh-hans/nianhuo-2027/"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, BEFORE)


@pytest.fixture
def shop(db, clock):
    """Three products in the 年货节 (20 Jan 10:00 – 27 Jan 22:00, Beijing time);
    the pineapple's 2 units were sold (in the morning's pre-orders) so it is 已抢光."""
    make_home_page()
    pomelo = make_product(title="梅州金柚 5斤装", price="39.90", stock=100)
    tea = make_product(title="英红九号 250克", price="88.00", stock=30)
    pineapple = make_product(title="徐闻菠萝 10斤", price="45.00", stock=50)
    campaign = schedule_campaign(starts_at=START, ends_at=END, items=[
        (pomelo, "29.90", 5, 2), (tea, "68.00", None, None), (pineapple, "35.00", 2, None)])
    record_sale(campaign.items.get(product=pineapple), quantity=2, guest_email="a@example.com", sold_at=BEFORE)
    return {"campaign": campaign, "pomelo": pomelo, "tea": tea, "pineapple": pineapple}


def cards(response):
    """[(title, state, campaign price, regular price, facts, has a basket form)] of the landing page."""
    html = response.content.decode()
    found = []
    for card in re.findall(r'<article class="product_pod xp-campaign-card".*?</article>', html, flags=re.S):
        text = text_of(type("R", (), {"content": card.encode()})())
        found.append((
            re.search(r'<h3 class="xp-card__title"><a href="[^"]+">([^<]+)</a>', card).group(1),
            re.search(r'data-offer-state="([^"]+)"', card).group(1),
            re.search(r'data-campaign-price>([^<]+)<', card).group(1),
            re.search(r'data-regular-price>([^<]+)<', card).group(1),
            re.findall(r"(限量 \d+ 件|仅剩 \d+ 件|每人限购 \d+ 件)", text),
            "basket/add" in card,
        ))
    return found


def labels(response):
    return re.findall(r"data-offer-label>([^<]+)<", response.content.decode())


def test_the_landing_page_is_created_with_the_campaign(shop):
    page = CampaignPage.objects.get()
    assert (page.title, page.url, page.campaign, page.live) == ("2027 年货节", LANDING, shop["campaign"], True)


def test_before_the_start_it_counts_down_to_the_start_and_sells_nothing(client, shop):
    response = client.get(LANDING)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-campaign-state="not_started"' in html
    assert "活动时间：2027-01-20 10:00 至 2027-01-27 22:00（北京时间）" in text_of(response)
    assert (f'距开始 <time class="xp-countdown" datetime="2027-01-20T02:00:00+00:00" data-countdown data-day-label="天" '
            f'data-countdown-reload>1天 01:00:00</time>') in html
    assert cards(response) == [
        ("梅州金柚 5斤装", "not_started", "¥29.90", "¥39.90", ["限量 5 件", "每人限购 2 件"], False),
        ("英红九号 250克", "not_started", "¥68.00", "¥88.00", [], False),
        ("徐闻菠萝 10斤", "not_started", "¥35.00", "¥45.00", ["限量 2 件"], False),
    ]
    assert labels(response) == ["未开始", "未开始", "未开始"]
    assert "xiangpin/js/countdown.js" in html


def test_while_live_it_sells_at_the_campaign_price_within_quota_and_limit(client, shop, clock):
    clock.set(LIVE)
    response = client.get(LANDING)
    html = response.content.decode()
    assert 'data-campaign-state="live"' in html
    assert 'data-countdown-reload>7天 10:00:00</time>' in html
    assert cards(response) == [
        ("梅州金柚 5斤装", "live", "¥29.90", "¥39.90", ["限量 5 件", "仅剩 5 件", "每人限购 2 件"], True),
        ("英红九号 250克", "live", "¥68.00", "¥88.00", [], True),
        ("徐闻菠萝 10斤", "sold_out", "¥35.00", "¥45.00", ["限量 2 件"], False),
    ]
    assert labels(response) == ["已抢光"]
    quantities = re.findall(r'name="quantity" value="1" min="1" max="(\d+)"', html)
    assert quantities == ["2", "30"]  # the limit; the tea's stock


def test_after_the_end_every_product_shows_ended(client, shop, clock):
    clock.set(beijing(2027, 1, 28))
    response = client.get(LANDING)
    assert 'data-campaign-state="ended"' in response.content.decode()
    assert "活动已结束，感谢参与。" in text_of(response)
    assert [card[1] for card in cards(response)] == ["ended", "ended", "ended"]
    assert labels(response) == ["已结束", "已结束", "已结束"]


def test_an_unpublished_campaigns_page_is_not_found(client, shop, clock):
    scheduling.campaign_unpublish(campaign=shop["campaign"])
    assert client.get(LANDING).status_code == 404
    clock.set(LIVE)
    assert client.get(LANDING).status_code == 404


def test_adding_from_the_landing_page_puts_the_campaign_price_in_the_basket(client, shop, clock):
    clock.set(LIVE)
    response = client.post(reverse("basket:add", kwargs={"pk": shop["pomelo"].pk}), {"quantity": 2})
    assert response.status_code == 302
    basket = client.get(reverse("basket:summary")).context["basket"]
    assert [(line.product.get_title(), line.quantity, line.price_incl_tax) for line in basket.all_lines()] == [
        ("梅州金柚 5斤装", 2, shop["campaign"].items.get(product=shop["pomelo"]).price)]


# -- product pages and cards ----------------------------------------------------
def product_page(client, product):
    response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return response, response.content.decode()


def offer_state(html):
    match = re.search(r'data-campaign-offer="([^"]+)"', html)
    return match.group(1) if match else None


def test_a_product_page_before_the_start_sells_at_the_regular_price_and_announces_the_campaign(client, shop):
    response, html = product_page(client, shop["pomelo"])
    text = text_of(response)
    assert offer_state(html) == "not_started"
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥39.90"
    assert "data-regular-price" not in html
    assert "未开始 2027 年货节 活动价 ¥29.90 ¥39.90 距开始 1天 01:00:00" in text
    assert "活动开始后才能以活动价购买；现在购买按原价。" in text
    assert "限量 5 件 每人限购 2 件" in text
    assert 'id="add_to_basket_form"' in html


def test_a_product_page_while_live(client, shop, clock):
    clock.set(LIVE)
    response, html = product_page(client, shop["pomelo"])
    text = text_of(response)
    assert offer_state(html) == "live"
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥29.90"
    assert re.search(r"data-regular-price>([^<]+)<", html).group(1) == "¥39.90"
    assert "进行中 2027 年货节 距结束 7天 10:00:00 限量 5 件 仅剩 5 件 每人限购 2 件" in text
    assert 'id="add_to_basket_form"' in html


def test_a_sold_out_product_page(client, shop, clock):
    clock.set(LIVE)
    response, html = product_page(client, shop["pineapple"])
    assert offer_state(html) == "sold_out"
    assert re.search(r'data-availability="([^"]+)"', html).group(1) == "sold_out"
    assert "已抢光 2027 年货节 活动限量已抢光，感谢关注。 限量 2 件" in text_of(response)
    assert 'id="add_to_basket_form"' not in html


def test_after_the_end_a_product_page_has_no_campaign(client, shop, clock):
    clock.set(END)
    _response, html = product_page(client, shop["pomelo"])
    assert offer_state(html) is None
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥39.90"


def test_catalogue_cards_strike_the_regular_price_and_say_sold_out(client, shop, clock):
    clock.set(LIVE)
    html = client.get(reverse("catalogue:index")).content.decode()
    prices = re.findall(r'<h3 class="xp-card__title"><a href="[^"]+">([^<]+)</a></h3>'
                        r'.*?<span class="xp-price">([^<]*)</span>'
                        r'\s*(?:<del class="xp-price-was" data-regular-price>([^<]+)</del>)?', html, flags=re.S)
    assert sorted(prices) == [("徐闻菠萝 10斤", "¥35.00", "¥45.00"), ("梅州金柚 5斤装", "¥29.90", "¥39.90"),
                              ("英红九号 250克", "¥68.00", "¥88.00")]
    assert re.findall(r'data-availability="sold_out">([^<]+)<', html) == ["已抢光"]


def test_the_countdown_text():
    assert countdown_text(beijing(2027, 1, 22, 13, 4, 5), now=beijing(2027, 1, 20, 10)) == "2天 03:04:05"
    assert countdown_text(beijing(2027, 1, 20, 10, 0, 59), now=beijing(2027, 1, 20, 10)) == "00:00:59"
    assert countdown_text(beijing(2027, 1, 20, 9), now=beijing(2027, 1, 20, 10)) == "00:00:00"
