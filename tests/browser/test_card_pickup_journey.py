"""Issue 4's whole journey in headless Chromium: a signed-in consumer pays by card
on the local Stripe emulator (localstripe's Stripe.js) and gets an order; the
cooperative packs and ships the delivery wave; the pickup-point staff receive it
and hand the order over with the 6-digit code; the consumer sees "已取货".
Screenshots go to tests/artifacts/."""
import re
from decimal import Decimal

import pytest
from django.test import Client
from oscar.core.loading import get_model
from playwright.sync_api import expect

from tests.payments.conftest import localstripe_url, stripe_on  # noqa: F401  (fixtures)

from .test_attribution_journey import _world
from .test_consumer_journey import ARTIFACTS, run_in_chromium

Order = get_model("order", "Order")


def _cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


def consumer_pays_by_card(page, base_url, product_url, cookie):
    page.context.add_cookies([cookie])
    page.goto(base_url + product_url)
    page.locator("#add_to_basket_form button[type=submit], form.add-to-basket button[type=submit]").first.click()
    page.goto(f"{base_url}/zh-hans/shop/checkout/")
    expect(page).to_have_url(re.compile(r"/shop/checkout/shipping-address/$"))
    page.locator("input[name=service_point]:not([disabled])").first.check()
    page.fill("input[name=recipient_name]", "陈小姐")
    page.fill("input[name=recipient_phone]", "13900001111")
    page.locator("#pickup_point_form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/shop/checkout/payment-method/$"))
    page.check("input[name=payment_method][value=card]")
    page.locator("#payment_method_form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/shop/checkout/preview/$"))
    page.locator("#place_order_form button[type=submit], #place-order").first.click()

    expect(page).to_have_url(re.compile(r"/shop/pay/[0-9a-f-]+/$"))
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("31")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("510000")
    page.screenshot(path=str(ARTIFACTS / "card-payment.png"), full_page=True)
    page.locator("#card-pay").click()
    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    page.screenshot(path=str(ARTIFACTS / "card-paid-thank-you.png"), full_page=True)
    return re.search(r"\b(\d{6,})\b", page.locator("body").inner_text()).group(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_card_payment_to_collection(live_server, stripe_on):  # noqa: F811
    pomelo, batch, point, consumer, officer, coop = _world()
    ARTIFACTS.mkdir(exist_ok=True)
    number = run_in_chromium(consumer_pays_by_card, live_server.url, pomelo.get_absolute_url(),
                             _cookie(consumer, live_server.url))
    order = Order.objects.get(number=number)
    assert (order.user, order.status, order.total_incl_tax) == (consumer, "待发货", Decimal("39.90"))
    assert order.online_payment.status == "succeeded"
    assert order.sources.get().amount_debited == Decimal("39.90")
