"""WeChat Shop (微信小店) connector against its loopback simulator.

No request signature on this platform (an access token instead), so the
signature tests are the push-message signature: sha1 over the sorted
token/timestamp/nonce(/Encrypt).  Then: the draft → audit lifecycle, the shared
add+update quota and the other throttling codes, one failing item of a batch,
a timeout after the platform committed, stock and price changes that never touch
content or audit, delisting twice, order paging over adjacent windows with orders
moving mid-scan, one token refresh for eight threads, exact fen ↔ yuan and ids
beyond 2**53."""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from catalog_sync.connectors.base import (ChannelError, ConnectorConfig, ConnectorError, ErrorKind,
                                          InvalidSignature, Listing, SkuListing, fen_to_yuan, yuan_to_fen)
from catalog_sync.connectors.wechat_shop import (ADD, DELISTING, LISTING, ORDER_GET, ORDER_LIST, PRICE_UPDATE,
                                                 PRODUCT_GET, PRODUCT_LIST, STOCK_UPDATE, TOKEN_PATH, UPDATE,
                                                 WechatShopConnector, load_json)
from catalog_sync.connectors.wechat_shop_messages import push_signature
from catalog_sync.simulators.base import Faults
from catalog_sync.simulators.wechat_shop import WechatShopSimulator

CHINA = timezone(timedelta(hours=8))
PUSH_TOKEN = "xiangpin-push"


@pytest.fixture
def sim():
    simulator = WechatShopSimulator(push_token=PUSH_TOKEN, faults=Faults(timeout_seconds=1.5)).start()
    yield simulator
    simulator.stop()


def make_connector(sim, *, clock=None, **config):
    values = dict(base_url=sim.url, app_key=sim.app_key, app_secret=sim.app_secret,
                  access_token=sim.access_token, timeout=5.0, extra={"push_token": PUSH_TOKEN})
    values.update(config)
    return WechatShopConnector(ConnectorConfig(**values), clock=clock)


def listing(key="GD-MM-001", *, title="梅州金柚 5斤装", price="39.90", quantity=10, active=True):
    return Listing(key=key, title=title, description="梅县区金柚，皮薄汁多。", images=("https://img.example.cn/jy-1.jpg",),
                   skus=(SkuListing(key=f"{key}-5J", price=Decimal(price), quantity=quantity,
                                    attrs=(("规格", "5斤装"),)),), active=active)


def paths(sim):
    return [path for path, _ in sim.calls]


# --- push-message signatures ------------------------------------------------------------

def test_push_signature_golden_vectors():
    # Plaintext mode, empty nonce: sorted("xiangpin-push", "1767225600", "") joined.
    assert push_signature("xiangpin-push", "1767225600", "") == hashlib.sha1(
        b"1767225600xiangpin-push").hexdigest()
    # Encrypted mode: Encrypt joins the sort; ASCII order puts digits, then uppercase, then lowercase.
    assert push_signature("xiangpin-push", "1767225600", "a1B2", "Zm9v+Lw==") == hashlib.sha1(
        b"1767225600Zm9v+Lw==a1B2xiangpin-push").hexdigest()


def test_signed_push_with_chinese_body_parses_to_events_with_string_ids(sim):
    connector = make_connector(sim)
    body = ('{"ToUserName":"gh_xp","FromUserName":"oPlatform","CreateTime":1767225600,"MsgType":"event",'
            '"Event":"product_spu_audit","ProductSpuAudit":{"product_id":10000000000000001,"status":2,'
            '"reason":"主图不清晰，请重新上传"}}').encode("utf-8")
    query = {"signature": hashlib.sha1(b"1767225600xiangpin-push").hexdigest(), "timestamp": "1767225600",
             "nonce": ""}
    [event] = connector.parse_push({"Content-Type": "application/json", **query}, body)
    assert (event.event_id, event.topic, event.status, event.order_id) == (
        "product_spu_audit:10000000000000001:2:1767225600", "product.audit", "rejected", None)
    assert event.raw["ProductSpuAudit"]["reason"] == "主图不清晰，请重新上传"
    assert event.occurred_at == datetime(2026, 1, 1, 8, 0, tzinfo=CHINA)

    order_body = ('{"CreateTime":1767225600,"MsgType":"event","Event":"channels_ec_order_pay",'
                  '"order_info":{"order_id":3705115058471208901,"pay_time":1767225600}}').encode("utf-8")
    [paid] = connector.parse_push(query, order_body)
    assert (paid.event_id, paid.topic, paid.order_id, paid.status) == (
        "channels_ec_order_pay:3705115058471208901:1767225600", "order.paid", "3705115058471208901", "pay")
    assert isinstance(paid.order_id, str) and int(paid.order_id) > 2 ** 53


def test_redelivery_has_the_same_event_id_and_new_then_pay_differ(sim):
    connector = make_connector(sim)
    first = connector.parse_push(*sim.push_message("channels_ec_order_new", order_id="3705115058471208901",
                                                   create_time=1767225600, nonce="n1"))
    again = connector.parse_push(*sim.push_message("channels_ec_order_new", order_id="3705115058471208901",
                                                   create_time=1767225600, nonce="n2"))
    paid = connector.parse_push(*sim.push_message("channels_ec_order_pay", order_id="3705115058471208901",
                                                  create_time=1767225600))
    assert first[0].event_id == again[0].event_id == "channels_ec_order_new:3705115058471208901:1767225600"
    assert paid[0].event_id != first[0].event_id
    assert [e.topic for e in first + paid] == ["order.created", "order.paid"]


@pytest.mark.parametrize("change", ["tampered", "wrong_token", "missing", "other_timestamp"])
def test_bad_push_signature_is_refused(sim, change):
    connector = make_connector(sim)
    query, body = sim.push_message("channels_ec_order_pay", order_id="3705115058471208901",
                                   create_time=1767225600)
    if change == "tampered":
        query["signature"] = ("0" if query["signature"][0] != "0" else "1") + query["signature"][1:]
    elif change == "wrong_token":
        connector = make_connector(sim, extra={"push_token": "another-token"})
    elif change == "missing":
        del query["signature"]
    else:
        query["timestamp"] = "1767225601"
    with pytest.raises(InvalidSignature):
        connector.parse_push(query, body)


def test_encrypted_mode_is_verified_with_msg_signature_then_refused_as_config(sim):
    connector = make_connector(sim)
    body = json.dumps({"ToUserName": "gh_xp", "Encrypt": "Zm9v+Lw=="}).encode()
    good = {"timestamp": "1767225600", "nonce": "a1B2",
            "msg_signature": hashlib.sha1(b"1767225600Zm9v+Lw==a1B2xiangpin-push").hexdigest()}
    with pytest.raises(ConnectorError) as caught:
        connector.parse_push(good, body)
    assert caught.value.error.kind == ErrorKind.CONFIG
    with pytest.raises(InvalidSignature):
        connector.parse_push({**good, "msg_signature": "f" * 40}, body)


# --- access token ---------------------------------------------------------------------------

def test_expired_token_is_refreshed_exactly_once_and_the_call_retried(sim):
    connector = make_connector(sim)
    [pushed] = connector.push_listings([listing()])
    sim.expire_token()
    sim.reset_calls()
    [result] = connector.update_inventory([("GD-MM-001-5J", 7)])
    assert result.ok
    assert paths(sim) == [STOCK_UPDATE, TOKEN_PATH, STOCK_UPDATE]
    assert (connector.tokens.refresh_count, connector.tokens.token) == (1, "wx-sim-token-2")


def test_eight_threads_on_an_expired_token_refresh_it_once(sim):
    connector = make_connector(sim)
    connector.push_listings([listing()])
    sim.expire_token()
    sim.reset_calls()
    barrier = threading.Barrier(8)
    results = []

    def work(n):
        barrier.wait()
        results.extend(connector.update_inventory([("GD-MM-001-5J", n)]))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.ok for r in results] == [True] * 8
    assert sim.call_count(TOKEN_PATH) == 1
    assert connector.tokens.refresh_count == 1
    assert connector.tokens.token == sim.access_token == "wx-sim-token-2"


def test_auth_fault_and_an_empty_configured_token(sim):
    connector = make_connector(sim, access_token="")       # first call fetches one
    sim.faults.arm(ADD, "auth")                              # the platform expires it under us
    [result] = connector.push_listings([listing()])
    assert result.ok
    assert sim.call_count(TOKEN_PATH) == 2
    assert sim.call_count(ADD) == 2 and sim.catalogue.created["GD-MM-001"] == 1


def test_a_wrong_secret_is_a_config_error(sim):
    connector = make_connector(sim, access_token="", app_secret="wrong")
    [result] = connector.push_listings([listing()])
    assert (result.ok, result.error.kind, result.error.code) == (False, ErrorKind.CONFIG, "40125")
    assert sim.call_count(ADD) == 0


# --- draft, audit, live ------------------------------------------------------------------------

def test_push_writes_a_draft_and_submits_it_for_audit(sim):
    connector = make_connector(sim)
    [result] = connector.push_listings([listing()])
    item = sim.catalogue.find("GD-MM-001")
    assert (result.ok, result.state, result.remote_id) == (True, "in_review", item.remote_id)
    assert result.remote_sku_ids == {"GD-MM-001-5J": item.skus["GD-MM-001-5J"].remote_id}
    assert paths(sim) == [ADD, PRODUCT_GET, LISTING]
    add_params = sim.calls[0][1]
    assert add_params["out_product_id"] == "GD-MM-001"
    assert add_params["skus"][0]["out_sku_id"] == "GD-MM-001-5J"
    assert add_params["skus"][0]["sale_price"] == 3990
    assert (item.state, sim.audits) == ("in_review", 1)
    assert connector.lookup(["GD-MM-001"])["GD-MM-001"].state == "in_review"


def test_listing_while_in_review_is_refused_and_audit_moves_it_live_or_rejected(sim):
    connector = make_connector(sim)
    [result] = connector.push_listings([listing()])
    with pytest.raises(ConnectorError) as caught:
        connector.call(LISTING, {"product_id": result.remote_id})
    assert (caught.value.error.code, caught.value.error.kind, caught.value.error.retry_after) == (
        "10020067", ErrorKind.THROTTLED, 600.0)
    sim.audit(result.remote_id, approve=True)
    assert connector.lookup(["GD-MM-001"])["GD-MM-001"].state == "live"

    # A content change: the live version stays on sale while the new draft is audited.
    [again] = connector.push_listings([listing(title="梅州金柚 5斤装 新果")], remote_ids={"GD-MM-001": result.remote_id})
    assert (again.ok, again.state, again.remote_id) == (True, "in_review", result.remote_id)
    online = connector.call(PRODUCT_GET, {"product_id": result.remote_id, "data_type": 3})
    assert (online["product"]["title"], online["edit_product"]["title"]) == ("梅州金柚 5斤装", "梅州金柚 5斤装 新果")
    sim.audit(result.remote_id, approve=False, reason="标题含有夸大用语")
    found = connector.lookup(["GD-MM-001"])["GD-MM-001"]
    assert (found.state, found.title, sim.audits, sim.catalogue.created["GD-MM-001"]) == (
        "rejected", "梅州金柚 5斤装 新果", 2, 1)


def test_auto_approve_after_a_configured_delay():
    with WechatShopSimulator(auto_approve_after=0) as simulator:
        connector = make_connector(simulator)
        connector.push_listings([listing()])
        assert connector.lookup(["GD-MM-001"])["GD-MM-001"].state == "live"
        assert simulator.products.decisions == [(simulator.catalogue.find("GD-MM-001").remote_id, True)]


def test_an_inactive_listing_is_written_as_a_draft_without_audit(sim):
    connector = make_connector(sim)
    [result] = connector.push_listings([listing(active=False)])
    assert (result.ok, result.state, sim.call_count(LISTING), sim.audits) == (True, "draft", 0, 0)


# --- stock and price never touch content or audit --------------------------------------------

def test_stock_and_price_changes_call_only_their_methods_and_never_reaudit(sim):
    connector = make_connector(sim)
    [pushed] = connector.push_listings([listing()])
    sim.audit(pushed.remote_id, approve=True)
    item = sim.catalogue.find("GD-MM-001")
    versions, audits = item.versions, sim.audits
    sim.reset_calls()
    [stock] = connector.update_inventory([("GD-MM-001-5J", 7)])
    assert stock.ok and paths(sim) == [STOCK_UPDATE]
    assert sim.calls[0][1] == {"product_id": pushed.remote_id, "sku_id": pushed.remote_sku_ids["GD-MM-001-5J"],
                               "diff_type": 3, "num": 7}
    sim.reset_calls()
    [price] = connector.update_price([("GD-MM-001-5J", Decimal("35.50"))])
    assert price.ok and paths(sim) == [PRICE_UPDATE]
    assert sim.calls[0][1]["skus"] == [{"sku_id": pushed.remote_sku_ids["GD-MM-001-5J"], "sale_price": 3550}]
    assert (item.versions, sim.audits, item.state) == (versions, audits, "live")
    found = connector.lookup(["GD-MM-001"])["GD-MM-001"]
    assert [(s.key, s.price, s.quantity) for s in found.skus] == [("GD-MM-001-5J", Decimal("35.50"), 7)]


def test_a_fresh_connector_finds_the_sku_by_reading_never_by_writing(sim):
    make_connector(sim).push_listings([listing("GD-MM-001"), listing("GD-YD-002", title="英德红茶 250克")])
    audits = sim.audits
    sim.reset_calls()
    fresh = make_connector(sim)
    [result] = fresh.update_inventory([("GD-YD-002-5J", 3)])
    assert result.ok
    assert set(paths(sim)) == {PRODUCT_LIST, PRODUCT_GET, STOCK_UPDATE}
    assert sim.call_count(STOCK_UPDATE) == 1
    assert not {ADD, UPDATE, LISTING} & set(paths(sim))
    assert sim.audits == audits
    assert sim.catalogue.find("GD-YD-002").skus["GD-YD-002-5J"].quantity == 3
    # Passed remote ids save the scan altogether.
    sim.reset_calls()
    ref = (result.remote_id, result.remote_sku_ids["GD-YD-002-5J"])
    make_connector(sim).update_inventory([("GD-YD-002-5J", 4)], remote_skus={"GD-YD-002-5J": ref})
    assert paths(sim) == [STOCK_UPDATE]


def test_stock_of_an_unknown_sku_is_not_found(sim):
    [result] = make_connector(sim).update_inventory([("NOPE-1", 3)])
    assert (result.ok, result.error.kind) == (False, ErrorKind.NOT_FOUND)
    assert sim.call_count(STOCK_UPDATE) == 0


# --- throttling and quotas -----------------------------------------------------------------------

def test_minute_quota_is_throttled_for_the_next_minute():
    with WechatShopSimulator(minute_limits={STOCK_UPDATE: 2}) as simulator:
        connector = make_connector(simulator)
        connector.push_listings([listing()])
        results = [connector.update_inventory([("GD-MM-001-5J", n)])[0] for n in (1, 2, 3)]
        assert [r.ok for r in results] == [True, True, False]
        assert (results[2].error.kind, results[2].error.code, results[2].error.retry_after) == (
            ErrorKind.THROTTLED, "45011", 60.0)


def test_daily_quota_is_exhausted_until_midnight_beijing_time():
    with WechatShopSimulator(daily_cap=2) as simulator:
        connector = make_connector(simulator, clock=lambda: datetime(2026, 3, 1, 22, 30, tzinfo=CHINA))
        results = connector.push_listings([listing("A-1"), listing("A-2"), listing("A-3")])
        assert [r.ok for r in results] == [True, True, False]
        assert (results[2].error.kind, results[2].error.code, results[2].error.retry_after) == (
            ErrorKind.QUOTA_EXHAUSTED, "45009", 5400.0)
        assert "A-3" not in simulator.catalogue.created


def test_add_and_update_share_200_an_hour_and_stock_stays_free(sim):
    connector = make_connector(sim)
    first = connector.push_listings([listing(f"Q-{n:03d}") for n in range(199)])
    assert all(r.ok for r in first)
    [updated] = connector.push_listings([listing("Q-000", title="梅州金柚 5斤装 二")],
                                        remote_ids={"Q-000": first[0].remote_id})
    assert updated.ok                                            # the 200th write of the hour
    [refused] = connector.push_listings([listing("Q-200")])
    assert (refused.ok, refused.error.kind, refused.error.code, refused.error.retry_after) == (
        False, ErrorKind.QUOTA_EXHAUSTED, "1002001", 3600.0)
    [refused_update] = connector.push_listings([listing("Q-001", title="梅州金柚 5斤装 二")],
                                               remote_ids={"Q-001": first[1].remote_id})
    assert (refused_update.ok, refused_update.error.code) == (False, "1002001")
    assert connector.update_inventory([("Q-001-5J", 1)])[0].ok    # stock-only: no quota
    assert len(sim.catalogue.items) == 199
    sim.clock_offset = timedelta(minutes=61)                     # an hour later the quota is back
    assert connector.push_listings([listing("Q-200")])[0].ok


def test_listing_refused_after_the_draft_was_created_is_an_unknown_outcome(sim):
    connector = make_connector(sim)
    sim.faults.arm(LISTING, "audit_quota")
    [result] = connector.push_listings([listing()])
    item = sim.catalogue.find("GD-MM-001")
    # Something was made: the engine must look it up, never add a second copy.
    assert (result.ok, result.remote_id, result.state) == (False, item.remote_id, "draft")
    assert (result.error.kind, result.error.code, result.error.retry_after) == (
        ErrorKind.UNKNOWN_OUTCOME, "1002001", 3600.0)
    sim.faults.arm(LISTING, "audit_quota")
    [update] = connector.push_listings([listing()], remote_ids={"GD-MM-001": item.remote_id})
    assert (update.ok, update.error.kind) == (False, ErrorKind.QUOTA_EXHAUSTED)


@pytest.mark.parametrize("code, kind, retry_after", [
    (45011, ErrorKind.THROTTLED, 60.0),
    (45009, ErrorKind.QUOTA_EXHAUSTED, 5400.0),
    (1002001, ErrorKind.QUOTA_EXHAUSTED, 3600.0),
    (-1, ErrorKind.TRANSIENT, None),
    (40001, ErrorKind.AUTH_EXPIRED, None),
    (48001, ErrorKind.CONFIG, None),
    (10020021, ErrorKind.INVALID, None),
    (10020039, ErrorKind.INVALID, None),
    (10020052, ErrorKind.NOT_FOUND, None),
    (10020067, ErrorKind.THROTTLED, 600.0),
])
def test_classify_wechat_codes(code, kind, retry_after):
    connector = WechatShopConnector(ConnectorConfig(base_url="http://127.0.0.1:9"),
                                    clock=lambda: datetime(2026, 3, 1, 22, 30, tzinfo=CHINA))
    error = connector.classify(200, {"errcode": code, "errmsg": "msg rid: 1"}, None)
    assert error == ChannelError(kind, str(code), "msg rid: 1", retry_after=retry_after)


def test_item_errors_come_back_classified(sim):
    connector = make_connector(sim)
    sim.faults.arm(ADD, "throttle")
    results = connector.push_listings([listing("T-1"), listing("T-2", title="长" * 61)])
    assert [(r.ok, r.error.kind, r.error.code) for r in results] == [
        (False, ErrorKind.THROTTLED, "45011"), (False, ErrorKind.INVALID, "10020021")]
    assert sim.catalogue.items == {}


# --- one item of a batch fails alone ------------------------------------------------------------

def test_one_failing_item_fails_alone(sim):
    connector = make_connector(sim)
    sim.faults.arm(ADD, "ok", "ok", "fail")                       # item 3 of 5
    batch = [listing(f"B-{n}") for n in range(1, 6)]
    results = connector.push_listings(batch)
    assert [(r.key, r.ok) for r in results] == [("B-1", True), ("B-2", True), ("B-3", False), ("B-4", True),
                                                ("B-5", True)]
    assert (results[2].error.kind, results[2].error.code) == (ErrorKind.TRANSIENT, "-1")
    assert sorted(sim.catalogue.created) == ["B-1", "B-2", "B-4", "B-5"]
    assert [r.state for r in results if r.ok] == ["in_review"] * 4


# --- a timeout after the platform committed -------------------------------------------------------

def test_timeout_after_commit_is_unknown_and_lookup_finds_the_one_copy(sim):
    connector = make_connector(sim, timeout=0.5)
    sim.faults.arm(ADD, "timeout")
    [result] = connector.push_listings([listing()])
    assert (result.ok, result.error.kind) == (False, ErrorKind.UNKNOWN_OUTCOME)
    found = connector.lookup(["GD-MM-001"])["GD-MM-001"]
    item = sim.catalogue.find("GD-MM-001")
    assert (found.remote_id, found.state, sim.catalogue.created["GD-MM-001"]) == (item.remote_id, "draft", 1)
    # The engine adopts the remote id and pushes again: an update, never a second add.
    [retried] = connector.push_listings([listing()], remote_ids={"GD-MM-001": found.remote_id})
    assert (retried.ok, retried.state, sim.catalogue.created["GD-MM-001"], sim.call_count(ADD)) == (
        True, "in_review", 1, 1)


# --- delist ---------------------------------------------------------------------------------

def test_delist_is_idempotent_and_a_missing_item_counts_as_delisted(sim):
    connector = make_connector(sim)
    [pushed] = connector.push_listings([listing()])
    sim.audit(pushed.remote_id, approve=True)
    first = connector.delist(["GD-MM-001"])
    second = connector.delist(["GD-MM-001"])
    missing = connector.delist(["NEVER-PUSHED"])
    gone = connector.delist(["GONE"], remote_ids={"GONE": "10000000000009999"})
    assert [(r.ok, r.state) for r in first + second + missing + gone] == [(True, "delisted")] * 4
    assert sim.call_count(DELISTING) == 3
    assert connector.lookup(["GD-MM-001"])["GD-MM-001"].state == "delisted"


# --- orders -----------------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=CHINA)


def collect(connector, start, end):
    """Every order of one window, page after page; (orders, page sizes)."""
    orders, sizes, cursor = [], [], None
    while True:
        page = connector.fetch_orders(start, end, cursor)
        orders += page.orders
        sizes.append(len(page.orders))
        cursor = page.next_cursor
        if cursor is None:
            return orders, sizes


def test_order_maps_fen_to_yuan_and_keeps_no_personal_data(sim):
    connector = make_connector(sim)
    connector.push_listings([listing()])
    placed = sim.place_order("GD-MM-001-5J", 3, created=T0, modified=T0 + timedelta(minutes=1), city="梅州市")
    [order] = connector.fetch_orders(T0, T0 + timedelta(hours=1), None).orders
    assert (order.external_id, order.status, order.paid, order.cancelled) == (placed.order_id, "20", True, False)
    assert int(order.external_id) > 2 ** 53
    assert (order.total, order.city, order.created_at, order.updated_at) == (
        Decimal("119.70"), "梅州市", T0, T0 + timedelta(minutes=1))
    [line] = order.lines
    assert (line.sku_key, line.quantity, line.unit_price, line.title) == (
        "GD-MM-001-5J", 3, Decimal("39.90"), "梅州金柚 5斤装")
    raw = json.dumps(order.raw, ensure_ascii=False)
    for personal in ("陈小明", "13800138000", "天河路", "510000", "oSimBuyer0001", "uSimBuyer0001"):
        assert personal not in raw
    assert order.raw["order_detail"]["delivery_info"]["address_info"] == {"city_name": "梅州市"}


def test_cancelled_and_unpaid_orders(sim):
    connector = make_connector(sim)
    unpaid = sim.place_order("X-1", 1, status=10, created=T0)
    cancelled = sim.place_order("X-1", 1, status=250, created=T0)
    refunded = sim.place_order("X-1", 1, status=200, created=T0)
    flags = {o.external_id: (o.paid, o.cancelled) for o in connector.fetch_orders(T0, T0 + timedelta(minutes=5),
                                                                                  None).orders}
    assert flags == {unpaid.order_id: (False, False), cancelled.order_id: (False, True),
                     refunded.order_id: (True, True)}


def test_order_window_over_seven_days_is_refused(sim):
    connector = make_connector(sim)
    with pytest.raises(ValueError):
        connector.fetch_orders(T0, T0 + timedelta(days=7, seconds=1), None)
    assert sim.call_count(ORDER_LIST) == 0
    assert connector.fetch_orders(T0, T0 + timedelta(days=7), None).orders == ()


def test_orders_moving_between_pages_and_on_window_bounds_are_never_lost(sim):
    connector = make_connector(sim)
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    placed = [sim.place_order("GD-MM-001-5J", 1, created=T0 - timedelta(days=1), modified=T0 + timedelta(seconds=15 * n))
              for n in range(230)]
    on_t1 = sim.place_order("GD-MM-001-5J", 1, created=T0, modified=t1)
    on_t2 = sim.place_order("GD-MM-001-5J", 1, created=T0, modified=t2)
    before = sim.place_order("GD-MM-001-5J", 1, created=T0, modified=T0 - timedelta(seconds=1))
    moved = []

    def between_pages(simulator, next_key):
        if moved:
            return
        # After page 1: two orders already read and two not yet read move on to the next
        # window; one not yet read moves later inside this window.
        for order, when in ((placed[0], T0 + timedelta(minutes=90)), (placed[1], T0 + timedelta(minutes=91)),
                            (placed[210], T0 + timedelta(minutes=95)), (placed[211], T0 + timedelta(minutes=96)),
                            (placed[120], T0 + timedelta(minutes=59, seconds=30))):
            simulator.modify_order(order.order_id, status=30, modified=when)
            moved.append(order.order_id)

    sim.set_between_pages(between_pages)
    first, first_sizes = collect(connector, T0, t1)
    second, second_sizes = collect(connector, t1, t2)
    seen = [o.external_id for o in first + second]
    expected = {o.order_id for o in placed} | {on_t1.order_id, on_t2.order_id}
    assert set(seen) == expected                                   # nothing missing, nothing from before T0
    assert before.order_id not in seen
    assert max(first_sizes + second_sizes) <= 100
    assert all(params["page_size"] == 100 for path, params in sim.calls if path == ORDER_LIST)
    # A bound belongs to both windows (the engine de-duplicates by id).
    assert on_t1.order_id in {o.external_id for o in first} and on_t1.order_id in {o.external_id for o in second}
    latest = {}
    for order in first + second:
        latest[order.external_id] = order
    assert {order_id: latest[order_id].status for order_id in moved} == {order_id: "30" for order_id in moved}


def test_get_order_of_an_unknown_id_is_not_found(sim):
    with pytest.raises(ConnectorError) as caught:
        make_connector(sim).get_order("3705115058471200000")
    assert caught.value.error.kind == ErrorKind.NOT_FOUND


# --- units and ids --------------------------------------------------------------------------------

@pytest.mark.parametrize("price", ["0.01", "0.10", "19.99", "39.90", "12345678.99"])
def test_fen_yuan_round_trip_through_the_platform(sim, price):
    connector = make_connector(sim)
    connector.push_listings([listing(price=price)])
    assert sim.catalogue.find("GD-MM-001").skus["GD-MM-001-5J"].price == yuan_to_fen(Decimal(price))
    [sku] = connector.lookup(["GD-MM-001"])["GD-MM-001"].skus
    assert sku.price == Decimal(price) == fen_to_yuan(yuan_to_fen(Decimal(price)))


def test_a_sub_fen_price_is_refused_before_any_call(sim):
    connector = make_connector(sim)
    [result] = connector.push_listings([listing(price="9.995")])
    assert (result.ok, result.error.kind, sim.call_count(ADD)) == (False, ErrorKind.INVALID, 0)


def test_remote_ids_beyond_2_53_stay_exact_strings(sim):
    connector = make_connector(sim)
    [result] = connector.push_listings([listing()])
    assert isinstance(result.remote_id, str) and int(result.remote_id) > 2 ** 53
    assert result.remote_id == sim.catalogue.find("GD-MM-001").remote_id == "10000000000000001"
    assert load_json(b'{"product_id": 18446744073709551615}')["product_id"] == 18446744073709551615
    assert connector.lookup(["GD-MM-001"])["GD-MM-001"].remote_id == "10000000000000001"


# --- the push endpoint, end to end -----------------------------------------------------------------

VIEW_CONNECTORS: dict = {}


def view_connector(channel):
    return VIEW_CONNECTORS[channel.code]


@pytest.mark.django_db
def test_push_endpoint_refuses_a_bad_signature_and_imports_a_signed_paid_order(client, sim, settings):
    from oscar.core.loading import get_model

    from catalog_sync.models import Channel, ImportedOrder, Platform, PushReceipt
    from tests.factories import make_product

    StockRecord = get_model("partner", "StockRecord")
    product = make_product(title="高州荔枝 3斤装", price=Decimal("66.00"), stock=10)
    sku = StockRecord.objects.get(product=product).partner_sku
    Channel.objects.create(code="wx-test", name="微信小店扶贫馆", platform=Platform.WECHAT_SHOP)
    VIEW_CONNECTORS["wx-test"] = make_connector(sim)
    settings.CATALOG_SYNC_CONNECTOR_FACTORY = "tests.catalog_sync.test_wechat_shop.view_connector"
    now = datetime.now(CHINA).replace(microsecond=0)
    order = sim.place_order(sku, 2, unit_fen=6600, created=now - timedelta(minutes=2))
    query, body = sim.push_message("channels_ec_order_pay", order_id=order.order_id)
    url = "/catalog-sync/push/wx-test/"
    try:
        bad = {**query, "signature": "0" * 40}
        response = client.post(f"{url}?{urlencode(bad)}", data=body, content_type="application/json")
        assert response.status_code == 401
        assert (PushReceipt.objects.count(), ImportedOrder.objects.count(), sim.call_count(ORDER_GET)) == (0, 0, 0)

        response = client.post(f"{url}?{urlencode(query)}", data=body, content_type="application/json")
        assert (response.status_code, response.content) == (200, b"success")
        imported = ImportedOrder.objects.get()
        assert (imported.external_id, imported.total, imported.status) == (order.order_id, Decimal("132.00"), "20")
        assert PushReceipt.objects.count() == 1
    finally:
        VIEW_CONNECTORS.clear()
