"""Issue 4's whole journey in headless Chromium: a signed-in consumer pays by card
on the local Stripe emulator (localstripe's Stripe.js) and gets an order; the
cooperative packs and ships the delivery wave; the pickup-point staff receive it
and hand the order over with the 6-digit code; the consumer sees "已取货".
Each actor has its own browser and session; screenshots go to tests/artifacts/."""
import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from oscar.core.loading import get_model
from playwright.sync_api import expect

from shop.core.roles import PICKUP_STAFF, ensure_roles
from shop.fulfilment import sms
from shop.fulfilment.models import DeliveryWave, OrderPickup
from shop.harvest.models import TraceEvent
from tests.factories import UserFactory
from tests.payments.conftest import localstripe_url, stripe_on  # noqa: F401  (fixtures)

from .test_attribution_journey import _world
from .test_consumer_journey import ARTIFACTS, run_in_chromium

Order = get_model("order", "Order")
ShippingEvent = get_model("order", "ShippingEvent")

DASHBOARD = "/zh-hans/shop/dashboard/"
PICKUP_PAGES = DASHBOARD + "xiangpin/pickup/"
OFFICE = {"width": 1280, "height": 900}


def _cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}


def _shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _pickup_staff(point):
    """A 自提点 user who works at ``point``."""
    user = UserFactory(email="pickup@example.com")
    user.groups.add(ensure_roles()[PICKUP_STAFF])
    point.staff.add(user)
    return user


# -- the consumer -------------------------------------------------------------------

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
    _shot(page, "card-payment")
    page.locator("#card-pay").click()
    expect(page).to_have_url(re.compile(r"/shop/checkout/thank-you/$"))
    _shot(page, "card-paid-thank-you")
    return re.search(r"\b(\d{6,})\b", page.locator("body").inner_text()).group(1)


def consumer_opens_order(page, base_url, cookie, number, screenshot):
    """The order page, from the account's order history: its status, the steps
    (label, state), the pickup code shown (empty when none is) and the tracking events."""
    page.context.add_cookies([cookie])
    page.goto(f"{base_url}/zh-hans/shop/accounts/orders/")
    page.locator(f"a[href$='/shop/accounts/orders/{number}/']").first.click()
    expect(page).to_have_url(re.compile(rf"/shop/accounts/orders/{number}/$"))
    status = page.locator(".xp-order-status").inner_text()
    steps = [(step.inner_text(), step.get_attribute("class").split()[-1]) for step in page.locator(".xp-step").all()]
    code = page.locator("[data-pickup-code] .xp-pickup-code")
    shown = code.inner_text().strip() if code.count() else ""
    _shot(page, screenshot)
    events = page.locator("[data-tracking-events] li strong").all_inner_texts()
    return status, steps, shown, events


# -- the cooperative ----------------------------------------------------------------

def cooperative_ships_wave(page, base_url, cookie, number, point_name, delivery_date):
    """From the dashboard menu to 配送波次: pack the order's pickup point into a
    wave for ``delivery_date``, open its manifest and packing list, ship it."""
    page.set_viewport_size(OFFICE)
    page.context.add_cookies([cookie])
    page.goto(base_url + DASHBOARD)
    page.locator("nav .dropdown-toggle", has_text="配送与自提").click()
    page.locator("nav .dropdown-menu a", has_text="配送波次").click()
    expect(page).to_have_url(re.compile(r"/xiangpin/waves/$"))
    expect(page.locator(".breadcrumb")).to_have_text(re.compile(r"^\s*信息中心\s*配送与自提\s*配送波次\s*$"))
    candidate = page.locator("#wave_candidates tbody tr").filter(has_text=point_name)
    expect(candidate).to_contain_text("1")
    _shot(page, "wave-candidates")

    candidate.get_by_role("link", name="组波次").click()
    expect(page).to_have_url(re.compile(r"/xiangpin/waves/create/\?partner=\d+&point=\d+$"))
    expect(page.locator(f"#wave_orders input[name=orders][aria-label='{number}']")).to_be_checked()
    page.fill("#id_delivery_date", delivery_date.isoformat())
    _shot(page, "wave-create")
    page.get_by_role("button", name="创建波次并打包").click()

    expect(page).to_have_url(re.compile(r"/xiangpin/waves/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text("1 个订单")
    expect(page.locator("#wave_manifest")).to_contain_text(number)
    expect(page.locator("#wave_packing_list")).to_contain_text("梅州金柚 5斤装")
    _shot(page, "wave-detail-planned")
    detail_url = page.url

    page.get_by_role("link", name="打印配送清单").click()
    expect(page.locator("h1")).to_have_text("配送清单")
    expect(page.locator("#wave_manifest")).to_contain_text(number)
    expect(page.locator("#wave_manifest")).to_contain_text("已付款")
    _shot(page, "wave-manifest")
    page.goto(detail_url)
    page.get_by_role("link", name="打印拣货单").click()
    expect(page.locator("h1")).to_have_text("拣货单")
    expect(page.locator("#wave_packing_list")).to_contain_text("梅州金柚 5斤装")
    _shot(page, "wave-packing-list")

    page.goto(detail_url)
    page.locator("#wave_ship_form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("已发运")
    expect(page.locator("#wave_ship")).to_have_count(0)
    expect(page.locator("#wave_manifest")).to_contain_text("配送中")
    _shot(page, "wave-detail-shipped")


# -- the pickup point -----------------------------------------------------------------

def pickup_receives_wave(page, base_url, cookie, wave_code):
    """到货波次 on the phone: open the incoming wave and sign for it."""
    page.context.add_cookies([cookie])
    page.goto(base_url + PICKUP_PAGES + "waves/")
    incoming = page.locator("#pickup_incoming_waves .list-group-item").filter(has_text=wave_code)
    expect(incoming).to_be_visible()
    _shot(page, "pickup-waves-incoming")
    incoming.get_by_role("link", name=wave_code).click()
    expect(page.locator("#pickup_wave_detail")).to_contain_text("已发运")
    _shot(page, "pickup-wave-detail")
    page.locator("#pickup_wave_receive_form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("1 个订单已通知顾客取货")
    expect(page.locator("#pickup_received_waves")).to_contain_text(wave_code)
    _shot(page, "pickup-waves-received")


def pickup_hands_over(page, base_url, cookie, code, number):
    """取货交付 on the phone: the order waits in 待取货订单 (its code is for the
    customer only); type the code, check the order, confirm."""
    page.context.add_cookies([cookie])
    page.goto(base_url + PICKUP_PAGES + "waves/")
    page.locator("#pickup_nav").get_by_role("link", name="待取货订单").click()
    waiting = page.locator("#pickup_waiting_orders")
    expect(waiting).to_contain_text(f"订单 {number}")
    expect(waiting).to_contain_text("陈** 139****1111")
    assert code not in waiting.inner_text().replace(number, "")  # the code is the customer's only
    _shot(page, "pickup-orders-waiting")
    page.locator("#pickup_nav").get_by_role("link", name="取货交付").click()
    expect(page.locator(".breadcrumb")).to_have_text(
        re.compile(r"^\s*信息中心\s*配送与自提\s*自提点工作台\s*取货交付\s*$"))
    page.fill("#id_code", code)
    _shot(page, "pickup-hand-over-code")
    page.get_by_role("button", name="查找订单").click()
    summary = page.locator("#hand_over_summary")
    expect(summary).to_contain_text(f"订单 {number}")
    expect(summary).to_contain_text("已付款，无需收款")
    expect(summary).to_contain_text("梅州金柚 5斤装")
    _shot(page, "pickup-hand-over-confirm")
    page.get_by_role("button", name="确认交付").click()
    expect(page.locator(".alert-success")).to_contain_text(f"订单 {number} 已交付顾客")
    _shot(page, "pickup-hand-over-done")


# -- the journey ------------------------------------------------------------------------

def _code_from_mail(order):
    """The pickup code in the notice the customer got after the order confirmation."""
    assert [(message.subject, message.to) for message in mail.outbox] == [
        (f"确认订单{order.number}", [order.user.email]),
        (f"订单 {order.number} 已到达自提点，请凭取货码取货", [order.user.email]),
    ]
    return re.search(r"取货码：(\d{6})\n", mail.outbox[1].body).group(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_card_payment_to_collection(live_server, stripe_on, settings):  # noqa: F811
    settings.XIANGPIN_SMS_BACKEND = "shop.fulfilment.sms.LocmemSmsBackend"
    sms.outbox.clear()
    pomelo, batch, point, consumer, officer, coop = _world()
    pickup_user = _pickup_staff(point)
    world_events = list(TraceEvent.objects.filter(batch=batch).values_list("pk", flat=True))
    assert list(pomelo.stockrecords.get().partner.users.all()) == [coop]
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    consumer_cookie = _cookie(consumer, base)

    # 1. The consumer pays by card.
    number = run_in_chromium(consumer_pays_by_card, base, pomelo.get_absolute_url(), consumer_cookie)
    order = Order.objects.get(number=number)
    assert (order.user, order.status, order.total_incl_tax) == (consumer, "待发货", Decimal("39.90"))
    assert order.online_payment.status == "succeeded"
    assert order.sources.get().amount_debited == Decimal("39.90")
    assert order.pickup.service_point == point

    # 2. The cooperative packs and ships the wave.
    delivery_date = timezone.localdate() + datetime.timedelta(days=1)
    run_in_chromium(cooperative_ships_wave, base, _cookie(coop, base), number, point.name, delivery_date)
    wave = DeliveryWave.objects.get()
    assert (wave.partner, wave.service_point, wave.delivery_date, wave.cold_chain) == (
        pomelo.stockrecords.get().partner, point, delivery_date, False)
    assert (wave.status, wave.created_by, wave.shipped_by) == (DeliveryWave.Status.SHIPPED, coop, coop)
    assert list(wave.wave_orders.values_list("order__number", flat=True)) == [number]
    order.refresh_from_db()
    assert order.status == "配送中"
    # Only Oscar's order confirmation so far: no pickup notice before the wave arrives.
    assert [message.subject for message in mail.outbox] == [f"确认订单{number}"]

    # 3. The pickup point signs for it; the customer is sent the code.
    run_in_chromium(pickup_receives_wave, base, _cookie(pickup_user, base), wave.code)
    code = _code_from_mail(order)
    order.refresh_from_db()
    assert (order.status, order.pickup.pickup_code) == ("待取货", code)
    assert [(message.phone, code in message.text) for message in sms.outbox] == [("13900001111", True)]

    status, steps, shown, events = run_in_chromium(consumer_opens_order, base, consumer_cookie, number,
                                                    "card-order-ready-for-pickup")
    assert (status, shown) == ("待取货", code)
    assert steps == [("已下单", "xp-step-done"), ("配送中", "xp-step-done"), ("待取货", "xp-step-current"),
                     ("已取货", "xp-step-todo")]
    assert events == ["已打包", "已发运", "已到达自提点"]

    # 4. The hand-over on the phone, against the code.
    run_in_chromium(pickup_hands_over, base, _cookie(pickup_user, base), code, number)

    # 5. The consumer sees 已取货 and no code any more.
    status, steps, shown, events = run_in_chromium(consumer_opens_order, base, consumer_cookie, number,
                                                   "card-order-collected")
    assert (status, shown) == ("已取货", "")
    assert steps == [(label, "xp-step-done") for label in ("已下单", "配送中", "待取货", "已取货")]
    assert events == ["已打包", "已发运", "已到达自提点", "已取货"]

    # The database, exactly.
    order.refresh_from_db()
    pickup = OrderPickup.objects.get(order=order)
    wave.refresh_from_db()
    assert order.status == "已取货"
    assert pickup.collected_at is not None and pickup.collected_by == pickup_user
    assert pickup.ready_at is not None and pickup.returned_at is None and pickup.pickup_code == code
    assert (wave.status, wave.received_by) == (DeliveryWave.Status.RECEIVED, pickup_user)
    assert wave.created <= wave.shipped_at <= wave.received_at <= pickup.ready_at <= pickup.collected_at
    line = order.lines.get()
    assert [(event.event_type.name, event.notes, [(q.line_id, q.quantity) for q in event.line_quantities.all()])
            for event in ShippingEvent.objects.filter(order=order).order_by("date_created", "pk")] == [
        ("已打包", wave.code, [(line.pk, 1)]),
        ("已发运", wave.code, [(line.pk, 1)]),
        ("已到达自提点", wave.code, [(line.pk, 1)]),
        ("已取货", point.name, [(line.pk, 1)]),
    ]
    assert [(e.business_step, e.recorder, e.recorded_by, e.service_point) for e in
            TraceEvent.objects.filter(batch=batch).exclude(pk__in=world_events).order_by("occurred_at", "pk")] == [
        ("packing", "cooperative", coop, None),
        ("shipping", "cooperative", coop, None),
        ("receiving", "pickup_point", pickup_user, point),
        ("retail_selling", "pickup_point", pickup_user, point),
    ]
    assert order.sources.get().amount_debited == Decimal("39.90")  # nothing more taken at the point
    for name in ("card-payment", "card-paid-thank-you", "wave-candidates", "wave-create", "wave-detail-planned",
                 "wave-manifest", "wave-packing-list", "wave-detail-shipped", "pickup-waves-incoming",
                 "pickup-wave-detail", "pickup-waves-received", "card-order-ready-for-pickup",
                 "pickup-orders-waiting", "pickup-hand-over-code", "pickup-hand-over-confirm", "pickup-hand-over-done",
                 "card-order-collected"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000, name
