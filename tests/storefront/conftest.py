"""A small, realistic Guangdong catalogue for the storefront tests.

Three brands (梅州金柚 across two counties, 英德红茶, 徐闻菠萝), four products
in a two-level category tree, market subjects with member households, a
Wagtail home page as the default site's root.
"""
import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import translation
from oscar.core.loading import get_model
from oscar.test import factories as oscar_factories

from cms.models import HomePage
from shop.brands.models import ProductOrigin
from shop.core.cache import page_cache_invalidate
from tests.factories import (
    BrandFactory,
    CountyFactory,
    MarketSubjectFactory,
    UserFactory,
    VillageFactory,
    make_household,
    make_product,
)

Category = get_model("catalogue", "Category")
ProductCategory = get_model("catalogue", "ProductCategory")
StockRecord = get_model("partner", "StockRecord")
Product = get_model("catalogue", "Product")

MEIZHOU = {"city__code": "441400", "city__name": "梅州市", "city__name_en": "Meizhou"}


@pytest.fixture(autouse=True)
def _fresh_cache_and_chinese():
    """An empty cache, and Chinese active so that reverse() gives /zh-hans/
    URLs whatever language an earlier request (in any test) left active."""
    cache.clear()
    with translation.override("zh-hans"):
        yield
    cache.clear()


def storefront_product(*, title, brand, market_subject, village, price, stock=100, categories=(), **extra):
    """``make_product`` without the throwaway category Oscar's factory adds,
    in the given categories instead."""
    product = make_product(
        title=title, price=Decimal(price), stock=stock, brand=brand, market_subject=market_subject,
        village=village, **extra,
    )
    throwaway = list(product.categories.values_list("pk", flat=True))
    ProductCategory.objects.filter(product=product).delete()
    Category.objects.filter(pk__in=throwaway).delete()
    for category in categories:
        ProductCategory.objects.create(product=product, category=category)
    return product


class Catalogue:
    """Handles to the objects of the scenario, by name."""


@pytest.fixture
def catalogue(db):
    # Oscar's product factory adds a root category with a naive path from a
    # sequence ("0001"...); keep those clear of the tree made here with add_root.
    oscar_factories.CategoryFactory.reset_sequence(5000)
    c = Catalogue()
    c.meixian = CountyFactory(code="441403", name="梅县区", name_en="Meixian", **MEIZHOU)
    c.dabu = CountyFactory(code="441422", name="大埔县", name_en="Dabu", **MEIZHOU)
    c.yingde = CountyFactory(code="441881", name="英德市", name_en="Yingde", city__code="441800", city__name="清远市")
    c.xuwen = CountyFactory(code="440825", name="徐闻县", name_en="Xuwen", city__code="440800", city__name="湛江市")

    c.fruit = Category.add_root(name="水果", slug="fruit")
    c.citrus = c.fruit.add_child(name="柑橘", slug="citrus")
    c.pineapple = c.fruit.add_child(name="菠萝", slug="pineapple")
    c.tea = Category.add_root(name="茶叶", slug="tea")
    c.black_tea = c.tea.add_child(name="红茶", slug="black-tea")

    c.pomelo_brand = BrandFactory(
        name="梅州金柚", name_en="Meizhou Pomelo", slug="meizhou-pomelo", counties=[c.meixian, c.dabu],
        tagline="岭南佳果，客家金柚", story="梅州金柚种植历史悠久，果大皮薄，清甜多汁。",
        standards="统一品种、统一施肥、统一采摘、统一分级包装。", is_featured=True, display_order=1,
    )
    c.tea_brand = BrandFactory(
        name="英德红茶", name_en="Yingde Black Tea", slug="yingde-black-tea", counties=[c.yingde],
        tagline="英红九号，香高味浓", story="英德红茶始于1959年。", is_featured=True, display_order=2,
    )
    c.pineapple_brand = BrandFactory(
        name="徐闻菠萝", name_en="Xuwen Pineapple", slug="xuwen-pineapple", counties=[c.xuwen],
        tagline="菠萝的海", display_order=3,
    )

    c.pomelo_coop = MarketSubjectFactory(name="梅县金柚专业合作社", county=c.meixian)
    c.dabu_coop = MarketSubjectFactory(name="大埔蜜柚专业合作社", county=c.dabu)
    c.tea_coop = MarketSubjectFactory(name="英德红茶专业合作社", county=c.yingde)
    c.pineapple_coop = MarketSubjectFactory(name="徐闻菠萝专业合作社", county=c.xuwen)

    c.meixian_village = VillageFactory(township__county=c.meixian, township__name="石扇镇", name="石扇村")
    c.dabu_village = VillageFactory(township__county=c.dabu, township__name="大麻镇", name="大麻村")
    c.yingde_village = VillageFactory(township__county=c.yingde, township__name="横石塘镇", name="仙桥村")
    c.xuwen_village = VillageFactory(township__county=c.xuwen, township__name="曲界镇", name="愚公楼村")

    # 3 households in the pomelo cooperative (one also in the Dabu one), 2 in tea.
    c.households = [
        make_household(village=c.meixian_village, head_name="李金柚", market_subjects=[c.pomelo_coop]),
        make_household(village=c.meixian_village, head_name="王大伯", market_subjects=[c.pomelo_coop]),
        make_household(village=c.meixian_village, head_name="陈阿婆", market_subjects=[c.pomelo_coop, c.dabu_coop]),
        make_household(village=c.yingde_village, head_name="黄茶农", market_subjects=[c.tea_coop]),
        make_household(village=c.yingde_village, head_name="邓茶农", market_subjects=[c.tea_coop]),
    ]

    c.pomelo = storefront_product(
        title="梅县金柚 5斤装", brand=c.pomelo_brand, market_subject=c.pomelo_coop, village=c.meixian_village,
        price="39.90", stock=100, categories=[c.citrus], certificate_number="粤扶认〔2020〕0101号",
    )
    c.dabu_pomelo = storefront_product(
        title="大埔蜜柚礼盒", brand=c.pomelo_brand, market_subject=c.dabu_coop, village=c.dabu_village,
        price="59.00", stock=0, categories=[c.citrus], certificate_number="粤扶认〔2020〕0102号",
    )
    c.black_tea_product = storefront_product(
        title="英红九号 250克", brand=c.tea_brand, market_subject=c.tea_coop, village=c.yingde_village,
        price="88.00", stock=30, categories=[c.black_tea], certificate_number="粤扶认〔2019〕0301号",
    )
    c.pineapple_product = storefront_product(
        title="徐闻菠萝 10斤", brand=c.pineapple_brand, market_subject=c.pineapple_coop, village=c.xuwen_village,
        price="45.00", stock=50, categories=[c.pineapple], is_fresh=True, certificate_number="粤扶认〔2018〕0401号",
    )
    # The pineapple certificate ran out.
    c.pineapple_product.origin.certificate_valid_until = datetime.date(2020, 12, 31)
    c.pineapple_product.origin.save()
    return c


def add_products(catalogue, count, *, prefix="加购金柚"):
    """``count`` more products spread over the brands and categories."""
    combos = [
        (catalogue.pomelo_brand, catalogue.pomelo_coop, catalogue.meixian_village, catalogue.citrus),
        (catalogue.tea_brand, catalogue.tea_coop, catalogue.yingde_village, catalogue.black_tea),
        (catalogue.pineapple_brand, catalogue.pineapple_coop, catalogue.xuwen_village, catalogue.pineapple),
    ]
    products = []
    for index in range(count):
        brand, subject, village, category = combos[index % len(combos)]
        products.append(
            storefront_product(
                title=f"{prefix} {index:03d}", brand=brand, market_subject=subject, village=village,
                price=f"{20 + index % 50}.00", stock=10 + index, categories=[category],
            )
        )
    return products


@pytest.fixture
def home_page(db):
    """A Wagtail HomePage as the root of the default site."""
    from wagtail.models import Page, Site

    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="乡品通", slug="xiangpin-home", hero_title="广东扶贫好物",
                                            hero_text="从省定贫困村直达你家"))
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    return home


@pytest.fixture
def customer(db):
    return UserFactory(username="xiaoming", email="xiaoming@example.com")


def bulk_add_products(catalogue, count, *, prefix="批量商品"):
    """``count`` more products in a handful of bulk inserts (for catalogue sizes in the
    thousands): product, stock record, origin and category, spread like add_products."""
    product_class = catalogue.pomelo.product_class
    combos = [
        (catalogue.pomelo_brand, catalogue.pomelo_coop, catalogue.meixian_village, catalogue.citrus),
        (catalogue.tea_brand, catalogue.tea_coop, catalogue.yingde_village, catalogue.black_tea),
        (catalogue.pineapple_brand, catalogue.pineapple_coop, catalogue.xuwen_village, catalogue.pineapple),
    ]
    start = Product.objects.count()
    products = Product.objects.bulk_create(
        Product(title=f"{prefix} {start + index:05d}", slug=f"bulk-{start + index}", product_class=product_class,
                structure=Product.STANDALONE, is_public=True)
        for index in range(count)
    )
    rows = list(zip(products, (combos[index % len(combos)] for index in range(count))))
    StockRecord.objects.bulk_create(
        StockRecord(product=product, partner=subject.partner, partner_sku=f"BULK-{product.pk}",
                    price=Decimal(20 + product.pk % 50), price_currency="CNY", num_in_stock=10 + product.pk % 90)
        for product, (_brand, subject, _village, _category) in rows
    )
    ProductOrigin.objects.bulk_create(
        ProductOrigin(product=product, brand=brand, county=village.township.county, village=village,
                      market_subject=subject, certificate_number="粤扶认〔2020〕9999号",
                      certificate_issuer="广东省扶贫开发办公室", certificate_valid_until=datetime.date(2027, 12, 31))
        for product, (brand, subject, village, _category) in rows
    )
    ProductCategory.objects.bulk_create(
        ProductCategory(product=product, category=category) for product, (*_rest, category) in rows
    )
    page_cache_invalidate()  # bulk inserts send no signals
    return products
