"""Catalogue browse, facets, category pages and database search."""
import re

import pytest
from django.urls import reverse

from tests.storefront.test_pages import card_titles, text_of

pytestmark = pytest.mark.django_db

POMELO = "梅县金柚 5斤装"
DABU = "大埔蜜柚礼盒"
TEA = "英红九号 250克"
PINEAPPLE = "徐闻菠萝 10斤"


def facet_counts(response, facet):
    """{value: (label, count, selected)} of one facet's links."""
    html = response.content.decode()
    pattern = (
        r'<a class="xp-chip( is-selected)?" href="[^"]*" data-facet="%s" data-value="([^"]+)">'
        r'([^<]+?) (?:<span class="xp-chip__count">(\d+)</span>)?' % facet
    )
    return {
        value: (label.strip(), int(count) if count else None, bool(selected))
        for selected, value, label, count in re.findall(pattern, html)
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {POMELO, DABU, TEA, PINEAPPLE}),
        ("brand=meizhou-pomelo", {POMELO, DABU}),
        ("brand=yingde-black-tea", {TEA}),
        ("city=441400", {POMELO, DABU}),
        ("county=441422", {DABU}),
        ("city=440800", {PINEAPPLE}),
        ("brand=meizhou-pomelo&county=441403", {POMELO}),
        ("brand=yingde-black-tea&city=441400", set()),
        ("category={fruit}", {POMELO, DABU, PINEAPPLE}),
        ("category={citrus}", {POMELO, DABU}),
        ("category={tea}&brand=yingde-black-tea", {TEA}),
        ("brand=no-such-brand", set()),
    ],
)
def test_filters_give_exactly_the_matching_products(client, catalogue, query, expected):
    query = query.format(fruit=catalogue.fruit.pk, citrus=catalogue.citrus.pk, tea=catalogue.tea.pk)
    response = client.get(reverse("catalogue:index") + "?" + query)

    assert response.status_code == 200
    assert set(card_titles(response)) == expected
    assert f"共 {len(expected)} 件商品" in text_of(response)


def test_facets_show_counts_and_keep_other_values_of_the_picked_facet(client, catalogue):
    everything = client.get(reverse("catalogue:index"))

    assert facet_counts(everything, "brand") == {
        "meizhou-pomelo": ("梅州金柚", 2, False),
        "yingde-black-tea": ("英德红茶", 1, False),
        "xuwen-pineapple": ("徐闻菠萝", 1, False),
    }
    assert facet_counts(everything, "city") == {
        "440800": ("湛江市", 1, False),
        "441400": ("梅州市", 2, False),
        "441800": ("清远市", 1, False),
    }
    assert facet_counts(everything, "county") == {}
    assert facet_counts(everything, "category") == {
        str(catalogue.fruit.pk): ("水果", 3, False),
        str(catalogue.tea.pk): ("茶叶", 1, False),
    }

    meizhou = client.get(reverse("catalogue:index") + "?city=441400")

    # Brands are counted within Meizhou; cities keep their counts (disjunctive);
    # Meizhou's counties appear.
    assert facet_counts(meizhou, "brand") == {"meizhou-pomelo": ("梅州金柚", 2, False)}
    assert facet_counts(meizhou, "city")["441400"] == ("梅州市", 2, True)
    assert facet_counts(meizhou, "city")["441800"] == ("清远市", 1, False)
    assert facet_counts(meizhou, "county") == {
        "441403": ("梅县区", 1, False),
        "441422": ("大埔县", 1, False),
    }
    assert facet_counts(meizhou, "category") == {str(catalogue.fruit.pk): ("水果", 2, False)}

    tea = client.get(reverse("catalogue:index") + "?brand=yingde-black-tea")

    assert facet_counts(tea, "brand")["yingde-black-tea"] == ("英德红茶", 1, True)
    assert facet_counts(tea, "brand")["meizhou-pomelo"] == ("梅州金柚", 2, False)
    assert facet_counts(tea, "city") == {"441800": ("清远市", 1, False)}


def test_facet_links_toggle_one_filter_and_keep_the_others(client, catalogue):
    response = client.get(reverse("catalogue:index") + "?brand=meizhou-pomelo&sort=price-asc&page=1")
    html = response.content.decode()

    # picking a city keeps brand and sort, drops the page
    assert 'href="/zh-hans/shop/catalogue/?brand=meizhou-pomelo&amp;city=441400&amp;sort=price-asc" data-facet="city"' in html
    # the selected brand links to its removal
    assert 'href="/zh-hans/shop/catalogue/?sort=price-asc" data-facet="brand" data-value="meizhou-pomelo"' in html
    # a category link goes to the category page with the other filters
    fruit_url = catalogue.fruit.get_absolute_url()
    assert f'href="{fruit_url}?brand=meizhou-pomelo&amp;sort=price-asc" data-facet="category"' in html


def test_sorting_by_price(client, catalogue):
    ascending = client.get(reverse("catalogue:index") + "?sort=price-asc")
    descending = client.get(reverse("catalogue:index") + "?sort=price-desc")

    assert card_titles(ascending) == [POMELO, PINEAPPLE, DABU, TEA]  # 39.90, 45, 59, 88
    assert card_titles(descending) == [TEA, DABU, PINEAPPLE, POMELO]


def test_category_page_lists_the_subtree_with_breadcrumbs_and_subcategory_facets(client, catalogue):
    response = client.get(catalogue.fruit.get_absolute_url())

    assert response.status_code == 200
    assert set(card_titles(response)) == {POMELO, DABU, PINEAPPLE}
    assert facet_counts(response, "category") == {
        str(catalogue.fruit.pk): ("水果", None, True),
        str(catalogue.citrus.pk): ("柑橘", 2, False),
        str(catalogue.pineapple.pk): ("菠萝", 1, False),
    }

    citrus = client.get(catalogue.citrus.get_absolute_url() + "?county=441422")

    assert card_titles(citrus) == [DABU]
    assert "首页 全部商品 水果 柑橘" in text_of(citrus)


def test_category_page_redirects_to_its_canonical_path_keeping_the_query(client, catalogue):
    response = client.get(f"/zh-hans/shop/catalogue/category/old-name_{catalogue.citrus.pk}/?brand=meizhou-pomelo")

    assert response.status_code == 301
    assert response["Location"] == catalogue.citrus.get_absolute_url() + "?brand=meizhou-pomelo"


def test_unknown_category_and_bad_page_are_404(client, catalogue):
    assert client.get("/zh-hans/shop/catalogue/category/nothing_999999/").status_code == 404
    assert client.get(reverse("catalogue:index") + "?page=9").status_code == 404
    assert client.get(reverse("catalogue:index") + "?page=abc").status_code == 404


@pytest.mark.parametrize(
    "q, expected",
    [
        ("金柚", {POMELO, DABU}),  # title, and brand name 梅州金柚 for 大埔蜜柚礼盒
        ("英德", {TEA}),  # county 英德市 / brand 英德红茶
        ("梅州", {POMELO, DABU}),  # city 梅州市
        ("大埔", {DABU}),  # title and county
        ("菠萝", {PINEAPPLE}),
        ("Yingde", {TEA}),  # English brand / county name
        ("金柚 大埔", {DABU}),  # every term must match
        ("咖啡", set()),
    ],
)
def test_search_matches_title_brand_and_county(client, catalogue, q, expected):
    response = client.get(reverse("search:search"), {"q": q})

    assert response.status_code == 200
    assert set(card_titles(response)) == expected
    assert f"“{q}”的搜索结果" in text_of(response)


def test_search_combines_with_facets(client, catalogue):
    response = client.get(reverse("search:search"), {"q": "金柚", "county": "441403"})

    assert card_titles(response) == [POMELO]
