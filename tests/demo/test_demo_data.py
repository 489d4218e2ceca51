"""The demo's data modules, without a database."""
from shop.core.demo import codes, people, regions_data
from shop.core.demo.catalogue_specs import all_product_specs, product_specs
from shop.producers.services import id_number_checksum_is_valid


def test_product_specs_are_prefix_stable_and_unique():
    assert product_specs(25) == product_specs(120)[:25]
    specs = all_product_specs()
    assert len(specs) >= 2000
    assert len({s.sku for s in specs}) == len({s.title for s in specs}) == len(specs)


def test_first_products_cover_every_brand():
    from shop.core.demo.brands_data import BRANDS

    assert {s.brand_slug for s in product_specs(len(BRANDS))} == {b["slug"] for b in BRANDS}


def test_id_number_check_digit_matches_the_service():
    import random

    rng = random.Random(1)
    for serial in range(200):
        person = people.fake_household(rng, county_code="441403", serial=serial)
        assert id_number_checksum_is_valid(person.id_number)
        assert person.phone in ("", f"1380000{serial:04d}")


def test_known_check_digits():
    assert codes.gtin13("400638133393") == "4006381333931"
    assert codes.gtin_is_valid("4006381333931") and not codes.gtin_is_valid("4006381333932")
    assert codes.id_number("110105", "19491231", 2) == "11010519491231002X"
    # The example code of GB 32100.
    assert codes.organisation_code("M000100Y") == "M000100Y4"
    assert codes.unified_social_credit_code("91", "350100", "M000100Y") == "91350100M000100Y43"


def test_fourteen_poor_village_cities():
    names = {name for _, name, _, _ in regions_data.POOR_VILLAGE_CITIES}
    assert len(names) == 14
    assert {"梅州市", "清远市", "湛江市", "茂名市", "江门市", "惠州市", "肇庆市"} <= names
    assert "汕头市" not in names


def test_pictures_are_drawn_without_a_cjk_font(monkeypatch):
    import io

    from PIL import Image

    from shop.core.demo import images

    monkeypatch.setattr(images, "_font", lambda size: None)
    data = images.product_image_bytes(title="红肉蜜柚", subtitle="梅州金柚 · 5斤装", colour=(236, 138, 44), glyph="柑")
    picture = Image.open(io.BytesIO(data))
    assert (picture.format, picture.size) == ("JPEG", (600, 600))
    assert Image.open(io.BytesIO(images.brand_logo_bytes(name="梅州金柚", colour=(236, 138, 44)))).format == "PNG"
