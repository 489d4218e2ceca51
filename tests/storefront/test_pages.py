"""What the storefront pages show: home, brands, product page."""
import json
import re

import pytest
from django.urls import reverse

from tests.storefront.conftest import add_products

pytestmark = pytest.mark.django_db


def text_of(response):
    """The page's visible text, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def data_values(response, attribute):
    return re.findall(rf'{attribute}="([^"]*)"', response.content.decode())


def card_titles(response):
    return re.findall(r'<h3 class="xp-card__title"><a href="[^"]+">([^<]+)</a></h3>', response.content.decode())


# --- layout -------------------------------------------------------------------


def test_layout_declares_utf8_viewport_language_and_links(client, catalogue):
    response = client.get(reverse("catalogue:index"))
    html = response.content.decode()

    assert response.status_code == 200
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-hans"' in html
    assert '<meta charset="utf-8">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">' in html
    assert 'href="/static/xiangpin/css/xiangpin.css"' in html
    # Storefront pages run without Bootstrap's 280 kB stylesheet.
    assert "oscar/css/styles.css" not in html
    assert '<a href="/zh-hans/shop/catalogue/" lang="zh-hans"' in html
    assert '<a href="/en/shop/catalogue/" lang="en"' in html
    assert 'action="/zh-hans/shop/search/"' in html
    assert 'href="/zh-hans/shop/accounts/login/"' in html
    assert 'href="/zh-hans/shop/basket/"' in html


def test_english_page_uses_english_names(client, catalogue):
    response = client.get("/en/shop/catalogue/?brand=meizhou-pomelo")

    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    text = text_of(response)
    assert "<h1>All products</h1>" in response.content.decode()
    assert "Meizhou Pomelo 2" in text  # the brand facet
    assert "Meizhou · Dabu" in text  # a card's city · county
    assert "<strong>2</strong> products" in response.content.decode()
    assert ">Add to basket</button>" in response.content.decode()
    assert card_titles(response) == ["大埔蜜柚礼盒", "梅县金柚 5斤装"]


# --- home -----------------------------------------------------------------------


@pytest.fixture
def home_with_blocks(home_page):
    home_page.body = json.dumps([
        {"type": "paragraph", "value": "<p>消费扶贫，从一颗金柚开始。</p>"},
        {"type": "featured_brands", "value": {"heading": "精选区域品牌", "limit": 2}},
        {"type": "featured_products", "value": {"heading": "梅州金柚上新", "brand_slug": "meizhou-pomelo", "limit": 8}},
        {"type": "featured_products", "value": {"heading": "当季新品", "brand_slug": "", "limit": 3}},
    ])
    home_page.save_revision().publish()
    return home_page


def test_home_page_shows_hero_featured_brands_and_product_cards(client, catalogue, home_with_blocks):
    response = client.get("/zh-hans/")
    text = text_of(response)

    assert response.status_code == 200
    assert "广东扶贫好物" in text and "从省定贫困村直达你家" in text
    assert '<a href="/en/" lang="en" hreflang="en">EN</a>' in response.content.decode()
    assert "消费扶贫，从一颗金柚开始。" in text
    # Featured brands first, in display order, limited to 2; with tagline.
    assert data_values(response, "data-brand") == ["meizhou-pomelo", "yingde-black-tea"]
    assert "岭南佳果，客家金柚" in text
    # Two product blocks: the pomelo brand's products, then the 3 newest.
    assert card_titles(response) == ["大埔蜜柚礼盒", "梅县金柚 5斤装", "徐闻菠萝 10斤", "英红九号 250克", "大埔蜜柚礼盒"]
    assert "梅州金柚上新" in text and "当季新品" in text
    assert '<span class="xp-price">¥39.90</span>' in response.content.decode()
    assert 'formaction="/zh-hans/shop/basket/add/%d/" name="quantity" value="1"' % catalogue.pomelo.pk in (
        response.content.decode()
    )
    assert 'href="/zh-hans/brands/"' in response.content.decode()
    assert 'href="/zh-hans/shop/catalogue/"' in response.content.decode()


def test_home_page_without_blocks_shows_brands_and_newest_products(client, catalogue, home_page):
    response = client.get("/zh-hans/")

    assert data_values(response, "data-brand") == ["meizhou-pomelo", "yingde-black-tea", "xuwen-pineapple"]
    assert card_titles(response) == ["徐闻菠萝 10斤", "英红九号 250克", "大埔蜜柚礼盒", "梅县金柚 5斤装"]


# --- brands ---------------------------------------------------------------------


def test_brand_list_shows_every_brand_with_coverage_and_product_count(client, catalogue):
    response = client.get(reverse("brands:list"))
    text = text_of(response)

    assert data_values(response, "data-brand") == ["meizhou-pomelo", "yingde-black-tea", "xuwen-pineapple"]
    assert "梅州金柚 岭南佳果，客家金柚 多县一品 梅州市梅县区、梅州市大埔县 · 2 件商品" in text
    assert "英德红茶 英红九号，香高味浓 一县一品 清远市英德市 · 1 件商品" in text


def test_brand_page_shows_story_standards_counties_households_and_products(client, catalogue):
    response = client.get(reverse("brands:detail", kwargs={"slug": "meizhou-pomelo"}))
    text = text_of(response)

    assert response.status_code == 200
    assert "梅州金柚种植历史悠久，果大皮薄，清甜多汁。" in text
    assert "统一品种、统一施肥、统一采摘、统一分级包装。" in text
    assert data_values(response, "data-coverage") == ["multi"]
    assert data_values(response, "data-county") == ["441403", "441422"]
    # Distinct households in the brand's two cooperatives: 3 (one is in both).
    assert data_values(response, "data-households-reached") == ["3"]
    assert "带动 3 户贫困户" in text
    assert card_titles(response) == ["大埔蜜柚礼盒", "梅县金柚 5斤装"]
    # Counts only, never who.
    for household in catalogue.households:
        assert household.head_name not in text


def test_single_county_brand_is_one_county_one_product(client, catalogue):
    response = client.get(reverse("brands:detail", kwargs={"slug": "yingde-black-tea"}))

    assert data_values(response, "data-coverage") == ["single"]
    assert "一县一品" in text_of(response)
    assert data_values(response, "data-households-reached") == ["2"]


def test_brand_products_are_paginated(client, catalogue):
    add_products(catalogue, 60)  # 20 more per brand: the pomelo brand has 22
    url = reverse("brands:detail", kwargs={"slug": "meizhou-pomelo"})

    first = client.get(url)
    second = client.get(url + "?page=2")

    assert len(card_titles(first)) == 20
    # Newest first: the last page holds the two oldest, the fixture's own.
    assert card_titles(second) == ["大埔蜜柚礼盒", "梅县金柚 5斤装"]
    assert set(card_titles(first)).isdisjoint(card_titles(second))
    assert "第 2 / 2 页" in text_of(second)
    assert client.get(url + "?page=3").status_code == 404


def test_unknown_brand_is_404(client, catalogue):
    assert client.get(reverse("brands:detail", kwargs={"slug": "no-such-brand"})).status_code == 404


# --- product page -------------------------------------------------------------------


def test_product_page_shows_origin_chain_brand_subject_certificate_and_households(client, catalogue):
    response = client.get(catalogue.pomelo.get_absolute_url())
    text = text_of(response)
    html = response.content.decode()

    assert response.status_code == 200
    assert "梅县金柚 5斤装" in text
    assert "产地 梅州市 梅县区 石扇镇 石扇村 省定贫困村" in text
    assert 'href="/zh-hans/brands/meizhou-pomelo/"' in html
    assert "生产主体 梅县金柚专业合作社 （农民专业合作社）" in text
    assert "扶贫产品认定 粤扶认〔2020〕0101号 有效 广东省扶贫开发办公室 · 有效期至 2027-12-31" in text
    assert data_values(response, "data-certificate") == ["valid"]
    assert data_values(response, "data-beneficiary-count") == ["3"]
    assert "带动贫困户 3 户" in text
    assert "鲜活产品 否" in text
    assert '<span class="xp-price xp-price--large">¥39.90</span>' in html
    assert data_values(response, "data-availability") == ["instock"]
    assert 'action="/zh-hans/shop/basket/add/%d/"' % catalogue.pomelo.pk in html
    assert 'name="quantity"' in html
    for household in catalogue.households:
        assert household.head_name not in text
        assert household.registration_number not in text


def test_product_page_flags_expired_certificate_and_fresh_produce(client, catalogue):
    response = client.get(catalogue.pineapple_product.get_absolute_url())
    text = text_of(response)

    assert data_values(response, "data-certificate") == ["expired"]
    assert "粤扶认〔2018〕0401号 已过期" in text
    assert "有效期至 2020-12-31" in text
    assert "鲜活产品 是（冷链配送）" in text
    assert data_values(response, "data-beneficiary-count") == ["0"]


def test_out_of_stock_product_offers_an_alert_not_the_basket(client, catalogue):
    response = client.get(catalogue.dabu_pomelo.get_absolute_url())
    html = response.content.decode()

    assert data_values(response, "data-availability") == ["outofstock"]
    assert 'id="add_to_basket_form"' not in html
    assert 'action="/zh-hans/shop/accounts/alerts/create/%d/"' % catalogue.dabu_pomelo.pk in html


def test_product_page_redirects_to_its_canonical_path(client, catalogue):
    url = catalogue.pomelo.get_absolute_url()
    wrong = url.replace(catalogue.pomelo.slug, "old-slug")

    response = client.get(wrong)

    assert response.status_code == 301
    assert response["Location"] == url


def test_unknown_or_private_product_is_404(client, catalogue):
    catalogue.black_tea_product.is_public = False
    catalogue.black_tea_product.save()

    assert client.get(catalogue.black_tea_product.get_absolute_url()).status_code == 404
    assert client.get("/zh-hans/shop/catalogue/nothing_999999/").status_code == 404
