"""The public trace page of a batch: short URL, GS1 Digital Link URL, the
friendly not-found page; households by consented alias only."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.harvest.models import TraceEvent
from tests.factories import make_household

from .conftest import CANARY_ID, CANARY_NAME, GTIN13, GTIN14, Disposition, Recorder, Step, at, record

pytestmark = pytest.mark.django_db


def text(html):
    """Visible text with tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def attribute_values(html, name):
    return re.findall(rf'{name}="([^"]*)"', html)


def test_short_url(client, scenario):
    batch = scenario.batch
    assert batch.get_absolute_url() == f"/t/{batch.code}/"
    response = client.get(f"/t/{batch.code}/")
    assert response.status_code == 200
    assert response.templates[0].name == "traceability/batch_detail.html"
    assert "X-Page-Cache" not in response  # never served from the page cache
    html = response.content.decode()
    page = text(html)
    # Product (linked to its page), brand (linked), place, market subject.
    assert f'<a href="{scenario.product.get_absolute_url()}" data-trace-product>高州荔枝 3斤装</a>' in html
    assert '<a href="/zh-hans/brands/gaozhou-lychee/" data-trace-brand>高州荔枝</a>' in html
    place = html[html.index("data-trace-place"):]
    place = text(place[place.index(">") + 1: place.index("</ol>")])
    assert place == "茂名市 高州市 根子镇 柏桥村 省定贫困村"
    assert '<a href="/v/440981101201/">柏桥村</a>' in html
    assert "高州根子荔枝专业合作社 （农民专业合作社）" in page
    # Harvest and inspection.
    assert "采收日期 2026-11-01" in page
    assert "批次数量 60 件" in page
    assert "质检报告 GDQT-2026-0417" in page
    assert "质检结论 合格" in page
    assert "质检日期 2026-11-02" in page
    assert "检测机构 茂名市农产品质量检测中心" in page
    assert f'<strong class="xp-trace-code" data-batch-code>{batch.code}</strong>' in html
    # The QR code of the GS1 Digital Link URL (the product has a GTIN).
    assert f'<img src="/t/{batch.code}/qr.svg"' in html
    assert f"http://testserver/01/{GTIN14}/10/{batch.code}" in html
    assert f'<link rel="canonical" href="http://testserver/t/{batch.code}/">' in html


def test_households_by_consented_alias_only(client, scenario):
    html = client.get(scenario.batch.get_absolute_url()).content.decode()
    assert attribute_values(html, "data-trace-households") == ["3"]
    aliases = re.findall(r"<li data-household-alias>([^<]*)</li>", html)
    assert aliases == ["高州市 李姓农户", "高州市 王姓农户"]
    assert "另有 1 户未公开姓名" in text(html)
    # The canary (no consent): neither its name nor its surname alias, ID number or phone.
    for secret in (CANARY_NAME, "甄姓", CANARY_ID, CANARY_ID[-4:] + "<", "13800007777", scenario.canary.registration_number):
        assert secret not in html
    # Nor the consenting households' full names or registration numbers.
    for household in (scenario.li, scenario.wang):
        assert household.head_name not in html and household.registration_number not in html


def test_no_consented_household_is_only_counted(client, scenario):
    from shop.harvest.services import ContributionInput, contributions_replace

    contributions_replace(batch=scenario.batch, contributions=[
        ContributionInput(household=scenario.canary, quantity=20, income_rule="purchase_price", purchase_price=6),
    ])
    html = client.get(scenario.batch.get_absolute_url()).content.decode()
    assert "data-household-alias" not in html
    assert attribute_values(html, "data-households-unnamed") == ["1"]
    assert "1 户贫困户供货（未公开姓名）" in text(html)
    assert CANARY_NAME not in html


def test_events_in_time_order_with_temperature(client, scenario):
    html = client.get(scenario.batch.get_absolute_url()).content.decode()
    assert attribute_values(html, "data-event-step") == [
        "commissioning", "inspecting", "storing", "shipping", "receiving",
    ]
    assert re.findall(r"data-event-time>([^<]*)<", html) == [
        "2026-11-01 08:00", "2026-11-02 14:00", "2026-11-03 09:30", "2026-11-04 06:00", "2026-11-05 10:00",
    ]
    assert attribute_values(html, "data-event-temperature") == ["4.0", "3.5", "5.0"]
    timeline = text(html[html.index("data-trace-events"):html.index("</ol>", html.index("data-trace-events"))])
    assert "2026-11-03 09:30 入库冷藏 · 处理中 高州市冷链仓储中心 · 对象事件 · 记录方：仓储/服务中心 温度 4.0 ℃" in timeline
    assert "2026-11-05 10:00 到货签收 · 可销售 天河区林和社区自提点 · 对象事件 · 记录方：自提点 温度 5.0 ℃" in timeline
    assert "2026-11-02 14:00 质量检测 · 检测合格 茂名市农产品质量检测中心" in timeline


def test_lowercase_and_look_alike_code(client, scenario):
    code = scenario.batch.code
    for typed in (code.lower(), code[:4] + "-" + code[4:].lower()):
        response = client.get(f"/t/{typed}/")
        assert response.status_code == 200, typed
        assert response.context["batch"].pk == scenario.batch.pk
    if "0" in code or "1" in code:  # O for 0 and l for 1 are read as the digits
        typed = code.replace("0", "O").replace("1", "l")
        assert client.get(f"/t/{typed}/").context["batch"].pk == scenario.batch.pk


@pytest.mark.parametrize("gtin", [GTIN14, GTIN13])
def test_gs1_digital_link(client, scenario, gtin):
    code = scenario.batch.code
    response = client.get(f"/01/{gtin}/10/{code}")
    assert response.status_code == 200
    assert response.templates[0].name == "traceability/batch_detail.html"
    assert response.context["batch"].pk == scenario.batch.pk
    assert client.get(f"/01/{gtin}/10/{code.lower()}/").status_code == 200


def assert_friendly_404(response, code=None):
    assert response.status_code == 404
    assert response.templates[0].name == "traceability/not_found.html"
    html = response.content.decode()
    assert "data-trace-not-found" in html
    assert '<form class="xp-trace-search" method="get" action="/t/" role="search">' in html
    assert '<input id="xp-trace-code" type="text" name="code"' in html
    assert '<a href="/zh-hans/">返回首页</a>' in html
    if code is not None:
        assert f"没有找到与「{code}」对应的批次或村码。" in html


@pytest.mark.parametrize("gtin", ["06901234567893", "6901234567893", "12345678", "abc", "069012345678920"])
def test_gs1_with_wrong_gtin_is_not_found(client, scenario, gtin):
    assert_friendly_404(client.get(f"/01/{gtin}/10/{scenario.batch.code}"))


def test_gs1_without_product_gtin_is_not_found(client, scenario):
    scenario.product.origin.gtin = ""
    scenario.product.origin.save()
    assert_friendly_404(client.get(f"/01/{GTIN14}/10/{scenario.batch.code}"))
    # ... and the QR code encodes the short URL instead.
    assert client.get(scenario.batch.get_absolute_url()).context["qr_url"] == f"http://testserver/t/{scenario.batch.code}/"


@pytest.mark.parametrize("code", ["ZZZZZZZZ", "zz-zz", "梅州金柚", "A" * 60])
def test_unknown_code_gets_the_friendly_404(client, scenario, code):
    response = client.get(f"/t/{code}/")
    assert_friendly_404(response, code[:40])
    assert "X-Page-Cache" not in response
    assert_friendly_404(client.get(f"/t/{code}/qr.svg"))


def test_unknown_code_is_never_cached_as_found(client, scenario):
    """A 404 for a code, then the batch: the page is found at once."""
    assert client.get("/t/NEWBATCH/").status_code == 404
    assert client.get("/t/NEWBATCH/").status_code == 404
    assert client.get(scenario.batch.get_absolute_url()).status_code == 200


def test_lookup_box_goes_to_the_trace_page(client, scenario):
    response = client.get("/t/", {"code": " " + scenario.batch.code.lower() + " "})
    assert response.status_code == 302 and response["Location"] == f"/t/{scenario.batch.code}/"
    response = client.get("/t/")
    assert response.status_code == 200 and response.templates[0].name == "traceability/not_found.html"
    assert "data-trace-not-found" not in response.content.decode()
    assert_friendly_404(client.get("/t/", {"code": "///"}))


def test_page_follows_the_visitor_language(client, scenario):
    response = client.get(scenario.batch.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]
    assert '<a href="/en/brands/gaozhou-lychee/"' in response.content.decode()


def test_new_event_shows_at_once(client, scenario):
    assert client.get(scenario.batch.get_absolute_url()).content.decode().count("data-event-step=") == 5
    record(scenario.batch, Step.RETAIL_SELLING, Disposition.COMPLETED, at(6, 18), "天河区林和社区自提点", Recorder.PICKUP_POINT)
    html = client.get(scenario.batch.get_absolute_url()).content.decode()
    assert attribute_values(html, "data-event-step")[-1] == "retail_selling"


def trace_page_queries(client, url):
    client.get(url)  # layout fragments (logo, navigation, footer) cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_trace_page_queries_do_not_grow_with_events_and_households(client, scenario):
    url = scenario.batch.get_absolute_url()
    TraceEvent.objects.filter(batch=scenario.batch).exclude(business_step=Step.COMMISSIONING).delete()
    scenario.batch.contributions.exclude(household=scenario.li).delete()
    assert scenario.batch.events.count() == 1 and scenario.batch.contributions.count() == 1
    one = trace_page_queries(client, url)

    for day in range(2, 11):
        record(scenario.batch, Step.STORING, Disposition.IN_PROGRESS, at(day, 9), "冷库", Recorder.WAREHOUSE, "4.0")
    for _ in range(9):
        household = make_household(village=scenario.village, head_name="陈阿婆", alias_consent=True)
        scenario.batch.contributions.create(household=household, quantity=1, income_rule="purchase_price", purchase_price=5)
    assert scenario.batch.events.count() == 10 and scenario.batch.contributions.count() == 10
    ten = trace_page_queries(client, url)
    # batch with product, origin, brand, place and market subject; households; events
    assert one == ten == 3
    assert client.get(url).content.decode().count("data-household-alias") == 10
