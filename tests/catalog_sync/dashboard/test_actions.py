"""The dashboard's POST buttons: 重试 on a dead letter (resolved, the listing due
again), 立即推送 and 导入订单 (the catalog_sync tasks, run in process without a
broker); GET refused, CSRF required, another channel's letter a 404."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from oscar.core.loading import get_model

from catalog_sync import ratelimit
from catalog_sync.models import (
    Channel,
    ChannelListing,
    ChannelProduct,
    DeadLetter,
    ImportedOrder,
    OutboxEntry,
    SyncCall,
)
from catalog_sync.relay import due_entries
from tests.catalog_sync.engine.fake import FakeConnector
from tests.catalog_sync.orders.fake import FakeConnector as OrdersConnector
from tests.catalog_sync.orders.fake import channel_order

from .conftest import bo_url

StockRecord = get_model("partner", "StockRecord")
State = ChannelListing.State

REGISTRY = {}


def registered(channel):
    connector = REGISTRY[channel.code]
    if isinstance(connector, Exception):
        raise connector
    return connector


@pytest.fixture
def connectors(settings, monkeypatch):
    settings.CATALOG_SYNC_CONNECTOR_FACTORY = "tests.catalog_sync.dashboard.test_actions.registered"
    monkeypatch.setitem(ratelimit.RATE_LIMITS, "jd", {"*": (1_000_000, 1.0)})
    yield REGISTRY
    REGISTRY.clear()


def _messages(response):
    return [str(message) for message in response.context["messages"]]


def _snapshot():
    return {model.__name__: list(model.objects.order_by("pk").values())
            for model in (DeadLetter, ChannelListing, OutboxEntry, ImportedOrder, SyncCall)}


# -- 重试 -------------------------------------------------------------------------------

def test_retry_resolves_the_letter_and_makes_the_listing_due_again(sync, login):
    client = login(sync.world.users["operations"])
    url = bo_url("channel-dead-letter-retry", pk=sync.jd.pk, letter_pk=sync.dead_letter.pk)
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(bo_url("channel-detail", pk=sync.jd.pk), 302)]
    assert _messages(response) == ["已将「梅县客家娘酒」重新排入推送队列，下次推送时重试。"]
    letter = DeadLetter.objects.get(pk=sync.dead_letter.pk)
    assert letter.resolved_at is not None
    listing = ChannelListing.objects.get(pk=sync.listings["wine"].pk)
    assert (listing.state, listing.attempts, listing.next_attempt_at, listing.last_error) == (
        State.PENDING, 0, None, "")
    wine = sync.products["wine"]
    queued = OutboxEntry.objects.filter(channel=sync.jd, product=wine, kind="content", processed_at__isnull=True)
    assert queued.count() == 1
    assert wine.pk in set(due_entries(sync.jd, timezone.now()).values_list("product_id", flat=True))
    # The page no longer lists it, and the figures follow.
    assert response.context["dead_letters"] == []
    assert response.context["summary"].dead_letters == 0
    assert response.context["summary"].states["failed"] == 0
    # A second press: nothing more is queued.
    again = client.post(url, follow=True)
    assert _messages(again) == ["「梅县客家娘酒」的死信已处理过，无需重试。"]
    assert OutboxEntry.objects.filter(channel=sync.jd, product=wine).count() == 1


def test_retry_refuses_get(sync, login):
    client = login(sync.world.users["operations"])
    before = _snapshot()
    response = client.get(bo_url("channel-dead-letter-retry", pk=sync.jd.pk, letter_pk=sync.dead_letter.pk))
    assert response.status_code == 405
    assert _snapshot() == before


def test_a_letter_of_another_channel_is_not_found(sync, login):
    client = login(sync.world.users["operations"])
    before = _snapshot()
    response = client.post(bo_url("channel-dead-letter-retry", pk=sync.jd.pk, letter_pk=sync.feed_letter.pk))
    assert response.status_code == 404
    assert _snapshot() == before


def test_the_buttons_need_the_csrf_token(sync):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sync.world.users["operations"])
    url = bo_url("channel-dead-letter-retry", pk=sync.jd.pk, letter_pk=sync.dead_letter.pk)
    before = _snapshot()
    assert client.post(url).status_code == 403
    assert _snapshot() == before
    page = client.get(bo_url("channel-detail", pk=sync.jd.pk)).content.decode()
    form = re.search(rf'<form method="post" action="{re.escape(url)}">(.*?)</form>', page, re.S).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    assert DeadLetter.objects.get(pk=sync.dead_letter.pk).resolved_at is not None


# -- 立即推送 ---------------------------------------------------------------------------

def _push_channel(world, **fields):
    channel = Channel.objects.create(code="jd-push", name="京东推送测试", platform="jd", app_secret="push-secret-1",
                                     access_token="push-token-1", refresh_token="push-refresh-1", **fields)
    ChannelProduct.objects.create(channel=channel, product=world.product_a)
    return channel


def test_push_now_sends_the_pending_changes(world, login, connectors):
    channel = _push_channel(world)
    fake = connectors[channel.code] = FakeConnector()
    response = login(world.users["operations"]).post(bo_url("channel-push", pk=channel.pk), follow=True)
    assert response.redirect_chain == [(bo_url("channel-detail", pk=channel.pk), 302)]
    assert _messages(response) == ["已提交渠道「京东推送测试」的推送任务：待推送的商品变更会发送到平台。"]
    assert [method for method, _keys in fake.calls] == ["push_listings"]
    listing = ChannelListing.objects.get(channel=channel, product=world.product_a)
    assert listing.state == State.LIVE and listing.remote_id == fake.by_key(listing.key).remote_id
    assert list(SyncCall.objects.filter(channel=channel).values_list("operation", "items", "failed")) == [
        ("push_listings", 1, 0)]
    assert response.context["summary"].states["live"] == 1
    assert response.context["summary"].pending_changes == 0


def test_a_failed_push_is_reported_not_a_server_error(world, login, connectors):
    channel = _push_channel(world)
    connectors[channel.code] = RuntimeError("gateway unreachable")
    response = login(world.users["operations"]).post(bo_url("channel-push", pk=channel.pk), follow=True)
    assert response.redirect_chain == [(bo_url("channel-detail", pk=channel.pk), 302)]
    assert _messages(response) == ["渠道「京东推送测试」推送失败，请稍后再试；未发送的变更会自动重试。"]
    assert OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True).count() == 1


def test_a_disabled_channel_is_not_pushed(world, login, connectors):
    channel = _push_channel(world, is_enabled=False)
    connectors[channel.code] = fake = FakeConnector()
    response = login(world.users["admin"]).post(bo_url("channel-push", pk=channel.pk), follow=True)
    assert _messages(response) == ["渠道「京东推送测试」已停用，不能同步。"]
    assert fake.calls == []


# -- 导入订单 ---------------------------------------------------------------------------

def test_import_orders_brings_the_channels_orders_home(world, login, connectors):
    channel = Channel.objects.create(code="jd-orders", name="京东订单测试", platform="jd", app_secret="o-secret-1",
                                     access_token="o-token-1", refresh_token="o-refresh-1")
    sku = StockRecord.objects.get(product=world.product_a).partner_sku
    placed = timezone.now() - timedelta(hours=2)
    connectors[channel.code] = OrdersConnector([
        channel_order("JD8800001", placed, lines=[(sku, 2, "39.90")]),
        channel_order("JD8800002", placed + timedelta(minutes=5), lines=[("NO-SUCH-SKU", 1, "9.90")]),
    ])
    response = login(world.users["operations"]).post(bo_url("channel-import-orders", pk=channel.pk), follow=True)
    assert _messages(response) == ["已提交渠道「京东订单测试」的订单导入任务。"]
    imported = {row.external_id: (row.state, row.total, row.order.number if row.order_id else "")
                for row in ImportedOrder.objects.filter(channel=channel)}
    assert imported == {"JD8800001": ("imported", Decimal("79.80"), "JD-ORDERS-JD8800001"),
                        "JD8800002": ("failed", Decimal("9.90"), "")}
    summary = response.context["summary"]
    assert (summary.imported_orders, summary.orders_needing_attention) == (2, 1)
    assert [order.external_id for order in response.context["attention_orders"]] == ["JD8800002"]


def test_a_feed_has_no_orders_to_import(sync, login, connectors):
    before = _snapshot()
    response = login(sync.world.users["operations"]).post(bo_url("channel-import-orders", pk=sync.feed.pk),
                                                          follow=True)
    assert _messages(response) == ["渠道「商品 Feed」是商品 Feed，没有订单可导入。"]
    assert _snapshot() == before
