"""The dashboard menu shows the Xiangpin section item by item to whoever may open
it; Oscar's own catalogue dashboard keeps cooperatives to their own products."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.apps.dashboard.menu import get_nodes
from oscar.apps.dashboard.nav import _dashboard_url_names_to_config

from shop.producers.models import Membership
from shop.regions.models import County, ServicePoint, Township, Village
from tests.factories import BrandFactory, MarketSubjectFactory, make_household, make_product

from .support import bo_url

EVERY_ITEM = ["地级市", "县（市、区）", "乡镇", "行政村", "服务网点", "市场主体", "建档立卡贫困户", "区域公用品牌", "商品产地与认定",
              "采收批次", "自提点到货批次"]


def _xiangpin_items(user):
    for node in get_nodes(user):
        if str(node.label) == "乡村振兴":
            return [str(child.label) for child in node.children]
    return []


@pytest.mark.parametrize(
    ("role", "items"),
    [
        ("admin", EVERY_ITEM),
        ("officer", EVERY_ITEM[:-1]),  # officers record no events
        ("coop_a", ["地级市", "县（市、区）", "乡镇", "行政村", "市场主体", "建档立卡贫困户", "区域公用品牌", "商品产地与认定",
                    "采收批次"]),
        ("operations", ["地级市", "县（市、区）", "服务网点", "区域公用品牌", "商品产地与认定"]),
        ("pickup", ["服务网点", "自提点到货批次"]),
        ("bare_staff", []),
        ("consumer", []),
    ],
)
def test_menu_items_follow_permissions(world, role, items):
    assert _xiangpin_items(world.users[role]) == items


def test_backoffice_urls_are_known_to_oscars_dashboard_navigation(world):
    configs = _dashboard_url_names_to_config()
    assert configs["household-list"].label == "backoffice"
    assert configs["product-origin-update"].label == "backoffice"


def test_a_cooperative_sees_the_section_in_the_rendered_dashboard(world, login):
    html = login(world.users["coop_a"]).get("/zh-hans/shop/dashboard/").content.decode()
    assert "乡村振兴" in html
    assert f'href="{bo_url("household-list")}"' in html
    assert f'href="{bo_url("service-point-list")}"' not in html


def _product_url(product):
    return f"/zh-hans/shop/dashboard/catalogue/products/{product.pk}/"


def test_oscar_catalogue_keeps_cooperative_a_out_of_cooperative_bs_product(world, login):
    client = login(world.users["coop_a"])
    product_b = world.product_b
    assert client.get(_product_url(product_b)).status_code == 404
    response = client.post(_product_url(product_b), {"title": "被篡改", "upc": "", "is_public": "on"})
    assert response.status_code == 404
    product_b.refresh_from_db()
    assert product_b.title == "平远脐橙 10斤装"
    listed = client.get("/zh-hans/shop/dashboard/catalogue/").context["products"].data
    assert sorted(product.title for product in listed) == ["梅县客家娘酒", "梅州金柚 5斤装"]


def test_oscar_product_page_links_to_the_origin_record(world, login):
    html = login(world.users["coop_a"]).get(_product_url(world.product_a)).content.decode()
    assert f'href="{bo_url("product-origin-detail", pk=world.product_a.origin.pk)}"' in html
    html = login(world.users["admin"]).get(_product_url(world.product_bare)).content.decode()
    assert f'href="{bo_url("product-origin-create", product_pk=world.product_bare.pk)}"' in html


def _count_queries(client, url):
    """(queries, rows listed) for one request of a list page."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), len(response.context["rows"])


def _grow(world):
    """Add rows to every list (more than before, fewer than a page)."""
    for number in range(6):
        subject = MarketSubjectFactory(name=f"增长合作社{number}", county=world.county_a)
        subject.partner.users.add(world.users["coop_a"])
        household = make_household(village=world.village_a2, head_name=f"赵{number}", market_subjects=[subject])
        Membership.objects.create(household=household, market_subject=world.subject_a)
        make_product(title=f"增长商品{number}", market_subject=subject, brand=BrandFactory(counties=[world.county_a]),
                     village=world.village_a2)
        County.objects.create(city=world.city, code=f"44145{number}", name=f"增长县{number}")
        Township.objects.create(county=world.county_a, code=f"44140320{number}", name=f"增长镇{number}")
        Village.objects.create(township=world.township_a, code=f"441403100{400 + number}", name=f"增长村{number}")
        point = ServicePoint.objects.create(kind="locker", name=f"增长提货柜{number}", code=f"grow-{number}",
                                            county=world.point_p.county, address="广州市")
        point.staff.add(world.users["pickup"], world.users["admin"])


LISTS = ["household-list", "market-subject-list", "product-origin-list", "village-list", "brand-list", "county-list",
         "township-list"]


@pytest.mark.parametrize(
    ("role", "name"),
    [("admin", name) for name in LISTS + ["service-point-list"]]
    + [("coop_a", name) for name in LISTS]
    + [("pickup", "service-point-list")],
)
def test_list_queries_do_not_grow_with_rows(world, client, role, name):
    client.force_login(world.users[role])
    url = bo_url(name)
    queries_before, rows_before = _count_queries(client, url)
    _grow(world)
    queries_after, rows_after = _count_queries(client, url)
    assert rows_after > rows_before
    assert queries_after == queries_before
