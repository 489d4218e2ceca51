"""The campaign price is shown and charged only while the campaign is live; a
draft campaign changes nothing; a basket filled before the start pays the
campaign price at checkout; an online payment whose amount was fixed before the
start (or before the end) is placed but held for staff (支付待核实)."""
import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from shop.campaigns.models import CampaignOrderLine, CampaignProduct
from shop.fulfilment.statuses import AWAITING_SHIPMENT, PAYMENT_HELD
from shop.payments.models import OnlinePayment
from shop.payments.services import Observation, payment_observe
from tests.checkout.conftest import go_to_preview, place_order
from tests.payments.conftest import payment_begin

from .conftest import (
    CAMPAIGN_PRICE, STOCK_PRICE, TITLE, campaign_ends_now, campaign_product, campaign_starts_now, checkout,
    make_campaign,
)

Selector = get_class("partner.strategy", "Selector")
Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def price_and_availability(product):
    info = Selector().strategy().fetch_for_product(product)
    return info.price.incl_tax, info.availability.is_available_to_buy


class Clock:
    """``timezone.now()`` for every caller, moved forward by the test."""

    def __init__(self, monkeypatch):
        real_now = timezone.now
        self.offset = datetime.timedelta(0)
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def advance(self, **delta):
        self.offset += datetime.timedelta(**delta)


def test_the_campaign_price_applies_only_inside_the_window(monkeypatch):
    clock = Clock(monkeypatch)
    item = campaign_product(campaign=make_campaign(starts_in=datetime.timedelta(hours=1),
                                                   lasts=datetime.timedelta(hours=2)), quota=50)
    assert price_and_availability(item.product) == (STOCK_PRICE, True)  # not started
    clock.advance(minutes=61)
    assert price_and_availability(item.product) == (CAMPAIGN_PRICE, True)  # live
    info = Selector().strategy().fetch_for_product(item.product)
    assert (info.price.was, info.availability.num_available) == (STOCK_PRICE, 50)  # capped by the quota
    clock.advance(hours=2)
    assert price_and_availability(item.product) == (STOCK_PRICE, True)  # ended


def test_a_draft_campaign_changes_nothing():
    item = campaign_product(campaign=make_campaign(published=False), quota=1)
    CampaignProduct.objects.filter(pk=item.pk).update(sold=1)
    info = Selector().strategy().fetch_for_product(item.product)
    assert (info.price.incl_tax, info.availability.is_available_to_buy, info.availability.num_available) == (
        STOCK_PRICE, True, 500)


def test_a_used_up_quota_is_sold_out_while_live_only():
    item = campaign_product(quota=2)
    CampaignProduct.objects.filter(pk=item.pk).update(sold=2)
    info = Selector().strategy().fetch_for_product(item.product)
    assert (info.availability.is_available_to_buy, str(info.availability.message)) == (False, "已抢光")
    campaign_ends_now(item.campaign)
    assert price_and_availability(item.product) == (STOCK_PRICE, True)


def test_checkout_charges_the_campaign_price_and_records_the_line(cold_point, customer):
    item = campaign_product(quota=50)
    client = Client()
    client.force_login(customer)
    response = checkout(client, item.product, 2, cold_point)
    assert (response.status_code, response.url) == (302, reverse("checkout:thank-you"))
    order = Order.objects.get()
    line = order.lines.get()
    assert (line.quantity, line.unit_price_incl_tax, line.line_price_incl_tax) == (2, CAMPAIGN_PRICE, Decimal("19.80"))
    assert (order.total_incl_tax, order.total_excl_tax) == (Decimal("19.80"), Decimal("19.80"))
    record = CampaignOrderLine.objects.get()
    assert (record.item_id, record.line_id, record.quantity, record.unit_price, record.released_at) == (
        item.pk, line.pk, 2, CAMPAIGN_PRICE, None)
    item.refresh_from_db()
    assert item.sold == 2


def test_a_basket_filled_before_the_start_pays_the_campaign_price(cold_point, customer):
    campaign = make_campaign(starts_in=datetime.timedelta(hours=1))
    item = campaign_product(campaign=campaign, quota=50)
    client = Client()
    client.force_login(customer)
    client.post(reverse("basket:add", kwargs={"pk": item.product.pk}), {"quantity": 1})
    basket_page = client.get(reverse("basket:summary"))
    assert basket_page.context["basket"].total_incl_tax == STOCK_PRICE
    campaign_starts_now(campaign)
    basket_page = client.get(reverse("basket:summary"))
    assert basket_page.context["basket"].total_incl_tax == CAMPAIGN_PRICE  # Oscar prices lines per request
    preview = go_to_preview(client, cold_point)
    assert preview.context["order_total"].incl_tax == CAMPAIGN_PRICE
    response = place_order(client)
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.total_incl_tax, order.lines.get().unit_price_incl_tax, order.status) == (
        CAMPAIGN_PRICE, CAMPAIGN_PRICE, AWAITING_SHIPMENT)
    assert CampaignOrderLine.objects.get().unit_price == CAMPAIGN_PRICE


@pytest.fixture
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_xiangpin"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_xiangpin"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_xiangpin"
    settings.STRIPE_METHODS = ["card"]


def test_a_payment_fixed_before_the_start_is_placed_at_the_campaign_price_and_held(stripe_keys, cold_point):
    """The amount of a PaymentIntent is fixed when the payment starts (¥29.90).
    If the campaign starts before the money arrives, the order is placed from a
    fresh strategy at the campaign price (¥9.90), so the money does not match:
    the order is placed but held (支付待核实) with the reason, for staff to
    refund the difference or cancel; the unit counts as a campaign sale."""
    campaign = make_campaign(starts_in=datetime.timedelta(minutes=30))
    item = campaign_product(campaign=campaign, quota=50)
    payment = payment_begin(item.product, 1, point=cold_point, intent_id="pi_before_start")
    assert payment.amount_fen == 2990
    campaign_starts_now(campaign)
    payment_observe(payment_id=payment.pk, observation=Observation(status="succeeded", received_fen=2990,
                                                                   currency="cny"))
    payment.refresh_from_db()
    order = Order.objects.get()
    assert (payment.order_id, payment.problem) == (order.pk, "金额不符：收到 ¥29.90，订单应付 ¥9.90")
    assert (order.status, order.total_incl_tax, order.lines.get().unit_price_incl_tax) == (
        PAYMENT_HELD, CAMPAIGN_PRICE, CAMPAIGN_PRICE)
    assert order.sources.get().amount_debited == CAMPAIGN_PRICE  # the other ¥20.00 is in the problem, for staff
    assert list(CampaignOrderLine.objects.values_list("quantity", "unit_price")) == [(1, CAMPAIGN_PRICE)]
    item.refresh_from_db()
    assert item.sold == 1


def test_a_payment_fixed_during_the_campaign_that_arrives_after_the_end_is_held_at_the_full_price(
        stripe_keys, cold_point):
    item = campaign_product(quota=50)
    payment = payment_begin(item.product, 1, point=cold_point, intent_id="pi_after_end")
    assert payment.amount_fen == 990
    campaign_ends_now(item.campaign)
    payment_observe(payment_id=payment.pk, observation=Observation(status="succeeded", received_fen=990,
                                                                   currency="cny"))
    payment.refresh_from_db()
    order = Order.objects.get()
    assert (payment.problem, order.status, order.lines.get().unit_price_incl_tax) == (
        "金额不符：收到 ¥9.90，订单应付 ¥29.90", PAYMENT_HELD, STOCK_PRICE)
    assert CampaignOrderLine.objects.count() == 0  # not sold in the campaign: its quota is untouched
    item.refresh_from_db()
    assert item.sold == 0
    assert OnlinePayment.objects.get().order_id == order.pk
    assert TITLE in order.lines.get().title
