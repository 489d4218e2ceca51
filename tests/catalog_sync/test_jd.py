"""JD JOS connector against the loopback JD simulator (no database needed)."""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from catalog_sync.connectors import build, jd_orders, jd_wire
from catalog_sync.connectors.base import (ConnectorConfig, ConnectorError, ErrorKind, InvalidSignature, Listing,
                                          SkuListing, fen_to_yuan, yuan_to_fen)
from catalog_sync.connectors.jd import (ADD_METHOD, LOOKUP_METHOD, PRICE_METHOD, STOCK_METHOD, UP_OR_DOWN_METHOD,
                                        UPDATE_METHOD, JdConnector)
from catalog_sync.simulators.base import CHINA, Faults
from catalog_sync.simulators.jd import JdSimulator

BIG_ID = 2**53 + 1
SECRET = "sim-secret"


@pytest.fixture
def sim():
    simulator = JdSimulator(first_id=BIG_ID, faults=Faults(timeout_seconds=1.2)).start()
    yield simulator
    simulator.stop()


def connect(sim, *, timeout=5.0, secret=SECRET, clock=None, refresh_token="sim-refresh") -> JdConnector:
    config = ConnectorConfig(base_url=sim.url, app_key="sim-app", app_secret=secret, access_token="sim-token",
                             refresh_token=refresh_token, timeout=timeout)
    connector = build("jd", config)
    if clock is not None:
        connector.clock = clock
    return connector


@pytest.fixture
def jd(sim):
    connector = connect(sim)
    yield connector
    connector.transport.close()


def listing(key="GD-MM-001", price="39.90", qty=10, title="梅州金柚 5斤装", active=True) -> Listing:
    return Listing(key=key, title=title, description="梅县蜜柚，清甜多汁", images=("https://img.example/1.jpg",),
                   skus=(SkuListing(key=f"{key}-5", price=Decimal(price), quantity=qty, attrs=(("规格", "5斤"),)),),
                   active=active)


def methods(sim) -> list[str]:
    return [method for method, _params in sim.calls]


# --- signing ------------------------------------------------------------------------------

def test_param_json_is_byte_exact():
    assert jd_wire.PARAM_JSON_OPTIONS == {"separators": (",", ":"), "ensure_ascii": False, "sort_keys": True}
    text = jd_wire.param_json({"ware": {"title": "英德红茶", "itemNum": "GD-QY-002"}, "skuId": "1",
                               "jdPrice": Decimal("12.30")})
    assert text == '{"jdPrice":"12.30","skuId":"1","ware":{"itemNum":"GD-QY-002","title":"英德红茶"}}'


def test_sign_golden_vector_with_chinese_and_an_empty_token(sim):
    moment = datetime(2026, 5, 1, 10, 0, 0, tzinfo=CHINA)
    connector = connect(sim, clock=lambda: moment)
    params = connector.signed_params("jingdong.ware.write.add", {"ware": {"title": "徐闻菠萝"}}, token="")
    business = '{"ware":{"title":"徐闻菠萝"}}'
    concatenated = (SECRET + "360buy_param_json" + business + "app_keysim-app" + "formatjson"
                    + "methodjingdong.ware.write.add" + "timestamp2026-05-01 10:00:00" + "v2.0" + SECRET)
    assert "access_token" not in params          # the empty value is neither sent nor signed
    assert params["360buy_param_json"] == business
    assert params["sign"] == hashlib.md5(concatenated.encode("utf-8")).hexdigest().upper()
    assert jd_wire.sign({"a": "1", "b": "", "sign": "x"}, "s") == hashlib.md5(b"sa1s").hexdigest().upper()


def test_tampered_sign_is_refused_with_code_12(sim, jd):
    params = jd.signed_params(STOCK_METHOD, {"skuId": "1", "stockNum": 1}, "sim-token")
    params["360buy_param_json"] = '{"skuId":"1","stockNum":999}'
    body = requests.post(sim.url + "/routerjson", data=params, timeout=5).json()
    assert body == {"error_response": {"code": "12", "zh_desc": "签名无效", "en_desc": "Invalid signature"}}
    wrong = connect(sim, secret="not-the-secret")
    [result] = wrong.update_inventory([("X", 1)], remote_skus={"X": ("1", "2")})
    assert (result.ok, result.error.kind, result.error.code) == (False, ErrorKind.CONFIG, "12")


def test_skewed_timestamp_is_refused_with_code_8(sim):
    late = connect(sim, clock=lambda: datetime.now(CHINA) + timedelta(minutes=7))
    with pytest.raises(ConnectorError) as caught:
        late.lookup(["GD-MM-001"])
    assert (caught.value.error.kind, caught.value.error.code) == (ErrorKind.CLOCK_SKEW, "8")
    within = connect(sim, clock=lambda: datetime.now(CHINA) - timedelta(minutes=5))
    assert within.lookup(["GD-MM-001"]) == {}


# --- throttling ---------------------------------------------------------------------------

def test_throttle_gives_retry_after_from_the_ban(sim, jd):
    [pushed] = jd.push_listings([listing()])
    sim.faults.arm(STOCK_METHOD, "throttle")
    [result] = jd.update_inventory([("GD-MM-001-5", 3)])
    assert (result.ok, result.error.kind, result.error.code, result.error.retry_after) == (
        False, ErrorKind.THROTTLED, "2", 7.0)
    sim.set_limit(STOCK_METHOD, 1, 100)
    first, second = jd.update_inventory([("GD-MM-001-5", 4), ("GD-MM-001-5", 5)])
    assert first.ok and not second.ok
    assert second.error.kind == ErrorKind.THROTTLED
    assert 99.0 <= second.error.retry_after <= 100.0     # ceil(100 s − the moment between the two calls)
    assert pushed.ok


def test_a_day_long_ban_is_quota_exhaustion(sim, jd):
    sim.faults.arm(STOCK_METHOD, "quota")
    [result] = jd.update_inventory([("S", 1)], remote_skus={"S": ("1", "2")})
    assert (result.error.kind, result.error.retry_after) == (ErrorKind.QUOTA_EXHAUSTED, 86400.0)


def test_classify_table():
    def kind(body, status=200):
        return jd_wire.classify(status, body, None).kind

    def error(code, en=""):
        return {"error_response": {"code": code, "zh_desc": "x", "en_desc": en}}

    assert kind(error("2", "App Call Limited, This ban will last for 30 more seconds")) == ErrorKind.THROTTLED
    assert kind(error("2", "App Call Limited, This ban will last for 3600 more seconds")) == ErrorKind.QUOTA_EXHAUSTED
    assert kind(error("8")) == ErrorKind.CLOCK_SKEW
    assert kind(error("12")) == ErrorKind.CONFIG
    assert kind(error("19")) == ErrorKind.AUTH_EXPIRED
    assert kind(error("10100015")) == ErrorKind.NOT_FOUND
    assert kind(error("10100001")) == ErrorKind.INVALID
    assert kind(None, 503) == ErrorKind.TRANSIENT
    assert kind(error("2"), 502) == ErrorKind.TRANSIENT


# --- batches, unknown outcomes, stock-only ------------------------------------------------

def test_one_failing_item_fails_alone(sim, jd):
    batch = [listing(key=f"GD-K{i}") for i in range(1, 6)]
    sim.faults.arm(ADD_METHOD, "ok", "ok", "fail")
    results = jd.push_listings(batch)
    assert [r.ok for r in results] == [True, True, False, True, True]
    assert (results[2].error.kind, results[2].error.code) == (ErrorKind.TRANSIENT, "503")
    assert sim.call_count(ADD_METHOD) == 5
    assert sim.catalogue.created == {"GD-K1": 1, "GD-K2": 1, "GD-K4": 1, "GD-K5": 1}
    assert len({r.remote_id for r in results if r.ok}) == 4


def test_timeout_after_commit_is_unknown_outcome_and_lookup_finds_it(sim):
    jd = connect(sim, timeout=0.4)
    sim.faults.arm(ADD_METHOD, "timeout")
    [result] = jd.push_listings([listing()])
    assert (result.ok, result.error.kind) == (False, ErrorKind.UNKNOWN_OUTCOME)
    found = connect(sim).lookup(["GD-MM-001"])["GD-MM-001"]
    assert found.remote_id == str(BIG_ID)
    assert [(s.key, s.price, s.quantity) for s in found.skus] == [("GD-MM-001-5", Decimal("39.90"), 10)]
    [again] = connect(sim).push_listings([listing(price="35.00")], remote_ids={"GD-MM-001": found.remote_id})
    assert again.ok and again.remote_id == str(BIG_ID)
    assert sim.catalogue.created["GD-MM-001"] == 1
    assert sim.catalogue.live_count("GD-MM-001") == 1
    assert sim.call_count(UPDATE_METHOD) == 1


def test_a_repeated_key_in_one_batch_is_created_once(sim, jd):
    results = jd.push_listings([listing(), listing(title="梅州金柚 新标题")])
    assert [r.ok for r in results] == [True, True]
    assert methods(sim) == [ADD_METHOD, UPDATE_METHOD]
    assert sim.catalogue.created["GD-MM-001"] == 1


def test_stock_only_change_calls_only_the_stock_method(sim, jd):
    [pushed] = jd.push_listings([listing()])
    assert pushed.remote_sku_ids == {"GD-MM-001-5": str(BIG_ID + 1)}
    sim.reset_calls()
    [result] = jd.update_inventory([("GD-MM-001-5", 7)])
    assert result.ok
    assert methods(sim) == [STOCK_METHOD]
    assert sim.catalogue.find("GD-MM-001").skus["GD-MM-001-5"].quantity == 7
    # A fresh connector told the ids makes no other call either; one not told reads first.
    sim.reset_calls()
    connect(sim).update_inventory([("GD-MM-001-5", 6)], remote_skus={"GD-MM-001-5": (pushed.remote_id, str(BIG_ID + 1))})
    assert methods(sim) == [STOCK_METHOD]
    sim.reset_calls()
    connect(sim).update_inventory([("GD-MM-001-5", 5)])
    assert methods(sim) == [LOOKUP_METHOD, STOCK_METHOD]


def test_price_is_yuan_exact_and_sub_fen_is_refused(sim, jd):
    jd.push_listings([listing()])
    sim.reset_calls()
    good, bad = jd.update_price([("GD-MM-001-5", Decimal("12.30")), ("GD-MM-001-5", Decimal("12.345"))])
    assert good.ok
    assert (bad.ok, bad.error.kind) == (False, ErrorKind.INVALID)
    assert methods(sim) == [PRICE_METHOD]
    assert sim.calls[0][1] == {"skuId": str(BIG_ID + 1), "jdPrice": "12.30"}
    assert sim.catalogue.find("GD-MM-001").skus["GD-MM-001-5"].price == Decimal("12.30")


def test_delist_is_idempotent(sim, jd):
    jd.push_listings([listing()])
    first, = jd.delist(["GD-MM-001"])
    assert (first.ok, first.state) == (True, "delisted")
    assert sim.catalogue.find("GD-MM-001").state == "2"
    sim.reset_calls()
    again, missing = jd.delist(["GD-MM-001", "NO-SUCH"])
    assert (again.ok, missing.ok) == (True, True)
    assert methods(sim) == [LOOKUP_METHOD, LOOKUP_METHOD]      # nothing left to take down
    [relisted] = jd.push_listings([listing()], remote_ids={"GD-MM-001": first.remote_id})
    assert relisted.state == "live" and sim.catalogue.find("GD-MM-001").state == "8"


def test_inactive_listing_is_created_then_taken_down(sim, jd):
    [result] = jd.push_listings([listing(active=False)])
    assert (result.ok, result.state) == (True, "delisted")
    assert methods(sim) == [ADD_METHOD, UP_OR_DOWN_METHOD]


# --- tokens -------------------------------------------------------------------------------

def test_expired_token_is_refreshed_once_and_the_call_retried(sim, jd):
    jd.push_listings([listing()])
    sim.expire_token()
    [result] = jd.update_inventory([("GD-MM-001-5", 2)])
    assert result.ok
    assert (sim.token_refreshes, jd.tokens.refresh_count, jd.tokens.token) == (1, 1, "jd-token-1")
    sim.faults.arm(STOCK_METHOD, "auth", "auth")
    [failed] = jd.update_inventory([("GD-MM-001-5", 3)])
    assert (failed.ok, failed.error.kind) == (False, ErrorKind.AUTH_EXPIRED)
    assert sim.token_refreshes == 2                    # one more refresh, one retry, then it gives up


def test_eight_threads_share_one_refresh(sim, jd):
    jd.push_listings([listing(key=f"GD-T{i}") for i in range(8)])
    sim.expire_token()
    barrier, results = threading.Barrier(8), {}

    def work(i):
        barrier.wait()
        results[i] = jd.update_inventory([(f"GD-T{i}-5", i)])[0].ok

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: True for i in range(8)}
    assert (sim.token_refreshes, sim.call_count("oauth2.refresh_token"), jd.tokens.refresh_count) == (1, 1, 1)


# --- orders -------------------------------------------------------------------------------

def test_window_over_the_cap_is_refused(sim, jd):
    start = datetime(2026, 3, 1, tzinfo=CHINA)
    with pytest.raises(ValueError):
        jd.fetch_orders(start, start + jd_orders.ORDER_RANGE_CAP + timedelta(seconds=1), None)
    assert sim.call_count() == 0
    with pytest.raises(ConnectorError) as caught:      # the simulator refuses more than a month itself
        jd.call(jd_orders.ORDER_METHOD, {"start_date": "2026-03-01 00:00:00", "end_date": "2026-04-02 00:00:00",
                                         "page": "1", "page_size": "100"})
    assert caught.value.error.kind == ErrorKind.INVALID


def collect(connector, start, end):
    ids, pages, cursor = [], 0, None
    while True:
        page = connector.fetch_orders(start, end, cursor)
        pages += 1
        ids += [order.external_id for order in page.orders]
        if page.next_cursor is None:
            return ids, pages
        cursor = page.next_cursor


def test_orders_moving_between_pages_and_on_bounds_are_never_lost(sim, jd):
    jd.push_listings([listing()])
    base = sim.now().replace(microsecond=0) - timedelta(hours=3)
    middle, end = base + timedelta(hours=1), base + timedelta(hours=2)
    placed = [sim.place_order("GD-MM-001-5", 1, modified=base + timedelta(seconds=10 * i)).order_id for i in range(250)]
    on_start = sim.place_order("GD-MM-001-5", 1, modified=base).order_id
    on_bound = sim.place_order("GD-MM-001-5", 1, modified=middle).order_id
    moved = placed[:5] + placed[120:125]       # on pages 1 and 2, still unread when page 2 is asked for
    done = []

    def move(page):
        if page == 2 and not done:
            done.append(page)
            for order_id in moved:
                sim.modify_order(order_id, state="WAIT_GOODS_RECEIVE_CONFIRM", modified=middle + timedelta(minutes=5))

    sim.before_page = move
    first, pages = collect(jd, base, middle)
    sim.before_page = None
    second, _pages = collect(jd, middle, end)
    assert pages == 3                               # last page first, then 2, then 1
    assert on_start in first and on_bound not in first
    assert on_bound in second and set(moved) <= set(second)
    assert set(first) | set(second) == set(placed) | {on_start, on_bound}


def test_a_late_order_makes_the_scan_start_again(sim, jd):
    base = sim.now().replace(microsecond=0) - timedelta(hours=2)
    placed = [sim.place_order("X-1", 1, modified=base + timedelta(seconds=i)).order_id for i in range(150)]
    late, page_one_requests = [], []

    def arrive(page):
        if page == 1:
            page_one_requests.append(page)
            if len(page_one_requests) == 2:    # JD indexed an old order just before page 1 was read again
                late.append(sim.place_order("X-1", 1, modified=base).order_id)

    sim.before_page = arrive
    ids, pages = collect(jd, base, base + timedelta(hours=1))
    assert late and set(ids) == set(placed) | set(late)
    assert pages == 4                              # 2, 1, then 2 and 1 again after the total grew


def test_order_mapping_keeps_no_personal_data(sim, jd):
    jd.push_listings([listing(price="12.30")])
    order = sim.place_order("GD-MM-001-5", 3, city="佛山市")
    sim.place_order("GD-MM-001-5", 1, state="TRADE_CANCELED")
    now = sim.now()
    page = jd.fetch_orders(now - timedelta(hours=1), now + timedelta(minutes=1), None)
    paid, cancelled = page.orders
    assert (paid.external_id, paid.paid, paid.cancelled, paid.total, paid.city) == (
        order.order_id, True, False, Decimal("36.90"), "佛山市")
    assert (cancelled.paid, cancelled.cancelled) == (False, True)
    [line] = paid.lines
    assert (line.sku_key, line.quantity, line.unit_price, line.remote_sku_id) == (
        "GD-MM-001-5", 3, Decimal("12.30"), str(BIG_ID + 1))
    text = json.dumps(paid.raw, ensure_ascii=False, default=str)
    for secret in ("陈大文", "13800138000", "020-12345678", "体育西路", "jd_buyer_001", "consigneeInfo"):
        assert secret not in text
    assert paid.raw["city"] == "佛山市"
    assert jd.get_order(order.order_id).total == Decimal("36.90")
    with pytest.raises(ConnectorError) as caught:
        jd.get_order("999")
    assert caught.value.error.kind == ErrorKind.NOT_FOUND


# --- units and ids ------------------------------------------------------------------------

def test_money_round_trips_and_big_ids_stay_strings():
    for text in ("0.01", "0.10", "12.30", "99999999.99"):
        assert fen_to_yuan(yuan_to_fen(Decimal(text))) == Decimal(text)
    body = jd_wire.loads('{"wareId": 9007199254740993, "jdPrice": 12.30}')
    assert body == {"wareId": "9007199254740993", "jdPrice": Decimal("12.30")}


def test_push_is_not_accepted(jd):
    with pytest.raises(InvalidSignature):
        jd.parse_push({}, b"{}")
    assert isinstance(jd, JdConnector) and jd.caps == frozenset()
