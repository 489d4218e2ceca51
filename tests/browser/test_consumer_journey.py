"""Playwright in headless Chromium (Debian's chromium): a consumer opens the home
page, goes to a brand, adds a product, checks out with a pickup point and sees
the confirmation; the screenshot is saved to tests/artifacts/."""
import io
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from oscar.core.loading import get_model

from tests.browser.journey import CHROMIUM_ARGS, consumer_buys_with_pickup

Order = get_model("order", "Order")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _chromium_or_skip():
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("XIANGPIN_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required here (apt-get install chromium) but was not found")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def run_in_chromium(journey, *args):
    """Run a journey in a fresh headless Chromium; the browser is closed (and
    Playwright's event loop gone) before the test touches the database again."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page.set_default_timeout(15000)
            return journey(page, *args)
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_consumer_buys_at_a_community_pickup_point(live_server):
    call_command("seed_demo", households=30, products=24, no_progress=True, stdout=io.StringIO())
    ARTIFACTS.mkdir(exist_ok=True)

    number = run_in_chromium(consumer_buys_with_pickup, live_server.url, ARTIFACTS)

    order = Order.objects.get(number=number)
    assert order.guest_email == "guest.buyer@example.com"
    assert order.pickup.service_point.kind in ("community_pickup", "locker")
    assert order.pickup.recipient_name == "陈小姐"
    assert order.lines.count() == 1
    assert order.total_incl_tax == order.lines.get().line_price_incl_tax
    assert (ARTIFACTS / "checkout-confirmation.png").stat().st_size > 10_000
