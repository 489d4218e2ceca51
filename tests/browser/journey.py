"""The consumer journey in a real browser: home → brand → product → basket →
checkout with a community pickup point → confirmation."""
import re

from playwright.sync_api import Page, expect

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pickup_checkout(page: Page) -> None:
    """From the pickup-point step to the thank-you page: the first open point,
    a recipient, pay at pickup, place the order."""
    expect(page).to_have_url(re.compile(r"/shop/checkout/shipping-address/$"))
    page.locator("input[name=service_point]:not([disabled])").first.check()
    page.fill("input[name=recipient_name]", "陈小姐")
    page.fill("input[name=recipient_phone]", "13900001111")
    page.locator("#pickup_point_form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/payment-method/$"))
    page.locator("input[name=payment_method]").first.check()
    page.locator("form button[type=submit]").last.click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/preview/$"))
    page.locator("#place_order_form button[type=submit], #place-order").first.click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))


def consumer_buys_with_pickup(page: Page, base_url: str, screenshot_dir) -> str:
    """Runs the journey and returns the order number shown on the confirmation."""
    page.goto(f"{base_url}/zh-hans/")
    expect(page.locator("h1, .hero").first).to_be_visible()

    page.locator("main a[href^='/zh-hans/brands/']:not([href='/zh-hans/brands/'])").first.click()
    expect(page).to_have_url(re.compile(r"/zh-hans/brands/[\w-]+/$"))
    brand_name = page.locator("h1").first.inner_text()

    page.locator("main a[href*='/shop/catalogue/'][href$='/']:not([href*='?']):not([href*='/category/'])").first.click()
    expect(page).to_have_url(re.compile(r"/shop/catalogue/[\w-]+_\d+/$"))
    expect(page.get_by_text(brand_name).first).to_be_visible()
    product_title = page.locator("h1").first.inner_text()

    page.locator("#add_to_basket_form button[type=submit], form.add-to-basket button[type=submit]").first.click()
    page.goto(f"{base_url}/zh-hans/shop/basket/")
    expect(page.get_by_text(product_title).first).to_be_visible()

    page.locator("a[href$='/shop/checkout/']").first.click()
    # Oscar's gateway: continue as a guest with an e-mail address.
    if page.locator("#id_username").count():
        page.fill("#id_username", "guest.buyer@example.com")
        page.check("input[name=options][value=anonymous]")
        page.locator("main form button[type=submit], form:has(#id_username) button[type=submit]").last.click()

    pickup_checkout(page)
    expect(page.get_by_text(product_title).first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "checkout-confirmation.png"), full_page=True)
    number = re.search(r"\b(\d{6,})\b", page.locator("body").inner_text())
    return number.group(1) if number else ""
