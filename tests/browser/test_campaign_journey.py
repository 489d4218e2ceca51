"""A festival campaign end to end in headless Chromium (Debian's chromium):

1. the campaign manager (运营) creates the 年货节 in the dashboard with the red
   and gold theme, adds 梅州金柚 at ¥29.90 with a quota of 2 (2 per customer)
   and publishes it;
2. a signed-in consumer opens its landing page under the festival theme (the
   theme's CSS is loaded, the banner counts down to the end), buys both units
   there (pay at the pickup point) and then sees 已抢光 — so does an anonymous
   visitor, from a page cache that did not keep the old page — while the
   manager's live page picks the sale up by polling;
3. a 扶贫日 campaign that has not started yet: its landing page counts down to
   the start, then reloads itself and sells, under the 扶贫日 theme.

Screenshots go to tests/artifacts/campaign-*.png."""
import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from oscar.core.loading import get_model
from playwright.sync_api import expect

from cms.models import HomePage
from shop.campaigns import scheduling
from shop.campaigns.models import Campaign, CampaignOrderLine
from shop.core.roles import CAMPAIGN_MANAGER, ensure_roles
from tests.factories import ServicePointFactory, UserFactory, make_product

from .journey import pickup_checkout
from .test_consumer_journey import ARTIFACTS, run_in_chromium

Order = get_model("order", "Order")
OFFICE = {"width": 1280, "height": 900}
NIANHUO = "/zh-hans/nianhuo-2027/"
FUPINRI = "/zh-hans/fupinri-2027/"
COUNTDOWN = re.compile(r"^(\d+天 )?\d\d:\d\d:\d\d$")


def _cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


def _shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"campaign-{name}.png"), full_page=True)


def _world():
    from wagtail.models import Page, Site

    groups = ensure_roles()
    home = Page.get_first_root_node().add_child(instance=HomePage(title="乡品通", slug="xiangpin-home"))
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=20, upc="6901234500011")
    tea = make_product(title="英红九号 250克", price=Decimal("88.00"), stock=30)
    ServicePointFactory(name="林和社区自提点")
    manager = UserFactory(email="campaign@example.com", is_staff=True)
    manager.groups.add(groups[CAMPAIGN_MANAGER])
    consumer = UserFactory(email="chen@example.com", first_name="晓", last_name="陈")
    return pomelo, tea, manager, consumer


def _local_input(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def manager_creates_the_festival(page, base_url, cookie, starts, ends):
    page.set_viewport_size(OFFICE)
    page.context.add_cookies([cookie])
    page.goto(f"{base_url}/zh-hans/shop/dashboard/")
    menu = page.locator("a[href$='/xiangpin/campaigns/']").first  # 营销活动 → 节庆活动
    expect(menu).to_have_text(re.compile("节庆活动"))
    page.goto(base_url + menu.get_attribute("href"))
    page.get_by_role("link", name="新建节庆活动").click()
    page.fill("#id_name", "2027 年货节")
    page.fill("#id_slug", "nianhuo-2027")
    page.select_option("#id_theme", "nianhuo")
    page.fill("#id_summary", "红红火火过大年，梅州金柚限量抢")
    page.fill("#id_starts_at", starts)
    page.fill("#id_ends_at", ends)
    page.locator("#backoffice_form button[type=submit]").click()
    expect(page.locator("[data-campaign-state]")).to_have_text("草稿")

    page.locator("#campaign_item_add").click()
    page.fill("#id_q", "金柚")
    page.locator("#product_search_form button[type=submit]").click()
    expect(page.locator("#product_picker input[type=radio]")).to_have_count(1)
    page.locator("#product_picker input[type=radio]").check()
    page.fill("#id_price", "29.90")
    page.fill("#id_quota", "2")
    page.fill("#id_per_customer_limit", "2")
    page.locator("#campaign_item_form button[type=submit]").click()
    expect(page.locator("#campaign_items tbody tr")).to_have_count(1)

    page.locator("#campaign_publish_form button").click()
    expect(page.locator("[data-campaign-state]")).to_have_text("进行中")
    expect(page.get_by_text("已发布活动「2027 年货节」：到开始时间后商城按活动价销售。")).to_be_visible()
    _shot(page, "dashboard-published")
    return page.locator("a[href$='/live/']").first.get_attribute("href")


def consumer_buys_under_the_theme(page, base_url, cookie, manager_cookie, live_url):
    # The campaign manager watches the live page while the consumer buys.
    office = page.context.browser.new_context(viewport=OFFICE, locale="zh-CN")
    office.add_cookies([manager_cookie])
    watch = office.new_page()
    watch.goto(base_url + live_url)
    expect(watch.locator("#chart-units")).to_be_visible()
    expect(watch.locator("[data-live=units]")).to_have_text("0")

    page.context.add_cookies([cookie])
    page.goto(base_url + NIANHUO)
    theme = page.locator("link[data-campaign-theme='nianhuo']")
    expect(theme).to_have_attribute("href", "/static/themes/nianhuo/css/theme.css")
    # The theme's CSS is applied: the header is the festival red.
    expect(page.locator(".xp-header__bar")).to_be_visible()
    header_colour = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--xp-green').trim()")
    banner = page.locator(".xp-campaign-banner")
    expect(banner).to_contain_text("2027 年货节")
    countdown = banner.locator("time[data-countdown]")
    first = countdown.inner_text()
    page.wait_for_timeout(1600)
    second = countdown.inner_text()
    card = page.locator("[data-campaign-item]").first
    expect(card).to_have_attribute("data-offer-state", "live")
    expect(card).to_contain_text("仅剩 2 件")
    expect(card).to_contain_text("每人限购 2 件")
    _shot(page, "landing-live")

    card.locator("input[name=quantity]").fill("2")
    card.locator("button[type=submit]").click()
    page.goto(f"{base_url}/zh-hans/shop/checkout/")
    pickup_checkout(page)
    _shot(page, "thank-you")
    number = re.search(r"\b(\d{6,})\b", page.locator("body").inner_text())

    page.goto(base_url + NIANHUO)
    card = page.locator("[data-campaign-item]").first
    expect(card).to_have_attribute("data-offer-state", "sold_out")
    expect(card.locator("[data-offer-label]")).to_have_text("已抢光")
    _shot(page, "landing-sold-out")

    # The live page polls live.json: the sale shows without a reload.
    expect(watch.locator("[data-live=units]")).to_have_text("2", timeout=15000)
    expect(watch.locator("[data-live=sales]")).to_have_text("¥59.80")
    watch.wait_for_timeout(300)
    watch.screenshot(path=str(ARTIFACTS / "campaign-dashboard-live.png"), full_page=True)
    figures = [watch.locator(f"[data-live={name}]").inner_text() for name in ("orders", "units", "sales", "buyers")]
    office.close()
    return {"colour": header_colour, "countdown": (first, second), "number": number.group(1) if number else "",
            "figures": figures}


def visitor_sees_sold_out_then_waits_for_the_start(page, base_url):
    page.goto(base_url + NIANHUO)
    expect(page.locator("[data-campaign-item]").first).to_have_attribute("data-offer-state", "sold_out")

    page.goto(base_url + FUPINRI)
    hero = page.locator(".xp-campaign-hero")
    expect(hero).to_have_attribute("data-campaign-state", "not_started")
    countdown = hero.locator("time[data-countdown]").inner_text()
    card_state = page.locator("[data-campaign-item]").first.get_attribute("data-offer-state")
    _shot(page, "not-started-countdown")
    # countdown.js reloads the page at zero; the page cache serves the live page then.
    expect(page.locator(".xp-campaign-hero")).to_have_attribute("data-campaign-state", "live", timeout=30000)
    expect(page.locator("link[data-campaign-theme='fupinri']")).to_have_count(1)
    expect(page.locator("[data-campaign-item]").first).to_have_attribute("data-offer-state", "live")
    _shot(page, "started")
    return countdown, card_state


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_festival_campaign_from_the_dashboard_to_sold_out(live_server):
    pomelo, tea, manager, consumer = _world()
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    now = timezone.now()
    starts = now.replace(second=0, microsecond=0)
    ends = starts + datetime.timedelta(days=2)

    manager_cookie = _cookie(manager, base)
    live_url = run_in_chromium(manager_creates_the_festival, base, manager_cookie, _local_input(starts),
                               _local_input(ends))

    campaign = Campaign.objects.get(slug="nianhuo-2027")
    assert (campaign.name, campaign.theme, campaign.is_published, campaign.starts_at, campaign.ends_at) == (
        "2027 年货节", "nianhuo", True, starts, ends)
    item = campaign.items.get()
    assert (item.product, item.price, item.quota, item.per_customer_limit, item.sold) == (
        pomelo, Decimal("29.90"), 2, 2, 0)

    seen = run_in_chromium(consumer_buys_under_the_theme, base, _cookie(consumer, base), manager_cookie, live_url)

    assert seen["colour"] == "#b8141b"  # themes/nianhuo: --xp-green
    assert seen["figures"] == ["1", "2", "¥59.80", "1"]  # orders, units, sales, buyers
    assert all(COUNTDOWN.match(text) for text in seen["countdown"]) and seen["countdown"][0] != seen["countdown"][1]
    order = Order.objects.get(number=seen["number"])
    line = order.lines.get()
    assert (order.user, line.product, line.quantity, line.unit_price_incl_tax) == (
        consumer, pomelo, 2, Decimal("29.90"))
    item.refresh_from_db()
    assert (item.sold, item.quota_left) == (2, 0)
    assert CampaignOrderLine.objects.get(line=line).quantity == 2

    starts_soon = timezone.now() + datetime.timedelta(seconds=12)
    fupinri = scheduling.campaign_create(data=scheduling.CampaignInput(
        name="扶贫日 · 英德红茶", slug="fupinri-2027", theme="fupinri", summary="10月17日 消费扶贫",
        starts_at=starts_soon, ends_at=starts_soon + datetime.timedelta(days=1)))
    scheduling.item_add(campaign=fupinri, product=tea, data=scheduling.ItemInput(Decimal("68.00"), 50, 5))
    scheduling.campaign_publish(campaign=fupinri)

    countdown, card_state = run_in_chromium(visitor_sees_sold_out_then_waits_for_the_start, base)

    assert re.match(r"^00:00:(0\d|1[0-2])$", countdown), countdown
    assert card_state == "not_started"
    for name in ("dashboard-published", "dashboard-live", "landing-live", "thank-you", "landing-sold-out",
                 "not-started-countdown", "started"):
        assert (ARTIFACTS / f"campaign-{name}.png").stat().st_size > 10_000, name
