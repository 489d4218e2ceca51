"""Signed-in pages are never page-cached, but most of what they show comes
from shared pieces cached under the generation: fragments (layout, product
sections, grids), reads (product, facets) and Wagtail's routing, each also
copied into this process's local layer. These tests check that the per-user
parts stay per user and that a change is seen at once."""
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_model

from shop.core.cache import CSRF_SENTINEL, GENERATION_KEY, LocalLayer, local_layer
from tests.factories import UserFactory
from tests.storefront.test_pages import data_values, text_of

pytestmark = pytest.mark.django_db

StockRecord = get_model("partner", "StockRecord")


def csrf_tokens(response):
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())


def without_tokens(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.fixture
def signed_in(customer):
    client = Client()
    client.force_login(customer)
    return client


def test_a_signed_in_product_page_shows_a_price_or_stock_change_at_once(signed_in, catalogue):
    url = catalogue.pomelo.get_absolute_url()
    first = signed_in.get(url)
    assert "39.90" in text_of(first) and 'id="add_to_basket_form"' in first.content.decode()
    assert without_tokens(signed_in.get(url)) == without_tokens(first)  # served from the cached pieces

    record = StockRecord.objects.get(product=catalogue.pomelo)
    record.price = Decimal("35.50")
    record.save()
    repriced = text_of(signed_in.get(url))
    assert "35.50" in repriced and "39.90" not in repriced

    record.num_in_stock = 0
    record.save()
    sold_out = signed_in.get(url).content.decode()
    assert 'id="add_to_basket_form"' not in sold_out
    assert 'id="alert_form"' in sold_out  # the stock alert: per customer, never cached


def test_a_change_made_by_another_worker_reaches_this_workers_local_copies(signed_in, catalogue):
    """Another process bumps the shared generation; this process's local layer
    still holds the old fragments and reads, keyed with the old generation."""
    url = catalogue.pomelo.get_absolute_url()
    assert "39.90" in text_of(signed_in.get(url))
    StockRecord.objects.filter(product=catalogue.pomelo).update(price=Decimal("31.00"))  # no signal here

    assert "39.90" in text_of(signed_in.get(url))  # nothing said the catalogue changed
    cache.incr(GENERATION_KEY)  # what the other worker's receiver does to the shared cache
    text = text_of(signed_in.get(url))
    assert "31.00" in text and "39.90" not in text


def test_each_customer_gets_their_own_basket_count_and_token_from_shared_fragments(catalogue, customer):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(customer)
    second.force_login(UserFactory(username="xiaohong", email="xiaohong@example.com"))
    product_url = catalogue.pomelo.get_absolute_url()

    page = first.get(product_url)  # renders the layout and product fragments into the cache
    assert first.post(reverse("basket:add", kwargs={"pk": catalogue.pomelo.pk}),
                      {"quantity": 2, "csrfmiddlewaretoken": csrf_tokens(page)[0]}).status_code == 302

    for url in (product_url, reverse("catalogue:index"), reverse("brands:detail", kwargs={"slug": "meizhou-pomelo"})):
        mine, theirs = first.get(url), second.get(url)
        assert data_values(mine, "data-basket-count") == ["2"], url
        assert data_values(theirs, "data-basket-count") == [], url
        assert "我的账户" in text_of(theirs) and "登录/注册" not in text_of(theirs)
        assert set(csrf_tokens(mine)).isdisjoint(csrf_tokens(theirs)), url
        assert CSRF_SENTINEL not in mine.content.decode() + theirs.content.decode()

    # The second customer's basket counts as soon as it has a line.
    page = second.get(product_url)
    second.post(reverse("basket:add", kwargs={"pk": catalogue.black_tea_product.pk}),
                {"quantity": 1, "csrfmiddlewaretoken": csrf_tokens(page)[0]})
    assert data_values(second.get(product_url), "data-basket-count") == ["1"]
    assert data_values(first.get(product_url), "data-basket-count") == ["2"]


def test_staff_edit_link_is_per_user_on_a_cached_product_page(catalogue, customer):
    url = catalogue.pomelo.get_absolute_url()
    staff = Client()
    staff.force_login(UserFactory(username="staff", email="staff@example.com", is_staff=True))
    customer_client = Client()
    customer_client.force_login(customer)

    assert "编辑商品" in text_of(staff.get(url))
    assert "编辑商品" not in text_of(customer_client.get(url))
    assert "编辑商品" in text_of(staff.get(url))


def test_wagtail_routing_is_cached_until_a_page_or_restriction_changes(signed_in, home_page):
    from wagtail.models import PageViewRestriction

    assert signed_in.get("/zh-hans/").status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert signed_in.get("/zh-hans/").status_code == 200
    assert not [q["sql"] for q in warm.captured_queries if "wagtailcore" in q["sql"]]

    home_page.hero_title = "新的主标题"
    home_page.save_revision().publish()
    assert "新的主标题" in text_of(signed_in.get("/zh-hans/"))

    anonymous = Client()
    assert anonymous.get("/zh-hans/").status_code == 200  # cached for visitors too
    PageViewRestriction.objects.create(page=home_page, restriction_type=PageViewRestriction.LOGIN)
    assert anonymous.get("/zh-hans/").status_code == 302  # to the login page
    assert signed_in.get("/zh-hans/").status_code == 200


def test_an_unknown_path_is_still_a_404_and_is_not_cached(signed_in, home_page):
    assert signed_in.get("/zh-hans/no-such-page/").status_code == 404
    assert signed_in.get("/zh-hans/no-such-page/").status_code == 404


def test_local_layer_is_bounded_expires_and_hands_out_copies(monkeypatch):
    layer = LocalLayer(max_entries=3, max_bytes=10_000)
    for index in range(5):
        layer.set(f"k{index}", f"<p>{index}</p>", timeout=60)
    assert [layer.get(f"k{index}") for index in range(5)] == [None, None, "<p>2</p>", "<p>3</p>", "<p>4</p>"]

    layer.set("big", "x" * 10_000, timeout=60)  # more than a slice of the budget: not kept
    assert layer.get("big") is None

    value = {"prices": [Decimal("1.00")]}
    layer.set("obj", value, timeout=60)
    copy = layer.get("obj")
    assert copy == value and copy is not value
    copy["prices"].append(Decimal("2.00"))
    assert layer.get("obj") == value  # a request cannot change what the next one reads

    import shop.core.cache as cache_module

    now = cache_module.time.monotonic()
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now + 61)
    assert layer.get("obj") is None


def test_the_shared_local_layer_keys_hold_the_generation(signed_in, catalogue):
    local_layer.clear()
    signed_in.get(catalogue.pomelo.get_absolute_url())
    generation = str(cache.get(GENERATION_KEY))
    keys = list(local_layer._entries)
    assert keys and all(key.startswith(f"fragment:{generation}:") for key in keys)
