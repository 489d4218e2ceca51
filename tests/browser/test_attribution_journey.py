"""Every sale back to the households, in a real browser (headless Chromium):
a signed-in consumer buys a pomelo whose batch two households supplied, opens
the trace page from the order page and sees the consenting household's alias
and the circulation events (never the other household's name); the programme
officer sees the sale in the report with its chart, and the cooperative sees it
in its own, masked view. Screenshots go to tests/artifacts/."""
import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from shop.attribution.models import LedgerEntry
from shop.core.roles import COOPERATIVE_STAFF, PROGRAMME_OFFICER, ensure_roles
from shop.harvest.models import TraceEvent
from shop.harvest.services import trace_event_record
from tests.factories import (
    BrandFactory,
    CountyFactory,
    MarketSubjectFactory,
    ServicePointFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    make_batch,
    make_household,
    make_product,
)

from .journey import pickup_checkout
from .test_consumer_journey import ARTIFACTS, run_in_chromium

SECRET_NAME = "甄未公开"


def _session_cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


def _world():
    ensure_roles()
    county = CountyFactory(code="441403", name="梅县区", city__code="441400", city__name="梅州市")
    village = VillageFactory(township=TownshipFactory(county=county, name="松口镇"), name="大黄村", code="441403100201")
    subject = MarketSubjectFactory(name="梅县金柚专业合作社", county=county)
    brand = BrandFactory(name="梅州金柚", slug="meizhou-jinyou", counties=[county])
    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=0, market_subject=subject,
                          brand=brand, village=village)
    li = make_household(village=village, head_name="李春梅", market_subjects=[subject], registration_number="JD44140300001")
    hidden = make_household(village=village, head_name=SECRET_NAME, market_subjects=[subject], alias_consent=False,
                            registration_number="JD44140300002")
    batch = make_batch(product=pomelo, quantity=20, households=[(li, 12), (hidden, 8)], purchase_price=Decimal("14.00"),
                       harvested_on=datetime.date(2026, 11, 10))
    point = ServicePointFactory(name="林和社区自提点", county=CountyFactory(code="440106", name="天河区",
                                                                       city__code="440100", city__name="广州市"))
    trace_event_record(batch=batch, business_step=TraceEvent.BusinessStep.SHIPPING,
                       disposition=TraceEvent.Disposition.IN_TRANSIT, place="梅县松口镇集配中心",
                       occurred_at=timezone.now() - datetime.timedelta(hours=5), recorder=TraceEvent.Recorder.COOPERATIVE)
    consumer = UserFactory(email="chen@example.com", first_name="晓", last_name="陈")
    officer = UserFactory(email="officer@example.com")
    officer.groups.add(ensure_roles()[PROGRAMME_OFFICER])
    coop = UserFactory(email="coop@example.com")
    coop.groups.add(ensure_roles()[COOPERATIVE_STAFF])
    subject.partner.users.add(coop)
    return pomelo, batch, point, consumer, officer, coop


def buy_then_trace(page, base_url, pomelo_url, batch_code, consumer_cookie):
    page.context.add_cookies([consumer_cookie])
    page.goto(base_url + pomelo_url)
    expect(page.locator(f"[data-trace-link='{batch_code}']").first).to_be_visible()
    page.locator("#add_to_basket_form button[type=submit], form.add-to-basket button[type=submit]").first.click()
    page.goto(f"{base_url}/zh-hans/shop/checkout/")
    pickup_checkout(page)

    # The order page, from the account's order history.
    page.goto(f"{base_url}/zh-hans/shop/accounts/orders/")
    page.locator("a[href*='/shop/accounts/orders/']").filter(has_text=re.compile(r"\d{6}")).first.click()
    expect(page.locator(f"[data-trace-link='{batch_code}']").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "attribution-order-page.png"), full_page=True)
    page.locator(f"[data-trace-link='{batch_code}']").first.click()
    expect(page).to_have_url(re.compile(rf"/t/{batch_code}/$"))
    body = page.locator("body").inner_text()
    page.screenshot(path=str(ARTIFACTS / "attribution-trace-page.png"), full_page=True)
    return body


def report_view(page, base_url, cookie, screenshot):
    page.set_viewport_size({"width": 1280, "height": 900})  # an office screen
    page.context.add_cookies([cookie])
    page.goto(f"{base_url}/zh-hans/shop/dashboard/xiangpin/reports/attribution/?dimension=household")
    expect(page.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(500)  # the chart's entry animation
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    return page.locator("body").inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sale_traced_to_households_and_reported(live_server):
    pomelo, batch, point, consumer, officer, coop = _world()
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url

    trace_text = run_in_chromium(buy_then_trace, base, pomelo.get_absolute_url(), batch.code,
                                 _session_cookie(consumer, base))
    assert "梅县区 李姓农户" in trace_text
    assert SECRET_NAME not in trace_text and "李春梅" not in trace_text
    assert "梅县松口镇集配中心" in trace_text and "质检报告" in trace_text
    entries = LedgerEntry.objects.filter(product=pomelo).order_by("pk")
    assert [(e.household.registration_number, e.sales_amount, e.income) for e in entries] == [
        ("JD44140300001", Decimal("23.94"), Decimal("8.40")),  # 12 of 20: 0.6 box, 0.6 × 14.00
        ("JD44140300002", Decimal("15.96"), Decimal("5.60")),
    ]

    officer_text = run_in_chromium(report_view, base, _session_cookie(officer, base), "attribution-report-officer.png")
    assert "JD44140300001" in officer_text and "¥23.94" in officer_text and "李春梅" not in officer_text
    coop_text = run_in_chromium(report_view, base, _session_cookie(coop, base), "attribution-report-cooperative.png")
    assert "JD44140300002" in coop_text and "¥15.96" in coop_text and SECRET_NAME not in coop_text
    for name in ("attribution-order-page", "attribution-trace-page", "attribution-report-officer",
                 "attribution-report-cooperative"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
