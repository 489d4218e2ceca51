"""Taobao/Tmall TOP connector against the loopback TOP simulator (no database needed)."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from catalog_sync.connectors import build
from catalog_sync.connectors import taobao_wire as wire
from catalog_sync.connectors.base import (ConnectorConfig, ConnectorError, ErrorKind, Listing, SkuListing,
                                          fen_to_yuan, yuan_to_fen)
from catalog_sync.connectors.taobao import (ADD_METHOD, DELIST_METHOD, LOOKUP_METHOD, PRICE_METHOD,
                                            SKU_LOOKUP_METHOD, STOCK_METHOD, UPDATE_METHOD, TaobaoConnector)
from catalog_sync.connectors.taobao_orders import INCREMENT_METHOD, RESTART, PagePosition
from catalog_sync.simulators.base import CHINA, Faults
from catalog_sync.simulators.taobao import FIRST_ITEM_ID, TaobaoSimulator
from catalog_sync.simulators.taobao_orders import whole_seconds

SECRET = "sim-secret"


@pytest.fixture
def sim():
    simulator = TaobaoSimulator(faults=Faults(timeout_seconds=1.5)).start()
    yield simulator
    simulator.stop()


def connect(sim, *, timeout=5.0, secret=SECRET, refresh_token="sim-refresh", **kwargs) -> TaobaoConnector:
    config = ConnectorConfig(base_url=sim.url, app_key="sim-app", app_secret=secret, access_token="sim-token",
                             refresh_token=refresh_token, timeout=timeout, extra=kwargs)
    return build("taobao", config)


@pytest.fixture
def top(sim):
    connector = connect(sim)
    yield connector
    connector.close()


def listing(key="GD-MZ-001", price="39.90", qty=10, title="梅州金柚 5斤装", active=True, description="客家山区的蜜柚"):
    return Listing(key=key, title=title, description=description, images=("https://img.example/jy.jpg",),
                   skus=(SkuListing(key=f"{key}-5", price=Decimal(price), quantity=qty, attrs=(("规格", "5斤装"),)),),
                   active=active)


@pytest.fixture
def offline():
    """A connector that never calls out (classification and interface facts)."""
    return TaobaoConnector(ConnectorConfig(base_url="http://127.0.0.1:9", app_key="k", app_secret="s"))


def methods(sim) -> list[str]:
    return [method for method, _params in sim.calls]


# --- signing ------------------------------------------------------------------------------

FIXED = datetime(2026, 5, 1, 10, 0, 0, tzinfo=CHINA)
BUSINESS = {"title": "梅州金柚 5斤装", "desc": "", "num": 5, "location.city": "梅州", "sku_prices": "39.90"}
# sorted by key, ASCII: '.' sorts before letters, '_' after uppercase and before lowercase
CONCATENATED = ("app_keysim-app" "desc" "formatjson" "location.city梅州" "methodtaobao.item.add" "num5"
                "sessiontok" "sign_methodmd5" "sku_prices39.90" "timestamp2026-05-01 10:00:00"
                "title梅州金柚 5斤装" "v2.0")


def test_md5_golden_vector_chinese_title_and_empty_value_kept(sim):
    connector = connect(sim)
    connector.clock = lambda: FIXED
    system, business = connector.signed(ADD_METHOD, BUSINESS, "tok")
    expected = hashlib.md5(("sim-secret" + CONCATENATED + "sim-secret").encode("utf-8")).hexdigest().upper()
    assert system["sign"] == expected
    assert len(expected) == 32 and expected == expected.upper()
    assert business == {"title": "梅州金柚 5斤装", "desc": "", "num": "5", "location.city": "梅州",
                        "sku_prices": "39.90"}
    assert system["timestamp"] == "2026-05-01 10:00:00"


def test_hmac_golden_vector(sim):
    connector = connect(sim, sign_method="hmac")
    connector.clock = lambda: FIXED
    system, _business = connector.signed(ADD_METHOD, BUSINESS, "tok")
    text = CONCATENATED.replace("sign_methodmd5", "sign_methodhmac")
    assert system["sign"] == hmac.new(b"sim-secret", text.encode("utf-8"), hashlib.md5).hexdigest().upper()


def test_blank_policy_flip_drops_empty_values_from_request_and_sign(sim):
    connector = connect(sim)
    connector.clock = lambda: FIXED
    connector.skip_policy = wire.SKIP_BLANK
    system, business = connector.signed(ADD_METHOD, BUSINESS, "tok")
    assert "desc" not in business
    text = CONCATENATED.replace("desc", "")
    assert system["sign"] == hashlib.md5(f"sim-secret{text}sim-secret".encode()).hexdigest().upper()


def test_none_is_always_dropped_and_bytes_refused_in_signed_params():
    assert wire.prepare({"a": None, "b": "", "c": True}) == {"b": "", "c": "true"}
    with pytest.raises(TypeError):
        wire.prepare({"image": b"\x89PNG"})


def test_file_param_is_sent_but_not_signed(sim, top):
    [result] = top.push_listings([listing()])
    top.call("taobao.item.img.upload", {"num_iid": result.remote_id, "is_major": "true"},
             files={"image": b"\x89PNG\r\n\x1a\n-bytes"})
    assert sim.images[result.remote_id] == [b"\x89PNG\r\n\x1a\n-bytes"]
    method, params = sim.calls[-1]
    assert method == "taobao.item.img.upload" and "image" not in params
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    assert params["sign"] == hashlib.md5(f"sim-secret{text}sim-secret".encode("utf-8")).hexdigest().upper()


def test_chinese_title_and_empty_description_pass_the_simulator(sim, top):
    [result] = top.push_listings([listing(description="")])
    assert result.ok, result.error
    assert sim.catalogue.get(result.remote_id).payload["desc"] == ""
    assert sim.errors == []


def test_tampered_sign_and_tampered_value_are_refused_with_code_25(sim, top):
    system, business = top.signed(LOOKUP_METHOD, {"outer_id": "GD-MZ-001", "fields": "num_iid"}, "sim-token")
    gateway = f"{sim.url}/router/rest"
    bad_sign = requests.post(gateway, params={**system, "sign": "0" * 32}, data=business, timeout=5).json()
    bad_value = requests.post(gateway, params=system, data={**business, "outer_id": "GD-MZ-002"}, timeout=5).json()
    good = requests.post(gateway, params=system, data=business, timeout=5).json()
    assert bad_sign["error_response"]["code"] == 25
    assert bad_value["error_response"]["code"] == 25
    assert "error_response" not in good


def test_wrong_secret_is_a_config_error(sim):
    connector = connect(sim, secret="not-the-secret")
    with pytest.raises(ConnectorError) as caught:
        connector.lookup(["GD-MZ-001"])
    assert (caught.value.error.kind, caught.value.error.code) == (ErrorKind.CONFIG, "25")


@pytest.mark.parametrize("minutes", [11, -11])
def test_skewed_timestamp_is_refused_with_code_31(sim, top, minutes):
    top.clock = lambda: sim.now() + timedelta(minutes=minutes)
    with pytest.raises(ConnectorError) as caught:
        top.lookup(["GD-MZ-001"])
    assert (caught.value.error.kind, caught.value.error.code) == (ErrorKind.CLOCK_SKEW, "31")
    assert sim.errors[-1]["code"] == 31


def test_skew_inside_ten_minutes_and_epoch_ms_timestamps_pass(sim, top):
    top.clock = lambda: sim.now() + timedelta(minutes=9)
    assert top.lookup(["GD-MZ-001"]) == {}
    top.timestamp_style = wire.TIMESTAMP_EPOCH_MS
    assert top.lookup(["GD-MZ-001"]) == {}
    assert sim.calls[-1][1]["timestamp"].isdigit()


# --- classification -------------------------------------------------------------------------

@pytest.mark.parametrize("error, kind, retry_after", [
    ({"code": 7, "msg": "App Call Limited", "sub_code": wire.API_BAN,
      "sub_msg": "This ban will last for 71 more seconds"}, ErrorKind.THROTTLED, 71.0),
    ({"code": 7, "msg": "App Call Limited", "sub_code": wire.APP_API_BAN,
      "sub_msg": "This ban will last for 5 more seconds"}, ErrorKind.THROTTLED, 5.0),
    ({"code": 7, "msg": "App Call Limited", "sub_code": wire.APP_BAN,
      "sub_msg": "This ban will last for 120 more seconds"}, ErrorKind.QUOTA_EXHAUSTED, 120.0),
    ({"code": 7, "msg": "App Call Limited", "sub_code": wire.API_BAN,
      "sub_msg": "This ban will last for 7200 more seconds"}, ErrorKind.QUOTA_EXHAUSTED, 7200.0),
    ({"code": 10, "msg": "Service Currently Unavailable"}, ErrorKind.TRANSIENT, None),
    ({"code": 11, "msg": "Insufficient isv permissions"}, ErrorKind.CONFIG, None),
    ({"code": 25, "msg": "Invalid signature"}, ErrorKind.CONFIG, None),
    ({"code": 27, "msg": "Invalid session", "sub_code": "invalid-sessionkey"}, ErrorKind.AUTH_EXPIRED, None),
    ({"code": 31, "msg": "Invalid timestamp"}, ErrorKind.CLOCK_SKEW, None),
    ({"code": 40, "msg": "Missing Required Arguments"}, ErrorKind.INVALID, None),
    ({"code": 41, "msg": "Invalid Arguments"}, ErrorKind.INVALID, None),
    ({"code": 43, "msg": "Parameter Error"}, ErrorKind.INVALID, None),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isv.invalid-category"}, ErrorKind.INVALID, None),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isp.top-remote-connection-timeout"},
     ErrorKind.TRANSIENT, None),
    ({"code": 15, "msg": "Remote service error", "sub_code": "isv.item-not-exist"}, ErrorKind.NOT_FOUND, None),
])
def test_classify_top_error_table(offline, error, kind, retry_after):
    result = offline.classify(200, {"error_response": error}, None)
    assert (result.kind, result.code, result.retry_after) == (kind, str(error["code"]), retry_after)
    assert result.sub_code == error.get("sub_code")


def test_classify_http_failures_and_exceptions(offline):
    assert offline.classify(502, b"<html>bad gateway</html>", None).kind is ErrorKind.TRANSIENT
    assert offline.classify(None, None, requests.ConnectionError("refused")).kind is ErrorKind.TRANSIENT
    raw = json.dumps({"error_response": {"code": 27, "msg": "Invalid session"}}).encode()
    assert offline.classify(200, raw, None).kind is ErrorKind.AUTH_EXPIRED


# --- throttling ---------------------------------------------------------------------------

def test_short_ban_is_throttled_with_its_seconds_and_stops_the_batch(sim, top):
    big = Listing(key="GD-MZ-002", title="梅州金柚 礼盒", description="", images=(),
                  skus=(SkuListing("GD-MZ-002-a", Decimal("58.00"), 5), SkuListing("GD-MZ-002-b", Decimal("88.00"), 5)))
    top.push_listings([big])
    sim.throttle_ban_seconds = 42
    sim.faults.arm(STOCK_METHOD, "throttle")
    sim.reset_calls()
    first, second = top.update_inventory([("GD-MZ-002-a", 1), ("GD-MZ-002-b", 2)])
    assert (first.ok, first.error.kind, first.error.retry_after) == (False, ErrorKind.THROTTLED, 42.0)
    assert first.error.sub_code == "accesscontrol.limited-by-api-access-count"
    assert (second.ok, second.error) == (False, first.error)
    assert methods(sim) == [STOCK_METHOD]        # the banned API is not hit again inside the batch


def test_token_bucket_holds_across_eight_threads_and_bans_name_their_seconds(sim, top):
    sim.limit(LOOKUP_METHOD, rate=5, per=3600)
    barrier = threading.Barrier(8)
    outcomes: list = []

    def worker():
        barrier.wait()
        try:
            outcomes.append(top.lookup(["GD-MZ-001"]))
        except ConnectorError as exc:
            outcomes.append(exc.error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [outcome for outcome in outcomes if not isinstance(outcome, dict)]
    assert len(outcomes) - len(errors) == 5
    assert [error.kind for error in errors] == [ErrorKind.THROTTLED] * 3
    assert sorted(error.retry_after for error in errors) == sorted(float(n) for n in sim.bans)
    assert all(700 < n <= 720 for n in sim.bans)     # 5 per hour: the next call in 3600/5 s


def test_app_quota_is_quota_exhausted_not_a_short_ban(sim, top):
    sim.app_calls_left = 1
    assert top.lookup(["GD-MZ-001"]) == {}
    with pytest.raises(ConnectorError) as caught:
        top.lookup(["GD-MZ-001"])
    error = caught.value.error
    assert (error.kind, error.code, error.sub_code) == (ErrorKind.QUOTA_EXHAUSTED, "7",
                                                        "accesscontrol.limited-by-app-access-count")
    assert error.retry_after == float(sim.bans[-1])


# --- batches, timeouts, stock-only -----------------------------------------------------------

def test_one_failing_item_fails_alone(sim, top):
    sim.faults.arm(ADD_METHOD, "ok", "fail", "ok")
    results = top.push_listings([listing("K1"), listing("K2"), listing("K3")])
    assert [r.ok for r in results] == [True, False, True]
    assert (results[1].error.kind, results[1].error.code) == (ErrorKind.TRANSIENT, "10")
    assert sim.catalogue.created == {"K1": 1, "K3": 1}
    assert methods(sim) == [ADD_METHOD] * 3 + [LOOKUP_METHOD]      # one read learns the new SKU ids
    assert sim.calls[-1][1]["outer_id"] == "K1,K3"


def test_an_invalid_item_fails_alone_with_the_platform_reason(sim, top):
    results = top.push_listings([listing("K1"), listing("K2", title="梅州金柚" * 8), listing("K3"),
                                 listing("K4", price="1.005")])
    assert [r.ok for r in results] == [True, False, True, False]
    assert (results[1].error.kind, results[1].error.sub_code) == (ErrorKind.INVALID, "isv.invalid-parameter:title")
    assert (results[3].error.kind, results[3].error.code) == (ErrorKind.INVALID, "bad_listing")
    assert methods(sim) == [ADD_METHOD] * 3 + [LOOKUP_METHOD]      # the sub-fen price never left us


def test_timeout_after_commit_is_unknown_outcome_and_lookup_finds_the_one_item(sim):
    top = connect(sim, timeout=0.5)
    sim.faults.arm(ADD_METHOD, "timeout")
    [result] = top.push_listings([listing()])
    assert (result.ok, result.error.kind) == (False, ErrorKind.UNKNOWN_OUTCOME)
    found = top.lookup(["GD-MZ-001"])
    remote_id = found["GD-MZ-001"].remote_id
    assert remote_id == sim.catalogue.find("GD-MZ-001").remote_id
    [again] = top.push_listings([listing(qty=3)], remote_ids={"GD-MZ-001": remote_id})
    assert again.ok and again.remote_id == remote_id
    assert sim.catalogue.created["GD-MZ-001"] == 1 and sim.catalogue.live_count("GD-MZ-001") == 1
    assert methods(sim) == [ADD_METHOD, LOOKUP_METHOD, UPDATE_METHOD, LOOKUP_METHOD]


def test_a_key_twice_in_one_batch_is_created_once(sim, top):
    first, second = top.push_listings([listing(), listing(qty=4)])
    assert first.ok and second.ok and first.remote_id == second.remote_id
    assert methods(sim) == [ADD_METHOD, UPDATE_METHOD, LOOKUP_METHOD]
    assert sim.catalogue.created["GD-MZ-001"] == 1


def test_stock_only_change_calls_only_the_stock_method(sim, top):
    top.push_listings([listing()])
    sim.reset_calls()
    [result] = top.update_inventory([("GD-MZ-001-5", 7)])
    assert result.ok
    assert methods(sim) == [STOCK_METHOD]
    params = sim.calls[0][1]
    assert (params["outer_id"], params["quantity"], params["type"]) == ("GD-MZ-001-5", "7", "1")
    assert sim.catalogue.find("GD-MZ-001").skus["GD-MZ-001-5"].quantity == 7


def test_push_reports_the_sku_ids_taobao_assigned(sim, top):
    [result] = top.push_listings([listing()])
    item = sim.catalogue.find("GD-MZ-001")
    assert result.remote_sku_ids == {"GD-MZ-001-5": item.skus["GD-MZ-001-5"].remote_id}
    assert int(result.remote_sku_ids["GD-MZ-001-5"]) > 2**53


def test_a_failed_sku_id_read_leaves_the_push_a_success(sim, top):
    sim.faults.arm(LOOKUP_METHOD, "fail")
    [result] = top.push_listings([listing()])
    assert (result.ok, result.remote_sku_ids) == (True, {})


def test_stock_from_a_fresh_connector_uses_the_engines_ids_or_one_read(sim, top):
    [pushed] = top.push_listings([listing()])
    remote_skus = {key: (pushed.remote_id, sku_id) for key, sku_id in pushed.remote_sku_ids.items()}
    sim.reset_calls()
    assert connect(sim).update_inventory([("GD-MZ-001-5", 4)], remote_skus=remote_skus)[0].ok
    assert methods(sim) == [STOCK_METHOD]
    sim.reset_calls()
    assert connect(sim).update_inventory([("GD-MZ-001-5", 5)])[0].ok
    assert methods(sim) == [SKU_LOOKUP_METHOD, STOCK_METHOD]
    assert sim.catalogue.find("GD-MZ-001").skus["GD-MZ-001-5"].quantity == 5


def test_price_only_change_calls_only_the_price_method(sim, top):
    top.push_listings([listing()])
    sim.reset_calls()
    assert top.update_price([("GD-MZ-001-5", Decimal("35.50"))])[0].ok
    assert methods(sim) == [PRICE_METHOD]
    assert sim.calls[0][1]["price"] == "35.50" and sim.calls[0][1]["properties"] == "$规格:5斤装"
    assert sim.catalogue.find("GD-MZ-001").skus["GD-MZ-001-5"].price == Decimal("35.50")
    sim.reset_calls()
    assert connect(sim).update_price([("GD-MZ-001-5", Decimal("36.00"))])[0].ok
    assert methods(sim) == [SKU_LOOKUP_METHOD, PRICE_METHOD]


def test_unknown_sku_is_not_found_without_a_write(sim, top):
    [result] = top.update_inventory([("NO-SUCH-SKU", 1)])
    assert (result.ok, result.error.kind) == (False, ErrorKind.NOT_FOUND)
    assert methods(sim) == [SKU_LOOKUP_METHOD]


def test_delist_is_idempotent(sim, top):
    [pushed] = top.push_listings([listing()])
    [first] = top.delist(["GD-MZ-001"])
    assert (first.ok, first.state) == (True, "delisted")
    assert sim.catalogue.find("GD-MZ-001").state == "instock"
    fresh = connect(sim)
    sim.reset_calls()
    [again] = fresh.delist(["GD-MZ-001"])            # already delisted: found, no write
    [missing] = fresh.delist(["NEVER-LISTED"])        # missing: success, no write
    assert again.ok and missing.ok and again.state == missing.state == "delisted"
    assert DELIST_METHOD not in methods(sim)
    [gone] = fresh.delist(["GONE"], remote_ids={"GONE": str(int(pushed.remote_id) + 999)})
    assert gone.ok and sim.errors[-1]["sub_code"] == "isv.item-not-exist"


# --- orders -------------------------------------------------------------------------------

def _order_ids(connector, start, end) -> tuple[list[str], list[str]]:
    ids, cursors, cursor = [], [], None
    while True:
        page = connector.fetch_orders(start, end, cursor)
        ids.extend(order.external_id for order in page.orders)
        if page.next_cursor is None:
            return ids, cursors
        cursor = page.next_cursor
        cursors.append(cursor)


def _pages_requested(sim) -> list[tuple[str, str]]:
    return [(p["page_no"], p["use_has_next"]) for m, p in sim.calls if m == INCREMENT_METHOD]


@pytest.fixture
def t0(sim):
    return whole_seconds(sim.now() - timedelta(hours=3))


def _place(sim, moments) -> list[str]:
    return [sim.place_order("GD-MZ-001-5", 1, price="39.90", modified=moment).order_id for moment in moments]


def test_backward_paging_keeps_orders_that_move_mid_scan_and_orders_on_bounds(sim, t0):
    top = connect(sim, page_size="10")
    hour = timedelta(hours=1)
    first = _place(sim, [t0 + timedelta(minutes=i) for i in range(35)])     # first[0] exactly on t0
    bounds = _place(sim, [t0 + hour, t0 + 2 * hour - timedelta(seconds=1), t0 + 2 * hour])
    moved = [first[3], first[15]]
    sim.between_pages(lambda: [sim.modify_order(tid, status="TRADE_CLOSED", modified=t0 + 90 * timedelta(minutes=1))
                               for tid in moved])
    w1, cursors = _order_ids(top, t0, t0 + hour)
    assert _pages_requested(sim) == [("1", "false"), ("4", "true"), ("3", "true"), ("2", "true"), ("1", "true")]
    assert cursors == ["4/4", "3/4", "2/4", "1/4"]
    # first[3] was on page 1, read by the counting call before it moved; first[15] moved
    # out before its page was read.  Everything else is read, none skipped by the shift.
    assert set(w1) == set(first) - {first[15]}
    w2, _ = _order_ids(top, t0 + hour, t0 + 2 * hour)
    assert set(w2) == set(moved) | set(bounds[:2])
    w3, _ = _order_ids(top, t0 + 2 * hour, t0 + 3 * hour)
    assert set(w3) == {bounds[2]}                    # exactly on the end: the next window's
    assert set(w1) | set(w2) | set(w3) == set(first) | set(bounds)


def test_forward_paging_would_lose_an_order_in_the_same_scene(sim, t0):
    """The control: the same move read front to back misses the order that slid onto page 1."""
    top = connect(sim)
    first = _place(sim, [t0 + timedelta(minutes=i) for i in range(35)])
    sim.between_pages(lambda: sim.modify_order(first[3], modified=t0 + timedelta(minutes=90)))
    window = {"start_modified": wire.format_time(t0), "end_modified": wire.format_time(t0 + timedelta(hours=1)),
              "page_size": 10, "use_has_next": "true", "fields": "tid"}
    seen, page = [], 1
    while True:
        body = top.call(INCREMENT_METHOD, {**window, "page_no": page})
        seen += [str(t["tid"]) for t in wire.listed(body.get("trades"), "trade")]
        if not body["has_next"]:
            break
        page += 1
    assert set(first) - set(seen) - {first[3]} == {first[10]}


def test_a_window_that_grows_mid_scan_is_counted_again(sim, t0):
    top = connect(sim, page_size="10")
    first = _place(sim, [t0 + timedelta(minutes=i) for i in range(35)])
    late: list[str] = []
    sim.between_pages(lambda: late.extend(_place(sim, [t0 + timedelta(seconds=10 + i) for i in range(7)])))
    ids, cursors = _order_ids(top, t0, t0 + timedelta(hours=1))
    assert cursors[:2] == ["4/4", RESTART]
    assert set(ids) == set(first) | set(late) and len(late) == 7


def test_order_window_cap_and_page_size_cap(sim, top, t0):
    with pytest.raises(ValueError):
        top.fetch_orders(t0, t0 + timedelta(days=1, seconds=1), None)
    assert methods(sim) == []
    assert top.fetch_orders(t0 - timedelta(days=1), t0, None).next_cursor is None
    too_long = {"start_modified": wire.format_time(t0), "end_modified": wire.format_time(t0 + timedelta(hours=25))}
    too_big = {"start_modified": wire.format_time(t0), "end_modified": wire.format_time(t0 + timedelta(hours=1)),
               "page_size": 101}
    for params in (too_long, too_big):
        with pytest.raises(ConnectorError) as caught:
            top.call(INCREMENT_METHOD, params)
        assert (caught.value.error.kind, caught.value.error.code) == (ErrorKind.INVALID, "41")
    with pytest.raises(ValueError):
        PagePosition.decode("5/4")


def test_trades_map_to_channel_orders_without_personal_data(sim, top, t0):
    top.push_listings([listing()])
    paid = sim.place_order("GD-MZ-001-5", 2, modified=t0 + timedelta(minutes=1), city="深圳市")
    unpaid = sim.place_order("GD-MZ-001-5", 1, status="WAIT_BUYER_PAY", modified=t0 + timedelta(minutes=2))
    closed = sim.place_order("GD-MZ-001-5", 1, status="TRADE_CLOSED", modified=t0 + timedelta(minutes=3))
    page = top.fetch_orders(t0, t0 + timedelta(hours=1), None)
    orders = {order.external_id: order for order in page.orders}
    order = orders[paid.order_id]
    assert int(order.external_id) > 2**53 and order.external_id == paid.order_id
    assert (order.paid, order.cancelled, order.status) == (True, False, "WAIT_SELLER_SEND_GOODS")
    assert order.total == Decimal("79.80") and order.city == "深圳市"
    [line] = order.lines
    assert (line.sku_key, line.quantity, line.unit_price) == ("GD-MZ-001-5", 2, Decimal("39.90"))
    assert line.remote_sku_id == sim.catalogue.find("GD-MZ-001").skus["GD-MZ-001-5"].remote_id
    assert order.created_at == t0 + timedelta(minutes=1) and order.updated_at.tzinfo is not None
    assert (orders[unpaid.order_id].paid, orders[closed.order_id].cancelled) == (False, True)
    dumped = json.dumps(order.raw, ensure_ascii=False)
    for secret in ("13800138000", "张三", "tb_买家01", "体育西路", "receiver_name", "receiver_address"):
        assert secret not in dumped
    assert order.raw["receiver_city"] == "深圳市" and order.raw["tid"] == paid.order_id


def test_get_order_reads_full_info_and_a_missing_trade_is_not_found(sim, top):
    placed = sim.place_order("GD-MZ-001-5", 3, price="12.30")
    order = top.get_order(placed.order_id)
    assert (order.external_id, order.total) == (placed.order_id, Decimal("36.90"))
    with pytest.raises(ConnectorError) as caught:
        top.get_order("1")
    assert caught.value.error.kind is ErrorKind.NOT_FOUND


# --- tokens -------------------------------------------------------------------------------

def test_expired_session_is_refreshed_once_and_the_call_retried(sim, top):
    sim.expire_token()
    assert top.lookup(["GD-MZ-001"]) == {}
    assert (sim.token_refreshes, top.tokens.refresh_count) == (1, 1)
    assert methods(sim) == [LOOKUP_METHOD, LOOKUP_METHOD]
    assert top.tokens.token == sim.access_token == "sim-token-1"
    sim.faults.arm(LOOKUP_METHOD, "auth")
    assert top.lookup(["GD-MZ-001"]) == {}
    assert sim.token_refreshes == 2


def test_eight_threads_on_an_expired_token_refresh_it_once(sim, top):
    sim.expire_token()
    barrier = threading.Barrier(8)
    outcomes: list = []

    def worker():
        barrier.wait()
        try:
            outcomes.append(top.lookup(["GD-MZ-001"]))
        except ConnectorError as exc:        # pragma: no cover - the assertion below shows it
            outcomes.append(exc.error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [{}] * 8
    assert (sim.token_refreshes, top.tokens.refresh_count) == (1, 1)


def test_a_refused_refresh_is_a_config_error(sim):
    connector = connect(sim, refresh_token="wrong")
    sim.expire_token()
    with pytest.raises(ConnectorError) as caught:
        connector.lookup(["GD-MZ-001"])
    assert (caught.value.error.kind, caught.value.error.code) == (ErrorKind.CONFIG, "refresh_failed")
    assert sim.token_refreshes == 0


# --- units, ids, interface ------------------------------------------------------------------

def test_yuan_round_trips_exactly_through_taobao(sim, top):
    prices = ["0.01", "12.30", "99999.99"]
    items = [listing(f"P{i}", price=price) for i, price in enumerate(prices)]
    top.push_listings(items)
    found = top.lookup([item.key for item in items])
    assert [found[f"P{i}"].skus[0].price for i in range(3)] == [Decimal(p) for p in prices]
    assert [sim.catalogue.find(f"P{i}").payload["sku_prices"] for i in range(3)] == prices
    for fen in (0, 1, 10, 1230, 9_999_999):
        assert yuan_to_fen(fen_to_yuan(fen)) == fen
    assert wire.yuan_text(Decimal("12.3")) == "12.30"


def test_remote_id_above_2_53_survives_as_a_string(sim, top):
    [result] = top.push_listings([listing()])
    assert result.remote_id == str(FIRST_ITEM_ID) and FIRST_ITEM_ID > 2**53
    assert int(float(result.remote_id)) != FIRST_ITEM_ID          # a float would have changed it
    assert top.lookup(["GD-MZ-001"])["GD-MZ-001"].remote_id == str(FIRST_ITEM_ID)


def test_interface_facts(offline):
    assert isinstance(build("taobao", offline.config), TaobaoConnector) and offline.code == "taobao"
    assert "push" not in offline.caps and offline.max_order_window == timedelta(days=1)
    with pytest.raises(NotImplementedError):
        offline.parse_push({}, b"{}")
