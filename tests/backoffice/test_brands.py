"""Regional public brands (logo upload, counties) and product origin records."""
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shop.brands.models import Brand, ProductOrigin
from tests.factories import BrandFactory

from .support import bo_url


def _png(width=40, height=30, mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def _brand_data(world, **changes):
    data = {
        "name": "平远脐橙", "name_en": "Pingyuan Navel Orange", "slug": "pingyuan-navel-orange",
        "counties": [world.county_b.pk], "tagline": "酸甜适中", "story": "平远县的山地脐橙。",
        "standards": "统一品种、统一包装。", "is_featured": "on", "display_order": 3,
    }
    data.update(changes)
    return data


def test_brand_create_with_logo_and_counties(world, login):
    client = login(world.users["admin"])
    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    response = client.post(bo_url("brand-create"), _brand_data(world, logo=logo))
    brand = Brand.objects.get(slug="pingyuan-navel-orange")
    assert response["Location"] == bo_url("brand-detail", pk=brand.pk)
    assert (brand.name, brand.name_en, brand.tagline, brand.story, brand.standards) == (
        "平远脐橙", "Pingyuan Navel Orange", "酸甜适中", "平远县的山地脐橙。", "统一品种、统一包装。"
    )
    assert (brand.is_featured, brand.display_order) == (True, 3)
    assert list(brand.counties.all()) == [world.county_b]
    assert brand.logo.name.startswith("brands/logo") and brand.logo.name.endswith(".png")
    assert (brand.logo.width, brand.logo.height) == (40, 30)

    both = [world.county_a.pk, world.county_b.pk]
    client.post(bo_url("brand-update", pk=brand.pk), _brand_data(world, counties=both))
    brand.refresh_from_db()
    assert set(brand.counties.all()) == {world.county_a, world.county_b}
    assert brand.logo.name.startswith("brands/logo")  # kept when no new file is sent


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (SimpleUploadedFile("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", content_type="image/png"),
         "请上传一张有效的图片。您所上传的文件不是图片或者是已损坏的图片。"),
        (SimpleUploadedFile("logo.gif", b"", content_type="image/gif"), "所提交的是空文件。"),
    ],
)
def test_brand_logo_must_be_a_real_image(world, login, upload, error):
    response = login(world.users["admin"]).post(bo_url("brand-create"), _brand_data(world, logo=upload))
    assert response.context["form"].errors == {"logo": [error]}
    assert Brand.objects.filter(slug="pingyuan-navel-orange").exists() is False


def test_brand_logo_size_format_and_pixels_are_limited(world, login):
    client = login(world.users["admin"])
    huge = SimpleUploadedFile("logo.png", _png(5000, 4000, mode="1"), content_type="image/png")
    response = client.post(bo_url("brand-create"), _brand_data(world, logo=huge))
    assert response.context["form"].errors == {"logo": ["图片像素过多（上限 1600 万像素）。"]}
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    gif = SimpleUploadedFile("logo.gif", buffer.getvalue(), content_type="image/gif")
    response = client.post(bo_url("brand-create"), _brand_data(world, logo=gif))
    assert response.context["form"].errors == {"logo": ["只接受 JPEG、PNG 或 WebP 图片。"]}


def test_a_brand_in_use_is_not_deleted_an_unused_one_is(world, login):
    client = login(world.users["admin"])
    client.post(bo_url("brand-delete", pk=world.brand.pk))
    assert Brand.objects.filter(pk=world.brand.pk).exists() is True
    unused = BrandFactory(name="德庆贡柑", slug="deqing-gonggan")
    response = client.post(bo_url("brand-delete", pk=unused.pk))
    assert response["Location"] == bo_url("brand-list")
    assert Brand.objects.filter(pk=unused.pk).exists() is False


def _origin_data(world, **changes):
    data = {
        "brand": world.brand.pk, "county": world.county_a.pk, "village": world.village_a.pk,
        "market_subject": world.subject_a.pk, "certificate_number": "粤扶认〔2020〕0088号",
        "certificate_issuer": "梅州市扶贫开发办公室", "certificate_valid_until": "2028-06-30", "is_fresh": "on",
        "gtin": "6901234567892",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_product_origin_create(world, login):
    product = world.product_bare
    client = login(world.users["admin"])
    response = client.post(bo_url("product-origin-create", product_pk=product.pk), _origin_data(world))
    origin = ProductOrigin.objects.get(product=product)
    assert response["Location"] == bo_url("product-origin-detail", pk=origin.pk)
    assert (origin.brand, origin.county, origin.village, origin.market_subject) == (
        world.brand, world.county_a, world.village_a, world.subject_a
    )
    assert (origin.certificate_number, origin.certificate_issuer, origin.certificate_valid_until) == (
        "粤扶认〔2020〕0088号", "梅州市扶贫开发办公室", datetime.date(2028, 6, 30)
    )
    assert (origin.is_fresh, origin.gtin) == (True, "6901234567892")
    # A product that already has its record is edited, not created again.
    assert client.get(bo_url("product-origin-create", product_pk=product.pk)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"gtin": "6901234567891"}, {"gtin": ["GTIN 须为 8、12、13 或 14 位数字，且校验位正确。"]}),
        ({"gtin": "69012345"}, {"gtin": ["GTIN 须为 8、12、13 或 14 位数字，且校验位正确。"]}),
        ({"village": "VILLAGE_B"}, {"village": ["所选行政村不在产地县（市、区）内。"]}),
        ({"market_subject": "SUBJECT_B"}, {"market_subject": ["该生产主体不是本商品的销售商。"]}),
        ({"certificate_valid_until": ""}, {"certificate_valid_until": ["填写了认定编号时须填写有效期。"]}),
        ({"certificate_issuer": ""}, {"certificate_issuer": ["填写了认定编号时须填写认定机构。"]}),
    ],
)
def test_product_origin_validation(world, login, changes, errors):
    substitutes = {"VILLAGE_B": world.village_b.pk, "SUBJECT_B": world.subject_b.pk}
    changes = {key: substitutes.get(value, value) for key, value in changes.items()}
    response = login(world.users["admin"]).post(
        bo_url("product-origin-create", product_pk=world.product_bare.pk), _origin_data(world, **changes)
    )
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert ProductOrigin.objects.filter(product=world.product_bare).exists() is False


def test_product_origin_county_must_be_covered_by_the_brand(world, login):
    brand = BrandFactory(name="梅县金柚", slug="meixian-pomelo", counties=[world.county_b])
    response = login(world.users["admin"]).post(
        bo_url("product-origin-create", product_pk=world.product_bare.pk), _origin_data(world, brand=brand.pk)
    )
    assert response.context["form"].errors == {"county": ["「梅县金柚」不覆盖该县（市、区）。"]}


def test_product_origin_gtin_may_be_blank_and_eight_digits_are_valid(world, login):
    client = login(world.users["admin"])
    client.post(bo_url("product-origin-create", product_pk=world.product_bare.pk), _origin_data(world, gtin="96385074"))
    assert ProductOrigin.objects.get(product=world.product_bare).gtin == "96385074"
    origin = world.product_a.origin
    client.post(bo_url("product-origin-update", pk=origin.pk), _origin_data(world, gtin=""))
    origin.refresh_from_db()
    assert origin.gtin == ""


def test_a_cooperative_edits_its_own_product_origin(world, login):
    origin = world.product_a.origin
    client = login(world.users["coop_a"])
    response = client.post(
        bo_url("product-origin-update", pk=origin.pk),
        _origin_data(world, certificate_number="粤扶认〔2021〕0100号", is_fresh=""),
    )
    assert response["Location"] == bo_url("product-origin-detail", pk=origin.pk)
    origin.refresh_from_db()
    assert (origin.certificate_number, origin.is_fresh, origin.certificate_valid_until) == (
        "粤扶认〔2021〕0100号", False, datetime.date(2028, 6, 30)
    )


def test_product_origin_list_shows_products_with_and_without_records(world, login):
    client = login(world.users["admin"])
    response = client.get(bo_url("product-origin-list"))
    rows = {row["object"].title: row for row in response.context["rows"]}
    assert sorted(rows) == ["平远梅菜干", "平远脐橙 10斤装", "梅县客家娘酒", "梅州金柚 5斤装"]
    assert [action.url for action in rows["梅县客家娘酒"]["actions"]] == [
        bo_url("product-origin-create", product_pk=world.product_bare.pk)
    ]
    assert rows["梅州金柚 5斤装"]["link"] == bo_url("product-origin-detail", pk=world.product_a.origin.pk)
    coop_rows = login(world.users["coop_a"]).get(bo_url("product-origin-list")).context["rows"]
    assert sorted(row["object"].title for row in coop_rows) == ["梅县客家娘酒", "梅州金柚 5斤装"]
    assert [row["actions"] for row in coop_rows if row["object"].title == "梅县客家娘酒"] == [[]]  # no add permission
