"""SQL queries per page: at most 10, and exactly the same with 10× the catalogue.

Each page is measured twice per catalogue size: rendered for an anonymous
visitor (page cache off for the test, so the view really runs) and for a
signed-in customer (never cached). Both after one warm-up request, so the category tree and the
home blocks' query results are in the cache as they are in production.
"""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.storefront.conftest import add_products

pytestmark = pytest.mark.django_db

QUERY_BAR = 10

# Measured: anonymous = the page's own reads; signed in adds the session, the
# user and the basket item count (3).
EXPECTED = {
    # products (+origin chain), stock records, images, categories, households
    "product": (5, 8),
    # brand (+households reached), counties, product count, products, stock records, images
    "brand": (6, 9),
    # product count, brand/region facet, category facet, products, stock records, images
    "catalogue": (6, 9),
    "category": (6, 9),
    "search": (6, 9),
    # brands with counties and product counts
    "brands": (2, 5),
    # Wagtail: site, page, ancestors, view restrictions (blocks come from the cache)
    "home": (4, 7),
}


def page_urls(catalogue):
    return {
        "product": catalogue.pomelo.get_absolute_url(),
        "brand": reverse("brands:detail", kwargs={"slug": "meizhou-pomelo"}),
        "catalogue": reverse("catalogue:index"),
        "category": catalogue.fruit.get_absolute_url() + "?brand=meizhou-pomelo",
        "search": reverse("search:search") + "?q=金柚",
        "brands": reverse("brands:list"),
        "home": "/zh-hans/",
    }


@pytest.fixture
def customer_client(customer):
    signed_in = Client()
    signed_in.force_login(customer)
    return signed_in


def test_queries_per_page_are_bounded_and_independent_of_catalogue_size(
    client, customer_client, catalogue, home_page, settings
):
    settings.PAGE_CACHE_VIEWS = frozenset()  # no page is served from the page cache: every request renders
    add_products(catalogue, 8)  # 12 products
    small = measure(client, customer_client, catalogue)

    add_products(catalogue, 108, prefix="大批量商品")  # 120 products: 10×
    large = measure(client, customer_client, catalogue)

    assert small == EXPECTED
    assert large == EXPECTED
    for name, (anonymous, signed_in) in large.items():
        if name in ("product", "brand", "catalogue", "category", "search"):
            assert anonymous <= QUERY_BAR and signed_in <= QUERY_BAR, name


def count_queries(client, url):
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def measure(client, customer_client, catalogue):
    """{page: (anonymous queries, signed-in queries)}"""
    return {
        name: (count_queries(client, url), count_queries(customer_client, url))
        for name, url in page_urls(catalogue).items()
    }
