"""QR codes (SVG and PNG) of batches and villages, and the village code page (一村一码)."""
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from shop.harvest.models import HarvestBatch
from shop.producers.services import household_update
from tests.factories import VillageFactory, make_batch, make_household, make_product

from .conftest import CANARY_ID, CANARY_NAME, GTIN14
from .test_trace_page import assert_friendly_404, attribute_values, text

pytestmark = pytest.mark.django_db


def test_batch_qr_svg(client, scenario):
    response = client.get(f"/t/{scenario.batch.code}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    body = response.content.decode()
    assert body.startswith("<svg") and "</svg>" in body
    assert 'xmlns="http://www.w3.org/2000/svg"' in body


def test_batch_qr_png_decodes_and_encodes_the_gs1_url(client, scenario):
    response = client.get(f"/t/{scenario.batch.code.lower()}/qr.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age=86400" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG" and image.size[0] == image.size[1] and image.size[0] >= 200
    # What it encodes: the same segno code of the absolute GS1 Digital Link URL.
    import segno

    expected = io.BytesIO()
    segno.make_qr(f"http://testserver/01/{GTIN14}/10/{scenario.batch.code}", error="m").save(
        expected, kind="png", scale=8, border=4)
    assert response.content == expected.getvalue()


def test_batch_qr_without_gtin_encodes_the_short_url(client, scenario):
    import segno

    scenario.product.origin.gtin = ""
    scenario.product.origin.save()
    response = client.get(f"/t/{scenario.batch.code}/qr.svg")
    expected = io.BytesIO()
    segno.make_qr(f"http://testserver/t/{scenario.batch.code}/", error="m").save(
        expected, kind="svg", scale=4, border=4, xmldecl=False)
    assert response.content == expected.getvalue()


def test_village_page(client, scenario):
    other_village = VillageFactory(township=scenario.township, code="440981101202", name="石古村")
    other = make_product(title="高州桂圆干 500克", brand=scenario.brand, market_subject=scenario.subject,
                         village=other_village)
    make_batch(product=other, quantity=10)
    second = make_batch(product=scenario.product, quantity=20, harvested_on=datetime.date(2026, 11, 20))
    honey = make_product(title="根子蜂蜜 500克", brand=scenario.brand, market_subject=scenario.subject,
                         village=scenario.village)
    household_update(household=scenario.wang, status="lifted", lifted_out_year=2019)

    response = client.get("/v/440981101201/")
    assert response.status_code == 200
    assert response.templates[0].name == "traceability/village_detail.html"
    html = response.content.decode()
    page = text(html)
    place = html[html.index("data-village-place"):]
    assert text(place[place.index(">") + 1: place.index("</ol>")]) == "茂名市 高州市 根子镇 柏桥村"
    assert "data-poor-village" in html and "村码 440981101201 省定贫困村" in page
    # Its products (linked), not the neighbour village's.
    products = html[html.index("data-village-products"):]
    products = products[: products.index("</ul>")]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', products) == [
        (honey.get_absolute_url(), "根子蜂蜜 500克"),
        (scenario.product.get_absolute_url(), "高州荔枝 3斤装"),
    ]
    # Its batches, newest first, linked to their trace pages.
    batches = html[html.index("data-village-batches"):]
    batches = batches[: batches.index("</ul>")]
    assert re.findall(r'href="([^"]+)">([^<]+)</a>', batches) == [
        (f"/t/{second.code}/", second.code), (f"/t/{scenario.batch.code}/", scenario.batch.code),
    ]
    assert "2026-11-20 采收" in text(batches)
    # Households: counted, never named (not even by alias).
    assert attribute_values(html, "data-village-households") == ["3"]
    assert "本村建档立卡贫困户 3 户，其中已脱贫 1 户" in page
    for secret in (CANARY_NAME, CANARY_ID, "李金柚", "王大伯", "李姓", scenario.li.registration_number):
        assert secret not in html
    assert '<img src="/v/440981101201/qr.svg"' in html
    assert "http://testserver/v/440981101201/" in html


def test_village_page_queries_are_constant(client, scenario):
    def count():
        client.get("/v/440981101201/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/v/440981101201/").status_code == 200
        return len(queries.captured_queries)

    before = count()
    for n in range(5):
        make_product(title=f"柏桥村产品{n}", brand=scenario.brand, market_subject=scenario.subject, village=scenario.village)
        make_batch(product=scenario.product, quantity=5)
        make_household(village=scenario.village, head_name="陈阿婆")
    # village chain, products, batches, household counts
    assert before == count() == 4


def test_village_page_lists_the_newest_20_batches(client, scenario):
    for _ in range(21):
        make_batch(product=scenario.product, quantity=1)
    assert HarvestBatch.objects.filter(village=scenario.village).count() == 22
    html = client.get("/v/440981101201/").content.decode()
    batches = html[html.index("data-village-batches"):]
    assert batches[: batches.index("</ul>")].count("<li>") == 20
    assert "仅显示最近 20 个批次" in html


def test_village_qr(client, scenario):
    response = client.get("/v/440981101201/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    Image.open(io.BytesIO(response.content)).load()
    response = client.get("/v/440981101201/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "<svg" in response.content.decode()


@pytest.mark.parametrize("code", ["440981101299", "44098110120", "4409811012011", "abcdefghijkl", "４４０９８１１０１２０１"])
def test_unknown_village_gets_the_friendly_404(client, scenario, code):
    assert_friendly_404(client.get(f"/v/{code}/"))
    assert_friendly_404(client.get(f"/v/{code}/qr.png"))
