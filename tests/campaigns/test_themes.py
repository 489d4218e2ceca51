"""Campaign themes (the folders of themes/) and what the storefront does with
them: while a published campaign with a theme is live every storefront page
loads the theme's CSS and shows the campaign banner with a countdown and a link
to the landing page. The page cache never serves a page across a campaign's
start or end (the time epoch in the keys), nor after a sale used the quota up."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.campaigns import calendar, scheduling
from shop.campaigns.themes import available_themes, theme_choices
from tests.factories import UserFactory, make_product

from .ui_support import Clock, beijing, make_home_page, record_sale, schedule_campaign

pytestmark = pytest.mark.django_db

BEFORE = beijing(2027, 1, 20, 9, 59, 59)
START, END = beijing(2027, 1, 20, 10, 0), beijing(2027, 1, 27, 22, 0)
THEME_LINK = '<link rel="stylesheet" href="/static/themes/nianhuo/css/theme.css" data-campaign-theme="nianhuo">'


# -- the themes folder ------------------------------------------------------------
def test_the_themes_are_the_folders_with_a_manifest():
    themes = available_themes()
    assert [(t.slug, t.name, t.name_en, t.css, t.banner_template) for t in themes.values()] == [
        ("default", "默认（乡品绿）", "Default (Xiangpin green)", "", "campaigns/banner.html"),
        ("fupinri", "扶贫日（10月17日）", "Poverty Alleviation Day (17 October)", "themes/fupinri/css/theme.css",
         "campaigns/themes/fupinri/banner.html"),
        ("nianhuo", "年货节（红金）", "New Year Goods Festival (red and gold)", "themes/nianhuo/css/theme.css",
         "campaigns/themes/nianhuo/banner.html"),
        ("shuang11", "双11", "Double 11", "themes/shuang11/css/theme.css", "campaigns/themes/shuang11/banner.html"),
    ]
    assert theme_choices()[2] == ("nianhuo", "年货节（红金）")
    assert settings.CAMPAIGN_THEMES == ["fupinri", "nianhuo", "shuang11"]


@pytest.mark.parametrize("slug", ["fupinri", "nianhuo", "shuang11"])
def test_each_theme_serves_its_css_and_keeps_its_templates_to_its_own_folder(slug):
    found = finders.find(f"themes/{slug}/css/theme.css")
    assert found == str(Path(settings.BASE_DIR) / "themes" / slug / "static" / "css" / "theme.css")
    css = Path(found).read_text(encoding="utf-8")
    assert re.search(r":root \{[^}]*--xp-green: #[0-9a-f]{6};[^}]*--xp-orange: #[0-9a-f]{6};", css)
    templates = Path(settings.BASE_DIR) / "themes" / slug / "templates"
    files = sorted(str(path.relative_to(templates)) for path in templates.rglob("*") if path.is_file())
    assert files == [f"campaigns/themes/{slug}/banner.html"]


def test_the_red_and_gold_theme():
    css = Path(finders.find("themes/nianhuo/css/theme.css")).read_text(encoding="utf-8")
    assert "--xp-green: #b8141b;" in css and "--xp-orange: #d9a21b;" in css


# -- the storefront under a theme ---------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, BEFORE)


@pytest.fixture
def shop(db, clock):
    make_home_page()
    pomelo = make_product(title="梅州金柚 5斤装", price="39.90", stock=100)
    campaign = schedule_campaign(starts_at=START, ends_at=END, items=[(pomelo, "29.90", 3, None)])
    return {"campaign": campaign, "pomelo": pomelo, "item": campaign.items.get()}


def banner(html):
    match = re.search(r'<aside class="xp-campaign-banner".*?</aside>', html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip() if match else None


def get(url, client=None):
    response = (client or Client()).get(url)
    assert response.status_code == 200, url
    return response, response.content.decode()


@pytest.mark.parametrize("path", ["/zh-hans/", "catalogue", "product", "/zh-hans/nianhuo-2027/", "basket"])
def test_every_storefront_page_is_themed_while_the_campaign_is_live(shop, clock, path):
    url = {"catalogue": reverse("catalogue:index"), "product": shop["pomelo"].get_absolute_url(),
           "basket": reverse("basket:summary")}.get(path, path)
    _response, html = get(url)
    assert THEME_LINK not in html and banner(html) is None

    clock.set(START)
    _response, html = get(url)
    assert html.index(THEME_LINK) > html.index("xiangpin/css/xiangpin.css")
    assert banner(html) == "福 2027 年货节 红红火火过大年 距结束 7天 12:00:00 去抢购"
    assert '<a class="xp-campaign-banner__link" href="/zh-hans/nianhuo-2027/">' in html

    clock.set(END)
    _response, html = get(url)
    assert THEME_LINK not in html and banner(html) is None


def test_the_default_theme_adds_no_css_but_still_a_banner(shop, clock):
    scheduling.campaign_unpublish(campaign=shop["campaign"])
    campaign = shop["campaign"]
    scheduling.campaign_update(campaign=campaign, data=scheduling.CampaignInput(
        name="春节特惠", slug=campaign.slug, theme="default", summary="", starts_at=START, ends_at=END))
    scheduling.campaign_publish(campaign=campaign)
    clock.set(START)
    _response, html = get("/zh-hans/")
    assert "data-campaign-theme" not in html
    assert banner(html) == "惠 春节特惠 距结束 7天 12:00:00 去抢购"


def test_the_dashboard_is_never_themed(shop, clock):
    admin = UserFactory(is_staff=True, is_superuser=True)
    clock.set(START)
    client = Client()
    client.force_login(admin)
    _response, html = get(reverse("backoffice:campaign-list"), client)
    assert "themes/nianhuo" not in html and banner(html) is None


# -- the page cache at the boundaries ---------------------------------------------
def test_a_cached_page_is_not_served_across_the_start_and_the_end(shop, clock):
    url = shop["pomelo"].get_absolute_url()
    first, html = get(url)
    assert first["X-Page-Cache"] == "miss"
    second, _html = get(url)
    assert second["X-Page-Cache"] == "hit"
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥39.90"

    clock.set(START)  # one second later: no write happened, the campaign has started
    third, html = get(url)
    assert third["X-Page-Cache"] == "miss"
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥29.90"
    assert THEME_LINK in html
    with CaptureQueriesContext(connection) as queries:
        fourth, _html = get(url)
    assert (fourth["X-Page-Cache"], len(queries)) == ("hit", 0)

    clock.set(END)
    fifth, html = get(url)
    assert fifth["X-Page-Cache"] == "miss"
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥39.90"
    assert THEME_LINK not in html


def test_signed_in_fragments_are_not_kept_across_the_start(shop, clock):
    customer = UserFactory(email="chen@example.com")
    client = Client()
    client.force_login(customer)
    url = shop["pomelo"].get_absolute_url()
    _response, html = get(url, client)
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥39.90"
    clock.set(START)
    _response, html = get(url, client)
    assert re.search(r'xp-price--large">([^<]+)<', html).group(1) == "¥29.90"
    assert re.search(r'data-campaign-offer="([^"]+)"', html).group(1) == "live"


def test_a_sale_that_uses_the_quota_up_shows_sold_out_at_once(shop, clock):
    clock.set(START)
    url = "/zh-hans/nianhuo-2027/"
    get(url)
    cached, html = get(url)
    assert cached["X-Page-Cache"] == "hit"
    assert "仅剩 3 件" in html

    record_sale(shop["item"], quantity=3, user=UserFactory(email="buyer@example.com"))

    response, html = get(url)
    assert response["X-Page-Cache"] == "miss"
    assert 'data-offer-state="sold_out"' in html and "data-offer-label>已抢光<" in html
    _response, html = get(shop["pomelo"].get_absolute_url())
    assert re.search(r'data-availability="([^"]+)"', html).group(1) == "sold_out"


def test_a_campaign_change_is_served_at_once(shop, clock):
    clock.set(START)
    url = reverse("catalogue:index")
    get(url)
    assert get(url)[0]["X-Page-Cache"] == "hit"
    scheduling.item_update(item=shop["item"], data=scheduling.ItemInput(price=shop["item"].price - 1, quota=3,
                                                                        per_customer_limit=None))
    response, html = get(url)
    assert response["X-Page-Cache"] == "miss"
    assert '<span class="xp-price">¥28.90</span>' in html


# -- the calendar --------------------------------------------------------------------
def test_the_epoch_is_the_last_boundary_passed():
    info = calendar.CampaignInfo(1, "年货节", "nianhuo", "nianhuo", "", START, END, None)
    later = calendar.CampaignInfo(2, "扶贫日", "fupinri", "fupinri", "", beijing(2027, 1, 25), beijing(2027, 2, 1), None)
    boundaries = tuple(sorted(moment.timestamp() for c in (info, later) for moment in (c.starts_at, c.ends_at)))
    cal = calendar.Calendar((info, later), boundaries, {})
    assert cal.epoch(BEFORE) == "0"
    assert cal.epoch(START) == f"{START.timestamp():.6f}" == cal.epoch(beijing(2027, 1, 24, 23, 59, 59))
    assert cal.epoch(beijing(2027, 1, 25)) == f"{beijing(2027, 1, 25).timestamp():.6f}"
    assert cal.epoch(END) == f"{END.timestamp():.6f}"
    assert [c.name for c in cal.live(beijing(2027, 1, 26))] == ["年货节", "扶贫日"]
    assert cal.featured(beijing(2027, 1, 26)).name == "扶贫日"  # started last
    assert cal.featured(END).name == "扶贫日"
    assert cal.featured(beijing(2027, 2, 1)) is None


def test_the_calendar_is_rebuilt_only_when_campaigns_change(shop, clock):
    calendar.current_calendar()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            calendar.current_calendar()
    assert len(queries) == 0
    assert calendar.current_calendar().upcoming_item(shop["pomelo"].pk, BEFORE).price == shop["item"].price

    scheduling.item_update(item=shop["item"], data=scheduling.ItemInput(price=shop["item"].price - 2, quota=3,
                                                                        per_customer_limit=None))
    assert str(calendar.current_calendar().upcoming_item(shop["pomelo"].pk, BEFORE).price) == "27.90"
    assert calendar.current_calendar().campaigns[0].landing_path == "nianhuo-2027/"
