"""Fixtures and helpers for the campaign pricing, quota and per-customer limit tests."""
import datetime
import itertools
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from shop.campaigns.calendar import bump_campaign_version
from shop.campaigns.models import Campaign, CampaignProduct
from tests.checkout.conftest import add_to_basket, cold_point, go_to_preview, place_order, tianhe  # noqa: F401
from tests.factories import UserFactory, make_product

STOCK_PRICE = Decimal("29.90")
CAMPAIGN_PRICE = Decimal("9.90")
TITLE = "连州菜心 礼盒"

# The messages the customer reads (shop.campaigns.limits).
QUOTA_GONE = "「{title}」已抢光，请从购物车中移除后再结算。"
LIMIT_REACHED = "「{title}」每人限购 {limit} 件，您已购买 {bought} 件，不能再购买了。"
LIMIT_LEFT = "「{title}」每人限购 {limit} 件，您已购买 {bought} 件，本单最多还能购买 {left} 件。"
LIMIT_PAYING = "「{title}」每人限购 {limit} 件，您已购买 {bought} 件，另有 {paying} 件正在付款，不能再购买了。"
SIGN_IN_FIRST = "「{title}」每人限购 {limit} 件，请登录后抢购。"

_slugs = itertools.count(1)


def make_campaign(*, starts_in=datetime.timedelta(hours=-1), lasts=datetime.timedelta(hours=6), published=True,
                  name="2027 年货节"):
    """A campaign starting ``starts_in`` from now (negative: already started)."""
    starts_at = timezone.now() + starts_in
    return Campaign.objects.create(
        name=name, slug=f"nianhuo-{next(_slugs)}", theme="default", is_published=published,
        starts_at=starts_at, ends_at=starts_at + lasts,
    )


def campaign_product(*, campaign=None, product=None, stock=500, price=CAMPAIGN_PRICE, quota=None, limit=None,
                     title=TITLE):
    """A product (stock price ¥29.90) sold in ``campaign`` (default: a live one)."""
    campaign = campaign or make_campaign()
    product = product or make_product(title=title, price=STOCK_PRICE, stock=stock)
    return CampaignProduct.objects.create(campaign=campaign, product=product, price=price, quota=quota,
                                          per_customer_limit=limit)


def campaign_starts_now(campaign):
    """The campaign's start moves to a minute ago (as if its start time had come).
    A write behind the dashboard's back, so it tells the campaign calendar itself."""
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=timezone.now() - datetime.timedelta(minutes=1))
    bump_campaign_version()


def campaign_ends_now(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
    bump_campaign_version()


def signed_in_client(user):
    client = Client()
    client.force_login(user)
    return client


def session_copy(client):
    """Another Client in the same session (same cookies), for concurrent requests
    of one session (a Client is not shared between threads)."""
    copy = Client()
    for key, morsel in client.cookies.items():
        copy.cookies[key] = morsel.value
    return copy


def checkout(client, product, quantity, point):
    """Basket → preview → place order (pay at pickup); the place-order response."""
    add_to_basket(client, product, quantity)
    go_to_preview(client, point)
    return place_order(client)


@pytest.fixture
def customer():
    return UserFactory(email="chen@example.com", first_name="晓", last_name="陈")
