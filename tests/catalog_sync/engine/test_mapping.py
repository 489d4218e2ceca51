from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog_sync.mapping import absolute_url, plain_text, product_listing
from catalog_sync.selectors import ProductData, StockData, channel_products_load
from tests.factories import make_product

from .helpers import enable, record

BASE = "https://shop.xiangpin.example"


def data(**overrides):
    values = dict(
        pk=7, upc="GD-MZ-001", title="梅州金柚 5斤装", description="<p>梅县金柚，皮薄多汁。</p>", is_public=True,
        channel_enabled=True, path="/zh-hans/shop/catalogue/meizhou-pomelo_7/",
        images=("/media/images/products/pomelo.jpg", "https://cdn.example/pomelo-2.jpg"),
        stock=(StockData(partner_sku="MZ-5J", price=Decimal("39.90"), num_in_stock=120, num_allocated=15),
               StockData(partner_sku="MZ-10J", price=Decimal("69.00"), num_in_stock=4, num_allocated=1,
                         attrs=(("规格", "10斤装"),))),
        brand="梅州金柚", category="水果", origin={"county": "梅县区", "cooperative": "梅县金柚专业合作社"},
    )
    values.update(overrides)
    return ProductData(**values)


def test_listing_exact_values():
    listing = product_listing(data(), stock_buffer=5, base_url=BASE + "/")
    assert listing.key == "GD-MZ-001"
    assert listing.title == "梅州金柚 5斤装"
    assert listing.description == "梅县金柚，皮薄多汁。"
    assert listing.images == ("https://shop.xiangpin.example/media/images/products/pomelo.jpg",
                              "https://cdn.example/pomelo-2.jpg")
    assert listing.link == "https://shop.xiangpin.example/zh-hans/shop/catalogue/meizhou-pomelo_7/"
    assert [(s.key, s.price, s.quantity, s.attrs) for s in listing.skus] == [
        ("MZ-5J", Decimal("39.90"), 100, ()),          # 120 - 15 - 5
        ("MZ-10J", Decimal("69.00"), 0, (("规格", "10斤装"),)),   # 4 - 1 - 5 < 0 → 0
    ]
    assert all(isinstance(s.price, Decimal) for s in listing.skus)
    assert listing.active is True
    assert (listing.brand, listing.category) == ("梅州金柚", "水果")
    assert dict(listing.origin) == {"county": "梅县区", "cooperative": "梅县金柚专业合作社"}


def test_quantity_without_buffer_and_key_without_upc():
    listing = product_listing(data(upc=""), stock_buffer=0, base_url=BASE)
    assert listing.key == "XP7"
    assert [s.quantity for s in listing.skus] == [105, 3]


@pytest.mark.parametrize("overrides", [{"is_public": False}, {"channel_enabled": False},
                                       {"stock": (StockData("MZ-5J", None, 10, 0),)}])
def test_inactive_when_hidden_disabled_or_nothing_to_sell(overrides):
    assert product_listing(data(**overrides), stock_buffer=0, base_url=BASE).active is False


def test_plain_text_strips_html():
    html = "<h2>产地</h2><p>梅州&amp;兴宁&nbsp;山区</p><ul><li>皮薄</li><li><b>多汁</b></li></ul>line<br/>二"
    assert plain_text(html) == "产地\n梅州&兴宁 山区\n皮薄\n多汁\nline\n二"
    assert plain_text("") == ""


def test_absolute_url():
    assert absolute_url("/media/a.jpg", "http://127.0.0.1:8000") == "http://127.0.0.1:8000/media/a.jpg"
    assert absolute_url("media/a.jpg", "http://127.0.0.1:8000/") == "http://127.0.0.1:8000/media/a.jpg"
    assert absolute_url("https://oss.example/a.jpg", "http://x") == "https://oss.example/a.jpg"
    assert absolute_url("//oss.example/a.jpg", "http://x") == "https://oss.example/a.jpg"


def test_hash_split():
    """A stock or price change leaves the content hash alone (WeChat audits content)."""
    base = product_listing(data(), stock_buffer=0, base_url=BASE)
    restocked = product_listing(data(stock=(StockData("MZ-5J", Decimal("39.90"), 500, 0),
                                            StockData("MZ-10J", Decimal("69.00"), 4, 1, (("规格", "10斤装"),)))),
                                stock_buffer=0, base_url=BASE)
    repriced = product_listing(data(stock=(StockData("MZ-5J", Decimal("35.00"), 120, 15),
                                           StockData("MZ-10J", Decimal("69.00"), 4, 1, (("规格", "10斤装"),)))),
                               stock_buffer=0, base_url=BASE)
    assert restocked.content_hash() == base.content_hash() and restocked.price_hash() == base.price_hash()
    assert restocked.stock_hash() != base.stock_hash()
    assert repriced.content_hash() == base.content_hash() and repriced.stock_hash() == base.stock_hash()
    assert repriced.price_hash() != base.price_hash()


@pytest.mark.django_db
def test_selector_reads_real_products(channel, settings):
    settings.CATALOG_SYNC_PUBLIC_URL = "https://shop.xiangpin.example"
    product = make_product(title="英德红茶 250克", price="88.00", stock=30)
    product.description = "<p>英红九号</p>"
    product.save()
    stock = record(product)
    stock.allocate(4)
    enable(channel, product)
    (loaded,) = channel_products_load(channel=channel, product_ids=[product.pk])
    origin = product.origin
    assert loaded.channel_enabled is True
    assert loaded.stock == (StockData(partner_sku=stock.partner_sku, price=Decimal("88.00"), num_in_stock=30,
                                      num_allocated=4),)
    assert loaded.brand == origin.brand.name
    assert loaded.origin == {"county": origin.county.name, "cooperative": origin.market_subject.name,
                             "village": origin.village.name}
    listing = product_listing(loaded, stock_buffer=3, base_url=settings.CATALOG_SYNC_PUBLIC_URL)
    assert listing.title == "英德红茶 250克"
    assert listing.description == "英红九号"
    assert listing.link == f"https://shop.xiangpin.example/zh-hans/shop/catalogue/{product.slug}_{product.pk}/"
    assert [(s.key, s.price, s.quantity) for s in listing.skus] == [(stock.partner_sku, Decimal("88.00"), 23)]
    assert listing.category == product.categories.get().name


@pytest.mark.django_db
def test_selector_queries_do_not_grow_with_products(channel):
    products = [make_product(title=f"徐闻菠萝 {n}") for n in range(6)]
    enable(channel, *products)

    def queries(ids):
        with CaptureQueriesContext(connection) as captured:
            loaded = channel_products_load(channel=channel, product_ids=ids)
        assert len(loaded) == len(ids)
        return len(captured)

    assert queries([products[0].pk]) == queries([p.pk for p in products])


@pytest.mark.django_db
def test_selector_links_are_the_product_pages(channel):
    """One reverse for all products gives each one its own ``get_absolute_url``."""
    from django.utils import translation

    products = [make_product(title=f"连州菜心 {n}号") for n in range(3)]
    products[1].slug = "lianzhou-caixin_2-gift-box"        # an underscore and digits, like the pk part
    products[1].save()
    loaded = channel_products_load(channel=channel, product_ids=[p.pk for p in products])
    with translation.override("zh-hans"):
        assert [data.path for data in loaded] == [p.get_absolute_url() for p in products]
    assert loaded[1].path == f"/zh-hans/shop/catalogue/lianzhou-caixin_2-gift-box_{products[1].pk}/"
