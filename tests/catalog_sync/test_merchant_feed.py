"""The Google-Merchant-style feed connector against the loopback merchant centre."""
from __future__ import annotations

import functools
import threading
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from catalog_sync.connectors import build
from catalog_sync.connectors.base import Connector, ConnectorConfig, ErrorKind, Listing, SkuListing
from catalog_sync.connectors.merchant_feed import MerchantFeedConnector, parse_retry_after
from catalog_sync.connectors.merchant_feed_render import strip_markup
from catalog_sync.simulators.base import Faults
from catalog_sync.simulators.merchant_feed import MerchantCentre

SITE = "https://shop.example.cn"

MULTI = Listing(
    key="GD-MM-001", title="梅州金柚 & 蜜柚",
    description="<p>梅县&amp;大埔<br>金柚</p>\r\n<div>清甜  多汁</div>",
    images=(f"{SITE}/media/p/1a.jpg", f"{SITE}/media/p/1b.jpg"),
    skus=(SkuListing("MM-001-5", Decimal("15.00"), 3, (("规格", "5斤装"),)),
          SkuListing("MM-001-10", Decimal("28.5"), 0, (("规格", "10斤装"),))),
    link=f"{SITE}/catalogue/mm-001/", brand="梅州金柚", category="生鲜水果 > 柚子")
DELISTED = Listing(
    key="GD-YD-002", title="英德红茶 特级", description="英德红茶", images=(f"{SITE}/media/p/2.jpg",),
    skus=(SkuListing("YD-002", Decimal("88"), 5),), active=False,
    link=f"{SITE}/catalogue/yd-002/", brand="英德红茶", category="茶叶")
WITH_GTIN = Listing(
    key="GD-XW-003", title="徐闻菠萝", description='徐闻"菠萝的海"', images=(f"{SITE}/media/p/3.jpg",),
    skus=(SkuListing("XW-003", Decimal("39.90"), 12, (("gtin", "6901234567892"),)),),
    link=f"{SITE}/catalogue/xw-003/", brand="徐闻菠萝", category="生鲜水果")

EXPECTED_RSS = """<?xml version='1.0' encoding='utf-8'?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0">
  <channel>
    <title>乡品通</title>
    <link>https://shop.example.cn/</link>
    <description>乡品通 扶贫农产品</description>
    <item>
      <g:id>MM-001-10</g:id>
      <g:title>梅州金柚 &amp; 蜜柚 10斤装</g:title>
      <g:description>梅县&amp;大埔
金柚
清甜 多汁</g:description>
      <g:link>https://shop.example.cn/catalogue/mm-001/</g:link>
      <g:image_link>https://shop.example.cn/media/p/1a.jpg</g:image_link>
      <g:additional_image_link>https://shop.example.cn/media/p/1b.jpg</g:additional_image_link>
      <g:availability>out_of_stock</g:availability>
      <g:price>28.50 CNY</g:price>
      <g:brand>梅州金柚</g:brand>
      <g:identifier_exists>no</g:identifier_exists>
      <g:item_group_id>GD-MM-001</g:item_group_id>
      <g:product_type>生鲜水果 &gt; 柚子</g:product_type>
    </item>
    <item>
      <g:id>MM-001-5</g:id>
      <g:title>梅州金柚 &amp; 蜜柚 5斤装</g:title>
      <g:description>梅县&amp;大埔
金柚
清甜 多汁</g:description>
      <g:link>https://shop.example.cn/catalogue/mm-001/</g:link>
      <g:image_link>https://shop.example.cn/media/p/1a.jpg</g:image_link>
      <g:additional_image_link>https://shop.example.cn/media/p/1b.jpg</g:additional_image_link>
      <g:availability>in_stock</g:availability>
      <g:price>15.00 CNY</g:price>
      <g:brand>梅州金柚</g:brand>
      <g:identifier_exists>no</g:identifier_exists>
      <g:item_group_id>GD-MM-001</g:item_group_id>
      <g:product_type>生鲜水果 &gt; 柚子</g:product_type>
    </item>
    <item>
      <g:id>XW-003</g:id>
      <g:title>徐闻菠萝</g:title>
      <g:description>徐闻"菠萝的海"</g:description>
      <g:link>https://shop.example.cn/catalogue/xw-003/</g:link>
      <g:image_link>https://shop.example.cn/media/p/3.jpg</g:image_link>
      <g:availability>in_stock</g:availability>
      <g:price>39.90 CNY</g:price>
      <g:brand>徐闻菠萝</g:brand>
      <g:gtin>6901234567892</g:gtin>
      <g:identifier_exists>yes</g:identifier_exists>
      <g:product_type>生鲜水果</g:product_type>
    </item>
    <item>
      <g:id>YD-002</g:id>
      <g:title>英德红茶 特级</g:title>
      <g:description>英德红茶</g:description>
      <g:link>https://shop.example.cn/catalogue/yd-002/</g:link>
      <g:image_link>https://shop.example.cn/media/p/2.jpg</g:image_link>
      <g:availability>out_of_stock</g:availability>
      <g:price>88.00 CNY</g:price>
      <g:brand>英德红茶</g:brand>
      <g:identifier_exists>no</g:identifier_exists>
      <g:product_type>茶叶</g:product_type>
    </item>
  </channel>
</rss>
"""

TSV_HEADER = ("id\ttitle\tdescription\tlink\timage_link\tadditional_image_link\tavailability\tprice\tbrand\tgtin\t"
              "identifier_exists\titem_group_id\tproduct_type\n")
EXPECTED_TSV = TSV_HEADER + (
    'MM-001-10\t梅州金柚 & 蜜柚 10斤装\t"梅县&大埔\n金柚\n清甜 多汁"\thttps://shop.example.cn/catalogue/mm-001/\t'
    "https://shop.example.cn/media/p/1a.jpg\thttps://shop.example.cn/media/p/1b.jpg\tout_of_stock\t28.50 CNY\t"
    "梅州金柚\t\tno\tGD-MM-001\t生鲜水果 > 柚子\n"
    'MM-001-5\t梅州金柚 & 蜜柚 5斤装\t"梅县&大埔\n金柚\n清甜 多汁"\thttps://shop.example.cn/catalogue/mm-001/\t'
    "https://shop.example.cn/media/p/1a.jpg\thttps://shop.example.cn/media/p/1b.jpg\tin_stock\t15.00 CNY\t"
    "梅州金柚\t\tno\tGD-MM-001\t生鲜水果 > 柚子\n"
    'XW-003\t徐闻菠萝\t"徐闻""菠萝的海"""\thttps://shop.example.cn/catalogue/xw-003/\t'
    "https://shop.example.cn/media/p/3.jpg\t\tin_stock\t39.90 CNY\t徐闻菠萝\t6901234567892\tyes\t\t生鲜水果\n"
    "YD-002\t英德红茶 特级\t英德红茶\thttps://shop.example.cn/catalogue/yd-002/\t"
    "https://shop.example.cn/media/p/2.jpg\t\tout_of_stock\t88.00 CNY\t英德红茶\t\tno\t\t茶叶\n")


def feed_config(tmp_path, base_url="", **extra) -> ConnectorConfig:
    return ConnectorConfig(base_url=base_url, access_token="sim-token", timeout=3.0,
                           extra={"feed_path": str(tmp_path / "feed.xml"), "site_url": f"{SITE}/", **extra})


@pytest.fixture
def centre():
    simulator = MerchantCentre(faults=Faults(timeout_seconds=1.5)).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def online(tmp_path, centre) -> MerchantFeedConnector:
    return build("merchant_feed", feed_config(tmp_path, centre.url))


def availability(centre, item_id, feed="xiangpin"):
    return centre.products(feed)[item_id].value("availability")


# -- the two formats, exactly --------------------------------------------------------

def test_rss_snapshot_is_exact_and_written_atomically(tmp_path):
    connector = MerchantFeedConnector(feed_config(tmp_path))
    results = connector.push_listings([MULTI, DELISTED, WITH_GTIN])

    assert [(r.key, r.ok, r.state, r.remote_id) for r in results] == [
        ("GD-MM-001", True, "live", "GD-MM-001"), ("GD-YD-002", True, "delisted", "GD-YD-002"),
        ("GD-XW-003", True, "live", "GD-XW-003")]
    assert results[0].remote_sku_ids == {"MM-001-5": "MM-001-5", "MM-001-10": "MM-001-10"}
    assert (tmp_path / "feed.xml").read_text(encoding="utf-8") == EXPECTED_RSS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.xml", "feed.xml.state.json", "feed.xml.state.json.lock"]
    root = ET.fromstring((tmp_path / "feed.xml").read_bytes())       # a real parser reads it back
    g = "{http://base.google.com/ns/1.0}"
    assert [item.findtext(f"{g}title") for item in root.iter("item")][0] == "梅州金柚 & 蜜柚 10斤装"


def test_tsv_snapshot_is_exact_with_quoted_line_breaks_and_quotes(tmp_path):
    connector = MerchantFeedConnector(feed_config(tmp_path, feed_format="tsv"))
    connector.push_listings([MULTI, DELISTED, WITH_GTIN])
    assert (tmp_path / "feed.xml").read_bytes().decode("utf-8") == EXPECTED_TSV


def test_tsv_is_chosen_by_the_path_suffix(tmp_path):
    config = ConnectorConfig(base_url="", extra={"feed_path": str(tmp_path / "feed.tsv")})
    connector = MerchantFeedConnector(config)
    connector.push_listings([DELISTED])
    assert (tmp_path / "feed.tsv").read_text(encoding="utf-8").startswith(TSV_HEADER)


def test_markup_is_stripped_and_xml_invalid_characters_dropped():
    assert strip_markup("<h2>高州&nbsp;荔枝</h2><ul><li>妃子笑</li><li>桂味\x0b</li></ul>&lt;鲜&gt;") == \
        "高州 荔枝\n妃子笑\n桂味\n<鲜>"


# -- the merchant centre's snapshot ------------------------------------------------------

def test_delisting_keeps_the_item_in_the_centre_as_out_of_stock(online, centre):
    live = replace(DELISTED, active=True)
    assert all(r.ok for r in online.push_listings([MULTI, live]))
    assert availability(centre, "YD-002") == "in_stock"

    [result] = online.delist(["GD-YD-002"])
    assert (result.key, result.ok, result.state) == ("GD-YD-002", True, "delisted")
    assert online.update_inventory([("MM-001-5", 0)])[0].ok

    products = centre.products("xiangpin")
    assert sorted(products) == ["MM-001-10", "MM-001-5", "YD-002"]
    assert {k: p.value("availability") for k, p in products.items()} == {
        "MM-001-10": "out_of_stock", "MM-001-5": "out_of_stock", "YD-002": "out_of_stock"}
    assert centre.deleted == []
    assert centre.catalogue.created == {"MM-001-5": 1, "MM-001-10": 1, "YD-002": 1}
    assert centre.call_count("upload") == 3           # one publish per call


def test_the_centre_deletes_what_a_new_upload_leaves_out(online, centre):
    """The check above means something: a partial file does delete items there."""
    online.push_listings([MULTI, DELISTED])
    partial = MerchantFeedConnector(ConnectorConfig(base_url=centre.url, access_token="sim-token",
                                                    extra={"site_url": SITE}))
    partial.push_listings([DELISTED])
    assert sorted(centre.products("xiangpin")) == ["YD-002"]
    assert centre.deleted == [("xiangpin", "MM-001-10"), ("xiangpin", "MM-001-5")]


def test_a_sku_the_product_no_longer_has_stays_as_out_of_stock(online, centre):
    online.push_listings([MULTI])
    smaller = replace(MULTI, skus=MULTI.skus[:1])
    [result] = online.push_listings([smaller])
    assert result.ok
    assert availability(centre, "MM-001-10") == "out_of_stock"
    assert centre.deleted == []


def test_a_second_connector_on_the_same_file_shares_the_snapshot(tmp_path, centre):
    first = build("merchant_feed", feed_config(tmp_path, centre.url))
    first.push_listings([MULTI])
    second = build("merchant_feed", feed_config(tmp_path, centre.url))
    second.push_listings([WITH_GTIN])
    assert sorted(centre.products("xiangpin")) == ["MM-001-10", "MM-001-5", "XW-003"]
    assert sorted(second.lookup(["GD-MM-001", "GD-XW-003", "GD-NONE"])) == ["GD-MM-001", "GD-XW-003"]


def test_eight_workers_publishing_together_lose_nothing(tmp_path, centre):
    listings = [Listing(key=f"GD-QY-{n}", title=f"清远鸡 {n}", description="走地鸡", images=(f"{SITE}/q{n}.jpg",),
                        skus=(SkuListing(f"QY-{n}", Decimal("98.00"), n),), link=f"{SITE}/q{n}/")
                for n in range(8)]
    barrier = threading.Barrier(8)
    results = []

    def work(listing):
        connector = build("merchant_feed", feed_config(tmp_path, centre.url))
        barrier.wait()
        results.extend(connector.push_listings([listing]))

    threads = [threading.Thread(target=work, args=(listing,)) for listing in listings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.ok for r in results) and len(results) == 8
    assert sorted(centre.products("xiangpin")) == [f"QY-{n}" for n in range(8)]
    assert centre.deleted == []
    root = ET.fromstring((tmp_path / "feed.xml").read_bytes())
    assert len(list(root.iter("item"))) == 8


def test_the_centre_fetches_the_feed_from_a_url(tmp_path, centre):
    connector = MerchantFeedConnector(feed_config(tmp_path))
    connector.push_listings([MULTI, DELISTED])
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        answer = requests.post(f"{centre.url}/feeds/scheduled/fetch", json={"url": url},
                               headers={"Authorization": "Bearer sim-token"}, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 200
    assert answer.json()["received"] == 3 and answer.json()["deleted"] == []
    products = centre.products("scheduled")
    assert {k: (p.status, p.value("availability"), p.value("price")) for k, p in products.items()} == {
        "MM-001-10": ("approved", "out_of_stock", "28.50 CNY"), "MM-001-5": ("approved", "in_stock", "15.00 CNY"),
        "YD-002": ("approved", "out_of_stock", "88.00 CNY")}


def test_a_tsv_upload_reads_back_the_same_in_the_centre(tmp_path, centre):
    connector = build("merchant_feed", feed_config(tmp_path, centre.url, feed_format="tsv"))
    assert all(r.ok for r in connector.push_listings([MULTI, WITH_GTIN]))
    products = centre.products("xiangpin")
    assert products["MM-001-5"].value("description") == "梅县&大埔\n金柚\n清甜 多汁"
    assert products["XW-003"].value("description") == '徐闻"菠萝的海"'
    assert products["XW-003"].value("gtin") == "6901234567892"
    assert all(p.issues == [] for p in products.values())


def test_the_centre_reports_per_item_issues_in_a_hand_written_feed(centre):
    feed = ("<?xml version='1.0' encoding='utf-8'?><rss xmlns:g='http://base.google.com/ns/1.0' version='2.0'>"
            "<channel><title>t</title><link>https://x.cn/</link><description>d</description>"
            "<item><g:id>A</g:id><g:title>甲</g:title><g:description>d</g:description><g:link>https://x.cn/a</g:link>"
            "<g:image_link>https://x.cn/a.jpg</g:image_link><g:availability>in_stock</g:availability>"
            "<g:price>15 元</g:price><g:identifier_exists>no</g:identifier_exists></item>"
            "<item><g:id>B</g:id><g:title>乙</g:title><g:description>d</g:description>"
            "<g:availability>preorder</g:availability><g:price>9.90 CNY</g:price>"
            "<g:identifier_exists>no</g:identifier_exists></item>"
            "</channel></rss>").encode("utf-8")
    answer = requests.post(f"{centre.url}/feeds/hand", data=feed, timeout=5,
                           headers={"Authorization": "Bearer sim-token", "Content-Type": "application/rss+xml"})
    assert answer.status_code == 200
    assert [(i["id"], i["attribute"], i["code"]) for i in answer.json()["issues"]] == [
        ("A", "price", "invalid_price"),
        ("B", "link", "missing_attribute"), ("B", "image_link", "missing_attribute"),
        ("B", "availability_date", "missing_attribute")]
    assert {k: p.status for k, p in centre.products("hand").items()} == {"A": "disapproved", "B": "disapproved"}
    bad = requests.post(f"{centre.url}/feeds/hand", data=b"<rss><channel>", timeout=5,
                        headers={"Authorization": "Bearer sim-token", "Content-Type": "application/rss+xml"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_feed"


def test_a_policy_refusal_in_the_centre_is_invalid_for_that_listing_only(online, centre):
    centre.policy_violations["YD-002"] = "受限商品"
    results = online.push_listings([MULTI, DELISTED])
    assert [(r.key, r.ok) for r in results] == [("GD-MM-001", True), ("GD-YD-002", False)]
    assert results[1].error.kind is ErrorKind.INVALID
    assert results[1].error.message == "YD-002: 受限商品"


# -- our own validation -------------------------------------------------------------------

def test_items_that_were_never_valid_stay_out_of_the_feed(online, centre):
    bad = Listing(key="GD-BAD-1", title="长" * 151, description="x" * 5001, images=("/relative.jpg",),
                  skus=(SkuListing("B" * 51, Decimal("15.001"), 1),), link=f"{SITE}/bad/")
    results = online.push_listings([bad, DELISTED])
    assert [(r.key, r.ok) for r in results] == [("GD-BAD-1", False), ("GD-YD-002", True)]
    assert results[0].error.kind is ErrorKind.INVALID
    assert results[0].error.message == (
        f"{'B' * 51}: id 超过 50 个字符，title 超过 150 个字符，description 超过 5000 个字符，"
        "image_link 不是 http(s) 绝对地址，价格必须是大于 0 的整分金额")
    assert sorted(centre.products("xiangpin")) == ["YD-002"]
    assert online.lookup(["GD-BAD-1"]) == {}


def test_limits_are_inclusive(tmp_path):
    edge = Listing(key="GD-EDGE", title="标" * 150, description="述" * 5000, images=(f"{SITE}/e.jpg",),
                   skus=(SkuListing("E" * 50, Decimal("0.01"), 1),), link=f"{SITE}/e/")
    [result] = MerchantFeedConnector(feed_config(tmp_path)).push_listings([edge])
    assert result.ok


def test_an_item_that_was_valid_keeps_its_last_valid_version_with_new_availability(online, centre):
    online.push_listings([WITH_GTIN])
    broken = replace(WITH_GTIN, title="菠" * 151, active=False,
                     skus=(SkuListing("XW-003", Decimal("35.00"), 0, (("gtin", "6901234567892"),)),))
    [result] = online.push_listings([broken])
    assert (result.ok, result.error.kind, result.state) == (False, ErrorKind.INVALID, "delisted")
    product = centre.products("xiangpin")["XW-003"]
    assert (product.value("title"), product.value("availability"), product.value("price")) == (
        "徐闻菠萝", "out_of_stock", "35.00 CNY")
    assert centre.deleted == []


def test_price_and_stock_updates_touch_only_their_skus(online, centre):
    online.push_listings([MULTI])
    results = online.update_price([("MM-001-5", Decimal("16.80")), ("MM-001-10", Decimal("-1")),
                                   ("NOPE", Decimal("1.00"))])
    assert [(r.key, r.ok, r.error.kind if r.error else None) for r in results] == [
        ("MM-001-5", True, None), ("MM-001-10", False, ErrorKind.INVALID), ("NOPE", False, ErrorKind.NOT_FOUND)]
    assert online.update_inventory([("MM-001-10", 7)])[0].ok
    products = centre.products("xiangpin")
    assert {k: (p.value("price"), p.value("availability")) for k, p in products.items()} == {
        "MM-001-5": ("16.80 CNY", "in_stock"), "MM-001-10": ("28.50 CNY", "in_stock")}
    [remote] = online.lookup(["GD-MM-001"]).values()
    assert [(s.key, s.price, s.quantity) for s in remote.skus] == [
        ("MM-001-10", Decimal("28.5"), 7), ("MM-001-5", Decimal("16.80"), 3)]


def test_a_listing_twice_in_a_batch_gets_a_result_each(online, centre):
    results = online.push_listings([DELISTED, replace(DELISTED, active=True)])
    assert [(r.key, r.ok, r.state) for r in results] == [("GD-YD-002", True, "live"), ("GD-YD-002", True, "live")]
    assert availability(centre, "YD-002") == "in_stock"      # the later one wins
    assert centre.call_count("upload") == 1


def test_delisting_a_missing_listing_is_a_success(online):
    [result] = online.delist(["GD-NEVER"])
    assert (result.ok, result.state) == (True, "delisted")


# -- errors from the centre ------------------------------------------------------------

def test_429_is_throttled_with_retry_after_and_the_next_publish_catches_up(online, centre):
    centre.faults.arm("upload", "throttle")
    [result] = online.push_listings([MULTI])
    assert (result.ok, result.error.kind, result.error.retry_after) == (False, ErrorKind.THROTTLED, 30.0)
    assert centre.products("xiangpin") == {}
    [result] = online.push_listings([DELISTED])
    assert result.ok
    assert sorted(centre.products("xiangpin")) == ["MM-001-10", "MM-001-5", "YD-002"]


def test_quota_5xx_and_auth_are_classified(online, centre):
    centre.faults.arm("upload", "quota", "fail", "auth")
    kinds = [online.push_listings([DELISTED])[0].error for _ in range(3)]
    assert [(e.kind, e.code, e.retry_after) for e in kinds] == [
        (ErrorKind.QUOTA_EXHAUSTED, "quota_exceeded", 86400.0), (ErrorKind.TRANSIENT, "backend_error", None),
        (ErrorKind.AUTH_EXPIRED, "unauthenticated", None)]


def test_a_timeout_after_the_centre_committed_is_unknown_then_lookup_finds_it(tmp_path, centre):
    connector = build("merchant_feed", ConnectorConfig(base_url=centre.url, access_token="sim-token", timeout=0.5,
                                                       extra={"feed_path": str(tmp_path / "feed.xml")}))
    centre.faults.arm("upload", "timeout")
    [result] = connector.push_listings([WITH_GTIN])
    assert (result.ok, result.error.kind) == (False, ErrorKind.UNKNOWN_OUTCOME)
    assert sorted(connector.lookup(["GD-XW-003"])) == ["GD-XW-003"]
    assert centre.catalogue.created == {"XW-003": 1}
    assert [r.ok for r in connector.push_listings([WITH_GTIN])] == [True]
    assert centre.catalogue.created == {"XW-003": 1}


def test_retry_after_as_an_http_date():
    now = datetime(2026, 10, 17, 7, 27, tzinfo=timezone.utc)
    assert parse_retry_after("Sat, 17 Oct 2026 07:28:00 GMT", now=now) == 60.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None


def test_wrong_token_is_refused(tmp_path, centre):
    connector = MerchantFeedConnector(ConnectorConfig(base_url=centre.url, access_token="stale"))
    [result] = connector.push_listings([DELISTED])
    assert result.error.kind is ErrorKind.AUTH_EXPIRED


# -- no orders ---------------------------------------------------------------------

def test_a_feed_brings_no_orders(tmp_path):
    connector = MerchantFeedConnector(feed_config(tmp_path))
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    page = connector.fetch_orders(start, start + timedelta(days=30), None)
    assert (page.orders, page.next_cursor, page.window) == ((), None, (start, start + timedelta(days=30)))
    with pytest.raises(ValueError):
        connector.fetch_orders(start, start + timedelta(days=400), None)
    assert "file" in connector.caps and connector.max_batch >= 1000
    assert isinstance(connector, Connector)
