"""The channel list and a channel's detail: exact figures for listings in every
state, calls with known failures, dead letters, the retry queue and imported
orders; the hourly chart; and no secret on any page."""
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from catalog_sync import selectors_dashboard as figures
from catalog_sync.models import Channel, ChannelListing, Platform, SyncCall

from .conftest import SECRETS, _call, _listing, bo_url

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _shown(moment):
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _figures(html, code):
    """{figure: text} of the channel's row in the channel list."""
    row = re.search(rf'<tr data-channel="{code}">(.*?)</tr>', html, re.S).group(1)
    cells = dict(re.findall(r'data-figure="([a-z_]+)">(.*?)</td>', row, re.S))
    return {name: re.sub(r"<[^>]+>", " ", text).split()[0] for name, text in cells.items()}


def test_summaries_of_both_channels(sync):
    jd, feed = figures.channel_summaries(now=sync.now)
    assert (jd.channel, feed.channel) == (sync.jd, sync.feed)
    # Pending: the tea's row, and the product enabled but never claimed by a relay (no row yet).
    assert jd.states == {"pending": 2, "draft": 0, "in_review": 1, "live": 2, "rejected": 1, "failed": 1,
                         "delisted": 1}
    assert jd.listings == 8
    assert jd.last_success_at == sync.listings["pomelo"].last_synced_at
    assert (jd.calls, jd.items, jd.failed_items, jd.error_rate) == (4, 41, 11, Decimal("26.8"))
    assert (jd.retry_queue, jd.dead_letters, jd.imported_orders, jd.orders_needing_attention,
            jd.pending_changes) == (2, 1, 3, 1, 3)
    assert feed.states == {"pending": 0, "draft": 0, "in_review": 0, "live": 1, "rejected": 0, "failed": 1,
                           "delisted": 0}
    assert feed.last_success_at == sync.feed_listings["pomelo"].last_synced_at
    assert (feed.calls, feed.items, feed.failed_items, feed.error_rate) == (0, 0, 0, None)
    assert (feed.retry_queue, feed.dead_letters, feed.imported_orders, feed.orders_needing_attention,
            feed.pending_changes) == (0, 1, 0, 0, 0)
    assert (jd.has_orders, feed.has_orders) == (True, False)


def test_the_last_successful_call_counts_when_it_is_later_than_any_listing(sync):
    call = _call(sync.jd, sync.now - timedelta(minutes=5), "update_inventory", 4, 0)
    _call(sync.jd, sync.now - timedelta(minutes=1), "update_inventory", 4, 1, "transient")   # not a success
    summary = figures.channel_summary(sync.jd, now=sync.now)
    assert summary.last_success_at == SyncCall.objects.get(pk=call.pk).at
    assert (summary.items, summary.failed_items, summary.error_rate) == (49, 12, Decimal("24.5"))


def test_the_channel_list_page(sync, login):
    response = login(sync.world.users["operations"]).get(bo_url("channel-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert _figures(html, "jd-pavilion") == {
        "enabled": "是", "live": "2", "in_review": "1", "pending": "2", "failed": "1", "delisted": "1",
        "last_success": _shown(sync.listings["pomelo"].last_synced_at).split()[0], "error_rate": "26.8",
        "retry_queue": "2", "dead_letters": "1", "imported_orders": "3", "orders_needing_attention": "1",
    }
    assert f"{_shown(sync.listings['pomelo'].last_synced_at)}</td>" in html
    assert "11/41" in html
    assert _figures(html, "merchant-feed") == {
        "enabled": "是", "live": "1", "in_review": "0", "pending": "0", "failed": "1", "delisted": "0",
        "last_success": _shown(sync.feed_listings["pomelo"].last_synced_at).split()[0], "error_rate": "—",
        "retry_queue": "0", "dead_letters": "1", "imported_orders": "0", "orders_needing_attention": "0",
    }
    assert f'href="{bo_url("channel-detail", pk=sync.jd.pk)}"' in html


def test_the_channel_detail_page(sync, login):
    response = login(sync.world.users["operations"]).get(bo_url("channel-detail", pk=sync.jd.pk))
    assert response.status_code == 200
    html = response.content.decode()
    states = dict(re.findall(r'data-state="([a-z_]+)">(\d+)</td>', html))
    assert states == {"pending": "2", "draft": "0", "in_review": "1", "live": "2", "rejected": "1", "failed": "1",
                      "delisted": "1", "total": "8"}
    assert 'data-figure="error_rate">26.8 %</div>' in html
    assert "4 次调用，11/41 件失败" in html
    assert 'data-figure="retry_queue">2</div>' in html
    assert "3 条变更待发送" in html
    assert 'data-figure="dead_letters">1</div>' in html
    assert "渠道订单 3 笔，1 笔待处理" in html
    assert f'data-figure="last_success">{_shown(sync.listings["pomelo"].last_synced_at)}</div>' in html
    context = response.context
    # The open dead letter only (the resolved one and the feed's are not here), with its button.
    assert [row["letter"].pk for row in context["dead_letters"]] == [sync.dead_letter.pk]
    retry_url = bo_url("channel-dead-letter-retry", pk=sync.jd.pk, letter_pk=sync.dead_letter.pk)
    assert f'action="{retry_url}"' in html and ">重试</button>" in html
    assert [listing.pk for listing in context["retry_queue"]] == [sync.listings["orange"].pk, sync.listings["tea"].pk]
    assert [listing.pk for listing in context["failed_listings"]] == [sync.listings["lychee"].pk,
                                                                      sync.listings["wine"].pk]
    assert "push_listings: 3001 标题含有违禁词「最」" in html
    assert [order.external_id for order in context["latest_orders"]] == [
        "300000000000000789", "300000000000000456", "300000000000000123"]
    assert [order.external_id for order in context["attention_orders"]] == ["300000000000000456"]
    assert "本店没有这些 SKU：JD-9999" in html
    # A campaign manager may not open the order dashboard: the number, without a link.
    number = sync.orders["imported"].order.number
    assert f"<td>{number}</td>" in html and "/shop/dashboard/orders/" not in html
    assert "¥39.90" in html and "¥59.00" in html and "¥12.50" in html
    assert f'action="{bo_url("channel-push", pk=sync.jd.pk)}"' in html
    assert f'action="{bo_url("channel-import-orders", pk=sync.jd.pk)}"' in html


def test_administrators_get_a_link_to_our_order(sync, login):
    html = login(sync.world.users["admin"]).get(bo_url("channel-detail", pk=sync.jd.pk)).content.decode()
    number = sync.orders["imported"].order.number
    assert f'<a href="/zh-hans/shop/dashboard/orders/{number}/">{number}</a>' in html


def test_a_feed_has_no_order_import(sync, login):
    html = login(sync.world.users["admin"]).get(bo_url("channel-detail", pk=sync.feed.pk)).content.decode()
    assert bo_url("channel-push", pk=sync.feed.pk) in html
    assert bo_url("channel-import-orders", pk=sync.feed.pk) not in html
    assert "最新渠道订单" not in html


def test_hourly_calls_over_the_24_clock_hours(db):
    """Fixed times: the window is 2026-11-19 15:00 – 2026-11-20 14:30 (Shanghai)."""
    now = datetime(2026, 11, 20, 14, 30, tzinfo=SHANGHAI)
    channel = Channel.objects.create(code="jd-hours", name="京东（时段）", platform=Platform.JD, app_secret="s-123456",
                                     access_token="t-123456", refresh_token="r-123456")
    for at, items, failed, kind in (
        (datetime(2026, 11, 20, 14, 10), 10, 0, ""),
        (datetime(2026, 11, 20, 14, 25), 4, 4, "transient"),
        (datetime(2026, 11, 20, 9, 0), 6, 1, "invalid"),
        (datetime(2026, 11, 19, 15, 0), 3, 0, ""),           # the first hour of the window
        (datetime(2026, 11, 19, 14, 59), 7, 7, "transient"),  # just before it
        (datetime(2026, 11, 20, 14, 31), 9, 9, "transient"),  # after now
    ):
        _call(channel, at.replace(tzinfo=SHANGHAI), "push_listings", items, failed, kind)
    buckets = figures.hourly_calls(channel, now=now)
    assert len(buckets) == 24
    assert buckets[0].start == datetime(2026, 11, 19, 15, 0, tzinfo=SHANGHAI)
    assert buckets[-1].start == datetime(2026, 11, 20, 14, 0, tzinfo=SHANGHAI)
    busy = {bucket.start.strftime("%d %H"): (bucket.calls, bucket.failed_calls, bucket.items, bucket.failed_items)
            for bucket in buckets if bucket.calls}
    assert busy == {"20 14": (2, 1, 14, 4), "20 09": (1, 1, 6, 1), "19 15": (1, 0, 3, 0)}
    summary = figures.channel_summary(channel, now=now)
    assert (summary.calls, summary.items, summary.failed_items, summary.error_rate) == (4, 23, 5, Decimal("21.7"))
    chart = figures.chart_data(buckets)
    assert chart["labels"][0] == "15:00" and chart["labels"][-1] == "14:00"
    assert sum(chart["calls"]) == 4 and sum(chart["failed_calls"]) == 2


def test_the_detail_page_tables_the_busy_hours(sync, login):
    response = login(sync.world.users["operations"]).get(bo_url("channel-detail", pk=sync.jd.pk))
    busy = [(bucket.calls, bucket.failed_calls, bucket.items, bucket.failed_items)
            for bucket in response.context["busy_hours"]]
    assert busy == [(1, 0, 2, 0), (1, 1, 9, 9), (1, 0, 20, 0), (1, 1, 10, 2)]
    assert response.content.decode().count("<tr data-hour=") == 4
    assert '<script id="channel-chart-data" type="application/json">' in response.content.decode()


def test_error_rate_rounding():
    assert figures.error_rate(0, 0) is None
    assert figures.error_rate(3, 1) == Decimal("33.3")
    assert figures.error_rate(3, 2) == Decimal("66.7")
    assert figures.error_rate(8, 1) == Decimal("12.5")


@pytest.mark.parametrize("role", ["admin", "operations"])
def test_no_secret_on_any_staff_page(sync, login, role):
    client = login(sync.world.users[role])
    pages = [bo_url("channel-list"), bo_url("channel-detail", pk=sync.jd.pk),
             bo_url("channel-detail", pk=sync.feed.pk), bo_url("channel-listing-list")]
    pages += [bo_url("channel-listing-detail", pk=product.pk) for product in sync.products.values()]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert [secret for secret in SECRETS if secret in html] == [], url
    detail = client.get(bo_url("channel-detail", pk=sync.jd.pk)).content.decode()
    assert "标题含有违禁词「最」 sign=******" in detail
    assert "App Call Limited access_token=******" in detail


def test_the_channel_list_costs_the_same_queries_with_more_channels(sync, login):
    client = login(sync.world.users["operations"])
    with CaptureQueriesContext(connection) as before:
        assert client.get(bo_url("channel-list")).status_code == 200
    for number in range(3):
        channel = Channel.objects.create(code=f"pdd-{number}", name=f"拼多多 {number}", platform=Platform.PINDUODUO,
                                         app_secret="s-123456", access_token="t-123456", refresh_token="r-123456")
        _listing(channel, sync.products["tea"], ChannelListing.State.LIVE)
        _call(channel, sync.now - timedelta(hours=1), "push_listings", 1, 0)
    with CaptureQueriesContext(connection) as after:
        response = client.get(bo_url("channel-list"))
    assert len(response.context["summaries"]) == 5
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_detail_page_lists_deleted_products_waiting_to_come_off(sync, login):
    from catalog_sync.models import RemoteDelist

    client = login(sync.world.users["operations"])
    assert 'id="remote_delists"' not in client.get(bo_url("channel-detail", pk=sync.jd.pk)).content.decode()
    waiting = RemoteDelist.objects.create(channel=sync.jd, key="XP-DEL-1", remote_id="10000000042",
                                          title="梅县客家娘酒", attempts=2,
                                          last_error=f"http_503 busy access_token={SECRETS[1]}")
    RemoteDelist.objects.create(channel=sync.jd, key="XP-DEL-2", remote_id="10000000043", title="已下架",
                                done_at=timezone.now())
    html = client.get(bo_url("channel-detail", pk=sync.jd.pk)).content.decode()
    table = html[html.index('id="remote_delists"'):html.index("</table>", html.index('id="remote_delists"'))]
    assert re.findall(r'data-remote-delist="(\d+)"', table) == [str(waiting.pk)]
    assert "梅县客家娘酒" in table and "10000000042" in table and "已下架" not in table
    assert "http_503 busy access_token=******" in table and SECRETS[1] not in html
