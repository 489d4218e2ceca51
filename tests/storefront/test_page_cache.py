"""The anonymous page cache: hits, invalidation, who is never served from it,
and CSRF tokens that stay per visitor on cached pages."""
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.signing import Signer
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_class, get_model

from shop.core.cache import CSRF_SENTINEL, page_cache_generation
from tests.factories import make_product
from tests.storefront.test_pages import card_titles, data_values, text_of

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")
StockRecord = get_model("partner", "StockRecord")
Selector = get_class("partner.strategy", "Selector")


def csrf_tokens(response):
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())


def without_tokens(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.fixture
def urls(catalogue, home_page):
    return [
        "/zh-hans/",
        reverse("brands:list"),
        reverse("brands:detail", kwargs={"slug": "meizhou-pomelo"}),
        reverse("catalogue:index"),
        reverse("catalogue:index") + "?brand=meizhou-pomelo&sort=price-asc",
        catalogue.fruit.get_absolute_url(),
        reverse("search:search") + "?q=金柚",
        catalogue.pomelo.get_absolute_url(),
        "/en/shop/catalogue/",
    ]


def test_second_anonymous_request_is_a_hit_with_no_query(client, urls):
    for url in urls:
        first = client.get(url)
        with CaptureQueriesContext(connection) as context:
            second = Client().get(url)

        assert (first.status_code, first["X-Page-Cache"]) == (200, "miss"), url
        assert (second.status_code, second["X-Page-Cache"]) == (200, "hit"), url
        assert len(context.captured_queries) == 0, url
        assert without_tokens(second) == without_tokens(first), url
        assert "private" in second["Cache-Control"]


def test_query_string_and_language_are_part_of_the_key(client, catalogue):
    assert client.get("/zh-hans/shop/catalogue/?brand=meizhou-pomelo")["X-Page-Cache"] == "miss"
    assert client.get("/zh-hans/shop/catalogue/?brand=yingde-black-tea")["X-Page-Cache"] == "miss"
    assert client.get("/en/shop/catalogue/?brand=meizhou-pomelo")["X-Page-Cache"] == "miss"
    response = client.get("/zh-hans/shop/catalogue/?brand=yingde-black-tea")
    assert response["X-Page-Cache"] == "hit"
    assert card_titles(response) == ["英红九号 250克"]


def test_a_stock_record_price_change_invalidates_cached_pages(client, catalogue):
    url = catalogue.pomelo.get_absolute_url()
    listing = reverse("catalogue:index")
    client.get(url), client.get(listing)
    assert client.get(url)["X-Page-Cache"] == "hit"

    stockrecord = StockRecord.objects.get(product=catalogue.pomelo)
    stockrecord.price = Decimal("35.50")
    stockrecord.save()

    product_page = client.get(url)
    listing_page = client.get(listing)
    assert product_page["X-Page-Cache"] == "miss"
    assert '<span class="xp-price xp-price--large">¥35.50</span>' in product_page.content.decode()
    assert '<span class="xp-price">¥35.50</span>' in listing_page.content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_a_stock_change_invalidates_cached_pages(client, catalogue):
    url = catalogue.pomelo.get_absolute_url()
    client.get(url)

    stockrecord = StockRecord.objects.get(product=catalogue.pomelo)
    stockrecord.num_in_stock = 0
    stockrecord.save()

    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert data_values(response, "data-availability") == ["outofstock"]
    assert 'id="add_to_basket_form"' not in response.content.decode()


def test_an_allocation_at_checkout_invalidates_cached_pages(client, catalogue):
    """Oscar allocates stock with an UPDATE but sends post_save itself."""
    url = catalogue.pomelo.get_absolute_url()
    client.get(url)

    StockRecord.objects.get(product=catalogue.pomelo).allocate(100)

    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert data_values(response, "data-availability") == ["outofstock"]


def test_a_product_title_change_invalidates_cached_pages(client, catalogue):
    product_url = catalogue.pomelo.get_absolute_url()
    brand_url = reverse("brands:detail", kwargs={"slug": "meizhou-pomelo"})
    client.get(product_url), client.get(brand_url)

    catalogue.pomelo.title = "梅县金柚 10斤特惠装"
    catalogue.pomelo.save()

    brand_page = client.get(brand_url)
    assert brand_page["X-Page-Cache"] == "miss"
    assert "梅县金柚 10斤特惠装" in card_titles(brand_page)
    # the slug did not change, so the page is still there, with the new title
    assert "梅县金柚 10斤特惠装" in text_of(client.get(product_url))


def test_a_brand_or_origin_change_invalidates_cached_pages(client, catalogue):
    brand_url = reverse("brands:detail", kwargs={"slug": "yingde-black-tea"})
    product_url = catalogue.black_tea_product.get_absolute_url()
    client.get(brand_url), client.get(product_url)

    catalogue.tea_brand.story = "英德红茶，1959年创制，香气鲜浓。"
    catalogue.tea_brand.save()
    assert "英德红茶，1959年创制，香气鲜浓。" in text_of(client.get(brand_url))

    origin = catalogue.black_tea_product.origin
    origin.certificate_number = "粤扶认〔2021〕0999号"
    origin.save()
    assert "粤扶认〔2021〕0999号" in text_of(client.get(product_url))


def test_a_new_product_and_a_new_member_household_invalidate_cached_pages(client, catalogue):
    from tests.factories import make_household

    listing = reverse("catalogue:index") + "?brand=yingde-black-tea"
    product_url = catalogue.black_tea_product.get_absolute_url()
    client.get(listing), client.get(product_url)

    make_product(title="英德红茶 金毫 100克", brand=catalogue.tea_brand, market_subject=catalogue.tea_coop,
                 village=catalogue.yingde_village)
    make_household(village=catalogue.yingde_village, head_name="新茶农", market_subjects=[catalogue.tea_coop])

    assert set(card_titles(client.get(listing))) == {"英红九号 250克", "英德红茶 金毫 100克"}
    assert data_values(client.get(product_url), "data-beneficiary-count") == ["3"]


def test_publishing_a_wagtail_page_invalidates_cached_pages(client, home_page):
    client.get("/zh-hans/")
    assert client.get("/zh-hans/")["X-Page-Cache"] == "hit"
    generation = page_cache_generation()

    home_page.hero_title = "年货节：广东扶贫好物"
    home_page.save_revision().publish()

    assert page_cache_generation() > generation
    response = client.get("/zh-hans/")
    assert response["X-Page-Cache"] == "miss"
    assert "年货节：广东扶贫好物" in text_of(response)


def test_signed_in_customers_are_never_served_nor_stored(client, catalogue, customer):
    url = catalogue.pomelo.get_absolute_url()
    signed_in = Client()
    signed_in.force_login(customer)

    first = signed_in.get(url)
    second = signed_in.get(url)

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("bypass", "bypass")
    assert '<a class="xp-header__link" href="/zh-hans/shop/accounts/">我的账户</a>' in second.content.decode()
    assert CSRF_SENTINEL not in second.content.decode()
    # what the customer saw was not stored for anonymous visitors
    anonymous = client.get(url)
    assert anonymous["X-Page-Cache"] == "miss"
    assert '<a class="xp-header__link" href="/zh-hans/shop/accounts/login/">登录/注册</a>' in anonymous.content.decode()
    assert 'class="xp-header__link" href="/zh-hans/shop/accounts/"' not in anonymous.content.decode()


def test_visitors_with_a_basket_session_or_messages_cookie_bypass_the_cache(client, catalogue):
    url = reverse("catalogue:index")
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"

    basket = Basket.objects.create()
    basket.strategy = Selector().strategy()
    basket.add_product(catalogue.pomelo, quantity=2)
    with_basket = Client()
    with_basket.cookies[settings.OSCAR_BASKET_COOKIE_OPEN] = Signer().sign(basket.id)
    response = with_basket.get(url)
    assert response["X-Page-Cache"] == "bypass"
    assert data_values(response, "data-basket-count") == ["2"]

    with_session = Client()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "some-session-key"
    assert with_session.get(url)["X-Page-Cache"] == "bypass"

    with_messages = Client()
    with_messages.cookies["messages"] = "x"
    assert with_messages.get(url)["X-Page-Cache"] == "bypass"

    assert Client().get(url)["X-Page-Cache"] == "hit"


def test_pages_outside_the_storefront_are_not_cached(client, catalogue):
    response = client.get(reverse("basket:summary"))

    assert "X-Page-Cache" not in response


def test_cached_pages_carry_each_visitors_own_csrf_token(catalogue):
    url = catalogue.pomelo.get_absolute_url()
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)

    alice_page = alice.get(url)
    bob_page = bob.get(url)

    assert (alice_page["X-Page-Cache"], bob_page["X-Page-Cache"]) == ("miss", "hit")
    alice_tokens, bob_tokens = csrf_tokens(alice_page), csrf_tokens(bob_page)
    assert len(alice_tokens) == len(bob_tokens) == 1
    assert alice_tokens != bob_tokens
    assert CSRF_SENTINEL not in bob_page.content.decode()
    # each visitor got a CSRF cookie of their own
    assert alice.cookies[settings.CSRF_COOKIE_NAME].value != bob.cookies[settings.CSRF_COOKIE_NAME].value

    # Bob cannot post with Alice's token: it belongs to Alice's cookie.
    stolen = bob.post(reverse("basket:add", kwargs={"pk": catalogue.pomelo.pk}),
                      {"quantity": 1, "csrfmiddlewaretoken": alice_tokens[0]})
    assert stolen.status_code == 403


def test_add_to_basket_from_a_cached_page_works(catalogue):
    url = reverse("catalogue:index")
    Client().get(url)  # someone else filled the cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url, HTTP_REFERER="http://testserver" + url)
    assert page["X-Page-Cache"] == "hit"
    html = page.content.decode()
    # what the browser sends for the card's button: the grid form's token, the
    # button's name=value, to the button's formaction
    token = re.search(
        r'<form class="xp-grid-form" method="post">\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    ).group(1)
    form_action = reverse("basket:add", kwargs={"pk": catalogue.pomelo.pk})
    assert f'formaction="{form_action}" name="quantity" value="1"' in html

    response = visitor.post(form_action, {"quantity": "1", "csrfmiddlewaretoken": token},
                            HTTP_REFERER="http://testserver" + url)

    assert response.status_code == 302
    basket = Basket.objects.get(pk=Signer().unsign(visitor.cookies[settings.OSCAR_BASKET_COOKIE_OPEN].value))
    assert [(line.product_id, line.quantity) for line in basket.all_lines()] == [(catalogue.pomelo.pk, 1)]
    # from now on this visitor has a basket: uncached pages that show it
    after = visitor.get(url)
    assert after["X-Page-Cache"] == "bypass"
    assert data_values(after, "data-basket-count") == ["1"]


def test_unknown_query_parameters_share_the_cached_page_and_stay_out_of_links(client, catalogue):
    url = reverse("catalogue:index")
    first = client.get(url + "?brand=meizhou-pomelo&utm_source=wechat")
    second = client.get(url + "?utm_campaign=x&brand=meizhou-pomelo")

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert "utm_" not in first.content.decode()


def test_a_repeated_parameter_cannot_store_one_page_under_another_key(client, catalogue):
    url = reverse("catalogue:index")
    poisoned = client.get(url + "?brand=meizhou-pomelo&brand=yingde-black-tea")
    tea = client.get(url + "?brand=yingde-black-tea")
    pomelo = client.get(url + "?brand=meizhou-pomelo")

    assert card_titles(poisoned) == ["英红九号 250克"]  # the last value wins, as in QueryDict.get
    assert (tea["X-Page-Cache"], card_titles(tea)) == ("hit", ["英红九号 250克"])
    assert (pomelo["X-Page-Cache"], card_titles(pomelo)) == ("miss", ["大埔蜜柚礼盒", "梅县金柚 5斤装"])


def test_cached_product_cards_give_each_signed_in_customer_their_own_token(catalogue, customer):
    from tests.factories import UserFactory

    url = reverse("catalogue:index")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(customer)
    second.force_login(UserFactory(username="xiaohong", email="xiaohong@example.com"))

    first_page = first.get(url)  # renders the product grid fragment into the cache
    second_page = second.get(url)  # gets the grid from the cache

    assert (first_page["X-Page-Cache"], second_page["X-Page-Cache"]) == ("bypass", "bypass")
    first_tokens, second_tokens = set(csrf_tokens(first_page)), set(csrf_tokens(second_page))
    assert len(csrf_tokens(second_page)) == 1  # the product grid's form
    assert first_tokens.isdisjoint(second_tokens)
    assert CSRF_SENTINEL not in second_page.content.decode()
    response = second.post(reverse("basket:add", kwargs={"pk": catalogue.pomelo.pk}),
                           {"quantity": 1, "csrfmiddlewaretoken": csrf_tokens(second_page)[0]})
    assert response.status_code == 302


def test_a_published_body_change_reaches_signed_in_customers_too(home_page, customer):
    import json

    signed_in = Client()
    signed_in.force_login(customer)
    home_page.body = json.dumps([{"type": "paragraph", "value": "<p>第一版</p>"}])
    home_page.save_revision().publish()
    assert "第一版" in text_of(signed_in.get("/zh-hans/"))

    home_page.body = json.dumps([{"type": "paragraph", "value": "<p>第二版</p>"}])
    home_page.save_revision().publish()

    text = text_of(signed_in.get("/zh-hans/"))
    assert "第二版" in text and "第一版" not in text


def test_fragments_are_never_cached_in_a_wagtail_preview(rf):
    from django.template import Context, Template

    template = Template('{% load storefront_tags %}{% cached_fragment "t" 1 %}{{ word }}{% endcached_fragment %}')
    preview = rf.get("/")
    preview.is_preview = True
    live = rf.get("/")

    assert template.render(Context({"request": preview, "word": "草稿"})) == "草稿"
    assert template.render(Context({"request": live, "word": "正式"})) == "正式"
    assert template.render(Context({"request": preview, "word": "草稿二"})) == "草稿二"
    assert template.render(Context({"request": live, "word": "别的"})) == "正式"  # cached


def test_compact_html_drops_indentation_but_keeps_preformatted_pages():
    from shop.core.cache import compact_html

    assert compact_html(b"<ul>\n    <li>a</li>\n\n    <li>b</li>\n</ul>") == b"<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert compact_html(b"<pre>\n  x\n</pre>  <p>y</p>") == b"<pre>\n  x\n</pre>  <p>y</p>"
