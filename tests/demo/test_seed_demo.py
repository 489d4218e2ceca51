from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from oscar.core.loading import get_model
from wagtail.models import Page, Site

from cms.models import ContentPage, HomePage, StoryPage
from shop.brands.models import Brand, ProductOrigin
from shop.core import roles
from shop.core.demo import codes
from shop.core.demo.public_text import is_public
from shop.producers.models import Household, MarketSubject
from shop.producers.services import id_number_checksum_is_valid
from shop.regions.models import County, ServicePoint, Village

from .conftest import HOUSEHOLDS, PRODUCTS

Product = get_model("catalogue", "Product")

pytestmark = pytest.mark.django_db


def test_second_run_creates_nothing(seeded):
    first, second = seeded["counts"]
    assert first == second
    assert "本次新建：无" in seeded["outputs"][1]


def test_requested_scale(seeded):
    counts = seeded["counts"][1]
    assert counts["建档立卡贫困户"] == HOUSEHOLDS
    assert counts["商品"] == PRODUCTS
    assert counts["地级市"] == 16
    assert counts["区域公用品牌"] >= 12
    assert counts["市场主体"] >= 20
    assert counts["其中城市自提点/提货柜"] >= 12


@pytest.mark.parametrize("code, name, city_code, city_name", [
    ("441403", "梅县区", "441400", "梅州市"),
    ("441422", "大埔县", "441400", "梅州市"),
    ("441881", "英德市", "441800", "清远市"),
    ("441882", "连州市", "441800", "清远市"),
    ("440825", "徐闻县", "440800", "湛江市"),
    ("441621", "紫金县", "441600", "河源市"),
    ("440106", "天河区", "440100", "广州市"),
    ("440305", "南山区", "440300", "深圳市"),
])
def test_real_division_codes(seeded, code, name, city_code, city_name):
    county = County.objects.select_related("city").get(code=code)
    assert (county.name, county.city.code, county.city.name) == (name, city_code, city_name)


def test_township_and_village_codes_nest(seeded):
    for village in Village.objects.select_related("township__county"):
        assert village.code.startswith(village.township.code)
        assert village.township.code.startswith(village.township.county.code)
        assert (len(village.code), len(village.township.code)) == (12, 9)
    assert County.objects.get(code="441403").townships.filter(name="雁洋镇").exists()


def test_households_have_valid_fake_id_numbers(seeded):
    households = list(Household.objects.select_related("village__township__county"))
    assert len(households) == HOUSEHOLDS
    for household in households:
        assert id_number_checksum_is_valid(household.id_number)
        assert household.id_number.startswith(household.village.township.county.code)
        assert household.village.is_provincial_poor_village
        assert 1 <= household.members <= 7
        assert household.able_bodied_members <= household.members
        assert not is_public(household.head_name)


def test_household_personal_data_is_encrypted_at_rest(seeded):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, head_name FROM producers_household")
        rows = cursor.fetchall()
    assert len(rows) == HOUSEHOLDS
    for id_number, head_name in rows:
        assert id_number.startswith("gAAAAA")
        assert head_name.startswith("gAAAAA")


def test_households_belong_to_subjects_of_their_county(seeded):
    for household in Household.objects.prefetch_related("cooperatives").select_related("village__township"):
        subjects = list(household.cooperatives.all())
        assert 1 <= len(subjects) <= 2
        assert {s.county_id for s in subjects} == {household.village.township.county_id}


def test_every_product_has_origin_stock_and_image(seeded):
    products = Product.objects.select_related(
        "origin__village__township", "origin__market_subject__partner", "product_class",
    ).prefetch_related("stockrecords", "images", "categories")
    for product in products:
        origin = product.origin
        assert origin.village.township.county_id == origin.county_id
        assert origin.market_subject.county_id == origin.county_id
        assert origin.brand.counties.filter(pk=origin.county_id).exists()
        assert origin.certificate_number.startswith("粤扶认〔")
        assert origin.certificate_valid_until.year in (2027, 2028)
        [stockrecord] = product.stockrecords.all()
        assert stockrecord.partner_id == origin.market_subject.partner_id
        assert stockrecord.price_currency == "CNY" and stockrecord.price > 0
        [image] = product.images.all()
        assert image.display_order == 0
        assert Path(seeded["media"], image.original.name).is_file()
        assert product.categories.count() == 1
        assert product.product_class.requires_shipping and product.product_class.track_stock


def test_gtins_have_right_check_digit(seeded):
    gtins = [g for g in ProductOrigin.objects.values_list("gtin", flat=True) if g]
    assert len(gtins) == PRODUCTS // 2
    assert all(codes.gtin_is_valid(g) for g in gtins)


def test_brands_have_logos_and_counties(seeded):
    for brand in Brand.objects.prefetch_related("counties"):
        assert brand.counties.exists()
        assert Path(seeded["media"], brand.logo.name).is_file()
    assert set(Brand.objects.get(slug="meizhou-jinyou").counties.values_list("code", flat=True)) == {"441403", "441422"}


def test_home_page_is_default_site_root(seeded):
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    assert isinstance(home, HomePage)
    assert (site.hostname, site.port) == ("localhost", 80)
    assert [block.block_type for block in home.body].count("featured_products") == 2
    assert "featured_brands" in [block.block_type for block in home.body]
    assert not Page.objects.filter(depth=2).exclude(pk=home.pk).exists()
    assert ContentPage.objects.child_of(home).filter(title="关于乡品通").exists()
    assert 4 <= StoryPage.objects.live().count() <= 6


def test_demo_accounts_have_their_roles(seeded):
    User = get_user_model()
    coop = User.objects.get(username="coop@xiangpin.demo")
    assert coop.groups.filter(name=roles.COOPERATIVE_STAFF).exists()
    assert coop.partners.filter(market_subject__isnull=False).exists()
    pickup = User.objects.get(username="pickup@xiangpin.demo")
    point = pickup.service_points.get()
    assert point.kind in ServicePoint.URBAN_KINDS and point.county.city.code == "440100"
    assert User.objects.get(username="campaign@xiangpin.demo").is_staff
    assert User.objects.get(username="admin@xiangpin.demo").is_superuser
    assert User.objects.get(username="officer@xiangpin.demo").groups.filter(name=roles.PROGRAMME_OFFICER).exists()
    assert User.objects.get(username="consumer@xiangpin.demo").check_password("xiangpin-demo-2026")
    assert MarketSubject.objects.values("kind").distinct().count() == 3
