"""A JD pavilion and a product feed with listings in every state, calls with known
failures, dead letters and imported orders, over the back-office world
(tests.backoffice.support: every role, cooperatives A and B)."""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog_sync.models import (
    Channel,
    ChannelListing,
    ChannelProduct,
    DeadLetter,
    ImportedOrder,
    OutboxEntry,
    Platform,
    SyncCall,
)
from tests.backoffice.support import build_world
from tests.factories import make_product, place_order

State = ChannelListing.State

JD_SECRET = "jd-app-secret-7Qx9Lm2Vp"
JD_TOKEN = "jd-access-token-Hk3Zr8"
JD_REFRESH = "jd-refresh-token-Wb5Ty1"
FEED_SECRET = "feed-app-secret-Ns4Jq6"
SECRETS = (JD_SECRET, JD_TOKEN, JD_REFRESH, FEED_SECRET)


@dataclass
class Sync:
    world: object
    now: object
    jd: Channel
    feed: Channel
    listings: dict            # name → ChannelListing on JD
    feed_listings: dict
    products: dict            # name → product
    dead_letter: DeadLetter   # open, JD
    resolved_letter: DeadLetter
    feed_letter: DeadLetter   # open, feed
    orders: dict              # name → ImportedOrder on JD
    enabled_only: object      # cooperative A's product enabled on JD, not pushed yet


def bo_url(name, **kwargs):
    return reverse(f"backoffice:{name}", kwargs=kwargs or None)


def _listing(channel, product, state, **fields):
    return ChannelListing.objects.create(channel=channel, product=product, key=f"XP-{product.pk}", state=state,
                                         remote_id=fields.pop("remote_id", f"88000000000000{product.pk:04d}"),
                                         **fields)


def _call(channel, at, operation, items, failed, error_kind=""):
    call = SyncCall.objects.create(channel=channel, operation=operation, items=items, failed=failed,
                                   error_kind=error_kind)
    SyncCall.objects.filter(pk=call.pk).update(at=at)   # "at" is auto_now_add
    return call


def build_sync(world):
    now = timezone.now()
    jd = Channel.objects.create(code="jd-pavilion", name="京东扶贫馆", platform=Platform.JD, app_key="jd-key",
                                app_secret=JD_SECRET, access_token=JD_TOKEN, refresh_token=JD_REFRESH, max_attempts=6)
    feed = Channel.objects.create(code="merchant-feed", name="商品 Feed", platform=Platform.MERCHANT_FEED,
                                  app_secret=FEED_SECRET, access_token="feed-token-x1", refresh_token="feed-refresh-x1")
    subject_a, subject_b = world.subject_a, world.subject_b
    products = {
        "pomelo": world.product_a,            # A
        "wine": world.product_bare,           # A
        "orange": world.product_b,            # B
        "greens": world.product_b_bare,       # B
        "tea": make_product(title="英德红茶 100克", market_subject=subject_a, brand=world.brand, village=world.village_a),
        "pineapple": make_product(title="徐闻菠萝 5斤装", market_subject=subject_b, brand=world.brand,
                                  village=world.village_b),
        "lychee": make_product(title="高州荔枝 3斤装", market_subject=subject_b, brand=world.brand,
                               village=world.village_b),
    }
    listings = {
        "pomelo": _listing(jd, products["pomelo"], State.LIVE, last_synced_at=now - timedelta(minutes=90)),
        "wine": _listing(jd, products["wine"], State.FAILED, remote_id="", attempts=6, last_error_kind="invalid",
                         last_error="push_listings: 3001 标题含有违禁词「最」",
                         last_synced_at=now - timedelta(days=3)),
        # A price update failed once; due again now (in the retry queue by its attempts).
        "orange": _listing(jd, products["orange"], State.LIVE, attempts=1, next_attempt_at=now - timedelta(minutes=1),
                           last_error_kind="transient", last_error="update_price: 500 服务繁忙",
                           last_synced_at=now - timedelta(hours=4)),
        "greens": _listing(jd, products["greens"], State.IN_REVIEW, last_synced_at=now - timedelta(hours=6)),
        # Twice throttled, next go in ten minutes; the platform echoed our token in its message.
        "tea": _listing(jd, products["tea"], State.PENDING, remote_id="", attempts=2,
                        next_attempt_at=now + timedelta(minutes=10), last_error_kind="throttled",
                        last_error=f"push_listings: 2 App Call Limited access_token={JD_TOKEN}"),
        "pineapple": _listing(jd, products["pineapple"], State.DELISTED, last_synced_at=now - timedelta(days=2)),
        "lychee": _listing(jd, products["lychee"], State.REJECTED, last_synced_at=now - timedelta(days=1)),
    }
    feed_listings = {
        "pomelo": _listing(feed, products["pomelo"], State.LIVE, last_synced_at=now - timedelta(minutes=30)),
        "orange": _listing(feed, products["orange"], State.FAILED, attempts=6, last_error_kind="config",
                           last_error="push_listings: 401 unauthorized"),
    }
    dead_letter = DeadLetter.objects.create(listing=listings["wine"], operation="push_listings", error_kind="invalid",
                                            error_code="3001", message=f"标题含有违禁词「最」 sign={JD_SECRET}",
                                            attempts=1)
    resolved_letter = DeadLetter.objects.create(listing=listings["pineapple"], operation="delist",
                                                error_kind="transient", error_code="500", message="服务繁忙",
                                                attempts=6, resolved_at=now - timedelta(days=1))
    feed_letter = DeadLetter.objects.create(listing=feed_listings["orange"], operation="push_listings",
                                            error_kind="config", error_code="401", message="unauthorized", attempts=1)
    # Calls in the last 24 clock hours: 41 items, 11 failed; one older call is outside.
    _call(jd, now - timedelta(hours=1), "push_listings", 10, 2, "invalid")
    _call(jd, now - timedelta(hours=2), "update_inventory", 20, 0)
    _call(jd, now - timedelta(hours=3), "update_price", 9, 9, "transient")
    _call(jd, now - timedelta(hours=5), "update_inventory", 2, 0)
    _call(jd, now - timedelta(hours=30), "push_listings", 5, 5, "transient")
    _call(feed, now - timedelta(days=2), "push_listings", 3, 0)
    order = place_order(lines=[(products["pomelo"], 1)], attribute=False)
    orders = {
        "imported": ImportedOrder.objects.create(
            channel=jd, external_id="300000000000000123", order=order, status="WAIT_SELLER_STOCK_OUT",
            total=Decimal("39.90"), placed_at=now - timedelta(hours=2), remote_updated_at=now - timedelta(hours=2),
            state=ImportedOrder.State.IMPORTED),
        "unknown_sku": ImportedOrder.objects.create(
            channel=jd, external_id="300000000000000456", status="WAIT_SELLER_STOCK_OUT", total=Decimal("59.00"),
            placed_at=now - timedelta(hours=1), remote_updated_at=now - timedelta(hours=1),
            state=ImportedOrder.State.FAILED, problem="本店没有这些 SKU：JD-9999"),
        "unpaid": ImportedOrder.objects.create(
            channel=jd, external_id="300000000000000789", status="WAIT_BUYER_PAY", total=Decimal("12.50"),
            placed_at=now - timedelta(minutes=20), remote_updated_at=now - timedelta(minutes=20)),
    }
    enabled_only = make_product(title="梅县客家腌面", market_subject=subject_a, brand=world.brand,
                                village=world.village_a)
    ChannelProduct.objects.create(channel=jd, product=enabled_only)
    ChannelProduct.objects.create(channel=jd, product=products["pineapple"], is_enabled=False)
    # Exactly three unsent changes on JD, none on the feed.
    OutboxEntry.objects.all().delete()
    for product in (enabled_only, products["tea"], products["pomelo"]):
        OutboxEntry.objects.create(channel=jd, product=product, kind=OutboxEntry.Kind.CONTENT, available_at=now)
    return Sync(world=world, now=now, jd=jd, feed=feed, listings=listings, feed_listings=feed_listings,
                products=products, dead_letter=dead_letter, resolved_letter=resolved_letter, feed_letter=feed_letter,
                orders=orders, enabled_only=enabled_only)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def sync(world):
    return build_sync(world)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
