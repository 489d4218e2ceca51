"""SQL queries per page: at most 10, and exactly the same with 200 and with 2,000 products.

Every page is measured for an anonymous visitor (page cache off for the test,
so the view really runs) and for a signed-in customer (never page-cached), in
two states:

* cold: right after a catalogue change (the generation was bumped, so the
  category tree, cached reads and product-grid fragments are all stale): the
  page's full cost, which the 10-query bar applies to;
* warm: the next request, what a signed-in customer normally pays.

Signed in adds the session, the user and the basket item count (3).
"""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.core.cache import page_cache_invalidate
from tests.storefront.conftest import Product, add_products, bulk_add_products

pytestmark = pytest.mark.django_db

QUERY_BAR = 10
BAR_PAGES = ("product", "brand", "catalogue", "category", "search")

# page: ((cold anonymous, cold signed-in), (warm anonymous, warm signed-in))
EXPECTED = {
    # category tree, product (+origin chain, subject, class), stock records, images, categories, households,
    # newest batches (trace links)
    "product": ((7, 10), (0, 3)),
    # brand (+households reached), counties, product count, products, stock records, images
    "brand": ((6, 9), (0, 3)),
    # product count, brand/region facet, category tree, category facet, products, stock records, images
    "catalogue": ((7, 10), (0, 3)),
    "category": ((7, 10), (0, 3)),
    "search": ((7, 10), (0, 3)),
    # brands with counties and product counts
    "brands": ((2, 5), (0, 3)),
    # Wagtail routing (site, page; whether any view restriction exists) + brands block + products block;
    # warm, the routing comes from the cache too (shop.storefront.wagtail_serve)
    "home": ((7, 10), (0, 3)),
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
    add_products(catalogue, 8)  # 12 products made one by one, with images
    bulk_add_products(catalogue, 200 - 12)
    assert Product.objects.count() == 200
    small = measure(client, customer_client, catalogue)

    bulk_add_products(catalogue, 2000 - 200, prefix="大批量商品")
    assert Product.objects.count() == 2000
    large = measure(client, customer_client, catalogue)

    assert small == EXPECTED
    assert large == EXPECTED
    for name in BAR_PAGES:
        (cold_anonymous, cold_signed_in), _warm = large[name]
        assert cold_anonymous <= QUERY_BAR and cold_signed_in <= QUERY_BAR, name


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def measure(client, customer_client, catalogue):
    """{page: ((cold anonymous, cold signed-in), (warm anonymous, warm signed-in))}"""
    results = {}
    for name, url in page_urls(catalogue).items():
        client.get(url), customer_client.get(url)  # templates loaded, session touched
        page_cache_invalidate()
        cold_anonymous = count_queries(client, url)
        page_cache_invalidate()
        cold_signed_in = count_queries(customer_client, url)
        results[name] = (
            (cold_anonymous, cold_signed_in),
            (count_queries(client, url), count_queries(customer_client, url)),
        )
    return results
