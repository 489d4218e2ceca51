"""Pinduoduo connector against the loopback PDD simulator (no database needed)."""
from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from catalog_sync.connectors import build, pinduoduo_orders, pinduoduo_push, pinduoduo_wire as wire
from catalog_sync.connectors.base import (ChannelEvent, ConnectorConfig, ConnectorError, ErrorKind, InvalidSignature,
                                          Listing, SkuListing, fen_to_yuan, yuan_to_fen)
from catalog_sync.connectors.pinduoduo import (GOODS_ADD, GOODS_UPDATE, LOOKUP_METHOD, QUANTITY_UPDATE, SALE_STATUS,
                                               SKU_PRICE_UPDATE, PinduoduoConnector)
from catalog_sync.simulators.base import CHINA, Faults
from catalog_sync.simulators.pinduoduo import PddSimulator

BIG_ID = 2**53 + 1
SECRET = "sim-secret"


@pytest.fixture
def sim():
    simulator = PddSimulator(first_id=BIG_ID, faults=Faults(timeout_seconds=1.2)).start()
    yield simulator
    simulator.stop()


def connect(sim, *, timeout=5.0, secret=SECRET, clock=None) -> PinduoduoConnector:
    config = ConnectorConfig(base_url=sim.url, app_key="sim-app", app_secret=secret, access_token="sim-token",
                             refresh_token="sim-refresh", timeout=timeout)
    connector = build("pinduoduo", config)
    connector.clock = clock or sim.now        # the connector believes PDD's clock
    return connector


@pytest.fixture
def pdd(sim):
    connector = connect(sim)
    yield connector
    connector.transport.close()


def listing(key="GD-XW-003", price="29.90", qty=10, title="徐闻菠萝 10斤装", active=True) -> Listing:
    return Listing(key=key, title=title, description="红土地上的菠萝", images=("https://img.example/p.jpg",),
                   skus=(SkuListing(key=f"{key}-10", price=Decimal(price), quantity=qty),), active=active)


def methods(sim) -> list[str]:
    return [method for method, _params in sim.calls]


# --- signing ------------------------------------------------------------------------------

def test_sign_golden_vector_json_objects_and_ascii_order(sim):
    moment = datetime(2026, 5, 1, 10, 0, 0, tzinfo=CHINA)          # 1777600800
    connector = connect(sim, clock=lambda: moment)
    params = connector.signed_params("pdd.goods.add", {
        "goods_name": "高州荔枝", "sku_list": [{"out_sku_sn": "A-1", "multi_price": 1230}],
        "skuId": "7", "sku_id": "8", "memo": ""}, token="sim-token")
    assert "memo" not in params                                      # an empty value is not sent
    assert params["sku_list"] == '[{"out_sku_sn":"A-1","multi_price":1230}]'
    concatenated = (SECRET + "access_tokensim-token" + "client_idsim-app" + "data_typeJSON" + "goods_name高州荔枝"
                    + "skuId7" + "sku_id8"                           # "I" (0x49) sorts before "_" (0x5F)
                    + 'sku_list[{"out_sku_sn":"A-1","multi_price":1230}]'
                    + "timestamp1777600800" + "typepdd.goods.add" + SECRET)
    assert params["sign"] == hashlib.md5(concatenated.encode("utf-8")).hexdigest().upper()


def test_tampered_sign_and_skewed_timestamp_are_refused(sim, pdd):
    params = pdd.signed_params(QUANTITY_UPDATE, {"goods_id": "1", "outer_id": "X", "quantity": 1}, "sim-token")
    params["quantity"] = "999"
    body = requests.post(sim.url + "/api/router", data=params, timeout=5).json()["error_response"]
    assert (body["error_code"], body["error_msg"]) == (20004, "签名sign校验失败")
    assert wire.classify(200, {"error_response": body}, None).kind == ErrorKind.CONFIG
    skewed = connect(sim, clock=lambda: sim.now() + timedelta(minutes=11))
    with pytest.raises(ConnectorError) as caught:
        skewed.lookup(["GD-XW-003"])
    assert (caught.value.error.kind, caught.value.error.code) == (ErrorKind.CONFIG, "20005")


# --- throttling and the error table -------------------------------------------------------

def test_throttle_codes_give_retry_after(sim, pdd):
    sim.faults.arm(QUANTITY_UPDATE, "throttle")
    [result] = pdd.update_inventory([("S", 1)], remote_skus={"S": ("1", "")})
    assert (result.error.kind, result.error.code, result.error.retry_after) == (ErrorKind.THROTTLED, "52101", 5.0)
    sim.set_shop_limit(1, 100)
    pdd.push_listings([listing()])
    [shop] = pdd.update_inventory([("GD-XW-003-10", 2)])
    assert (shop.error.kind, shop.error.code) == (ErrorKind.THROTTLED, "70031")
    assert 99.0 <= shop.error.retry_after <= 100.0


def test_classify_table():
    def kind(code):
        return wire.classify(200, {"error_response": {"error_code": code, "error_msg": "x"}}, None).kind

    assert [kind(c) for c in (52101, 70031)] == [ErrorKind.THROTTLED] * 2      # PDD tells no quota apart
    assert [kind(c) for c in (52102, 52103)] == [ErrorKind.TRANSIENT] * 2
    assert kind(10019) == ErrorKind.AUTH_EXPIRED
    assert [kind(c) for c in (10000, 20004, 39999)] == [ErrorKind.CONFIG] * 3
    assert [kind(c) for c in (50000, 50001, 52003)] == [ErrorKind.INVALID] * 3
    assert wire.classify(502, None, None).kind == ErrorKind.TRANSIENT


# --- batches, unknown outcomes, stock-only ------------------------------------------------

def test_one_failing_item_fails_alone(sim, pdd):
    batch = [listing(key=f"GD-P{i}") for i in range(1, 5)]
    sim.faults.arm(GOODS_ADD, "ok", "invalid")
    results = pdd.push_listings(batch)
    assert [r.ok for r in results] == [True, False, True, True]
    assert (results[1].error.kind, results[1].error.code) == (ErrorKind.INVALID, "50001")
    assert sim.catalogue.created == {"GD-P1": 1, "GD-P3": 1, "GD-P4": 1}


def test_timeout_after_commit_is_unknown_outcome_and_lookup_finds_it(sim):
    pdd = connect(sim, timeout=0.4)
    sim.faults.arm(GOODS_ADD, "timeout")
    [result] = pdd.push_listings([listing()])
    assert (result.ok, result.error.kind) == (False, ErrorKind.UNKNOWN_OUTCOME)
    found = connect(sim).lookup(["GD-XW-003"])["GD-XW-003"]
    assert found.remote_id == str(BIG_ID)
    assert [(s.key, s.remote_id, s.price, s.quantity) for s in found.skus] == [
        ("GD-XW-003-10", str(BIG_ID + 1), Decimal("29.90"), 10)]
    [again] = connect(sim).push_listings([listing(title="徐闻菠萝 新装")], remote_ids={"GD-XW-003": found.remote_id})
    assert again.ok
    assert sim.catalogue.created["GD-XW-003"] == 1 and sim.catalogue.live_count("GD-XW-003") == 1
    assert sim.call_count(GOODS_UPDATE) == 1


def test_stock_only_change_calls_only_the_quantity_method(sim, pdd):
    pdd.push_listings([listing()])
    sim.reset_calls()
    [result] = pdd.update_inventory([("GD-XW-003-10", 7)])
    assert result.ok
    assert methods(sim) == [QUANTITY_UPDATE]
    sent = sim.calls[0][1]
    assert {k: sent[k] for k in ("goods_id", "outer_id", "quantity", "update_type")} == {
        "goods_id": str(BIG_ID), "outer_id": "GD-XW-003-10", "quantity": "7", "update_type": "1"}
    assert sim.catalogue.find("GD-XW-003").skus["GD-XW-003-10"].quantity == 7


def test_price_goes_in_fen_and_round_trips(sim, pdd):
    pdd.push_listings([listing()])
    sim.reset_calls()
    [first] = pdd.update_price([("GD-XW-003-10", Decimal("12.30"))])
    [second] = pdd.update_price([("GD-XW-003-10", Decimal("0.10"))])
    assert first.ok and second.ok
    # PDD's add answers no sku_id, so the first price call reads it once; then only the price method.
    assert methods(sim) == [LOOKUP_METHOD, SKU_PRICE_UPDATE, SKU_PRICE_UPDATE]
    assert json.loads(sim.calls[1][1]["sku_price_list"]) == [
        {"sku_id": str(BIG_ID + 1), "group_price": 1230, "single_price": 1330}]
    sku = sim.catalogue.find("GD-XW-003").skus["GD-XW-003-10"]
    assert (sku.price, sku.attrs["single_price"]) == (10, 110)
    assert pdd.lookup(["GD-XW-003"])["GD-XW-003"].skus[0].price == Decimal("0.10")
    [bad] = pdd.update_price([("GD-XW-003-10", Decimal("0.105"))])
    assert bad.error.kind == ErrorKind.INVALID


def test_delist_is_idempotent_and_relist_works(sim, pdd):
    [pushed] = pdd.push_listings([listing()])
    first, = pdd.delist(["GD-XW-003"])
    assert (first.ok, first.state, sim.catalogue.find("GD-XW-003").state) == (True, "delisted", "0")
    sim.reset_calls()
    again, missing = pdd.delist(["GD-XW-003", "NO-SUCH"])
    assert (again.ok, missing.ok) == (True, True)
    assert methods(sim) == [LOOKUP_METHOD, LOOKUP_METHOD]
    sim.reset_calls()
    [relisted] = pdd.push_listings([listing()], remote_ids={"GD-XW-003": pushed.remote_id})
    assert relisted.state == "live" and sim.catalogue.find("GD-XW-003").state == "1"
    assert methods(sim) == [GOODS_UPDATE, SALE_STATUS]


# --- tokens -------------------------------------------------------------------------------

def test_expired_token_is_refreshed_once_with_eight_threads(sim, pdd):
    pdd.push_listings([listing(key=f"GD-T{i}") for i in range(8)])
    sim.expire_token()
    barrier, results = threading.Barrier(8), {}

    def work(i):
        barrier.wait()
        results[i] = pdd.update_inventory([(f"GD-T{i}-10", i)])[0].ok

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: True for i in range(8)}
    assert (sim.token_refreshes, sim.call_count("pdd.pop.auth.token.refresh"), pdd.tokens.refresh_count) == (1, 1, 1)
    assert pdd.tokens.token == sim.access_token == "pdd-token-1"


# --- orders -------------------------------------------------------------------------------

def collect(connector, start, end):
    ids, pages, cursor = [], 0, None
    while True:
        page = connector.fetch_orders(start, end, cursor)
        pages += 1
        ids += [order.external_id for order in page.orders]
        if page.next_cursor is None:
            return ids, pages
        cursor = page.next_cursor


def test_window_cap_and_end_lag_are_refused_before_any_call(sim, pdd):
    now = sim.now()
    with pytest.raises(ValueError):
        pdd.fetch_orders(now - timedelta(minutes=40), now - timedelta(minutes=9), None)     # 31 min
    with pytest.raises(ValueError):
        pdd.fetch_orders(now - timedelta(minutes=20), now - timedelta(minutes=2), None)     # ends < 3 min ago
    assert sim.call_count() == 0
    with pytest.raises(ConnectorError) as caught:              # and the simulator refuses > 30 min itself
        start = int(now.timestamp()) - 3600
        pdd.call(pinduoduo_orders.ORDER_METHOD, {"start_updated_at": start, "end_updated_at": start + 1801})
    assert caught.value.error.code == "10000"


def test_orders_moving_between_pages_and_on_bounds_are_never_lost(sim, pdd):
    now = sim.now().replace(microsecond=0)
    base = now - timedelta(hours=1)
    middle, end = base + timedelta(minutes=30), base + timedelta(minutes=50)
    placed = [sim.place_order("S-1", 1, modified=base + timedelta(seconds=7 * i)).order_id for i in range(250)]
    on_bound = sim.place_order("S-1", 1, modified=middle).order_id
    moved, done = placed[:5] + placed[120:125], []

    def move(page):
        if page == 2 and not done:
            done.append(page)
            for order_sn in moved:
                sim.modify_order(order_sn, order_status=2, modified=middle + timedelta(minutes=5))

    sim.before_page = move
    first, pages = collect(pdd, base, middle)
    sim.before_page = None
    second, _pages = collect(pdd, middle, end)
    assert pages == 3
    assert on_bound not in first and on_bound in second and set(moved) <= set(second)
    assert set(first) | set(second) == set(placed) | {on_bound}
    sent = [params for method, params in sim.calls if method == pinduoduo_orders.ORDER_METHOD]
    assert [(p["page"], p["use_has_next"]) for p in sent[:4]] == [
        ("1", "false"), ("3", "true"), ("2", "true"), ("1", "false")]


def test_has_next_on_the_last_page_restarts_the_scan(sim, pdd):
    base = sim.now().replace(microsecond=0) - timedelta(hours=1)
    placed = [sim.place_order("S-1", 1, modified=base + timedelta(seconds=i)).order_id for i in range(200)]
    late, seen = [], []

    def arrive(page):
        seen.append(page)
        if seen == [1, 2]:            # an order PDD indexed late, placed before the last page is read
            late.append(sim.place_order("S-1", 1, modified=base).order_id)

    sim.before_page = arrive
    ids, pages = collect(pdd, base, base + timedelta(minutes=30))
    assert late and set(ids) == set(placed) | set(late)
    assert seen == [1, 2, 1, 3, 2, 1] and pages == 4


def test_late_orders_need_the_three_minute_lag(sim):
    now = sim.now().replace(microsecond=0)
    late = sim.place_order("S-1", 1, modified=now - timedelta(minutes=1), index_delay=timedelta(minutes=2)).order_id
    eager = connect(sim)
    eager.end_lag = timedelta(0)                 # what happens without the rule: the order is not there yet
    ids, _pages = collect(eager, now - timedelta(minutes=20), now)
    assert late not in ids
    patient = connect(sim)
    with pytest.raises(ValueError):
        patient.fetch_orders(now - timedelta(minutes=20), now, None)
    sim.clock_offset += timedelta(minutes=3)      # three minutes on: the window may end at ``now``
    ids, _pages = collect(patient, now - timedelta(minutes=20), now)
    assert late in ids


def test_order_mapping_yuan_amounts_and_no_personal_data(sim, pdd):
    pdd.push_listings([listing(price="0.10")])
    now = sim.now()
    order = sim.place_order("GD-XW-003-10", 3, modified=now - timedelta(minutes=10), city="湛江市")
    refunded = sim.place_order("GD-XW-003-10", 1, modified=now - timedelta(minutes=9), refund_status=4)
    page = pdd.fetch_orders(now - timedelta(minutes=20), now - timedelta(minutes=4), None)
    paid, cancelled = page.orders
    assert (paid.external_id, paid.status, paid.paid, paid.cancelled, paid.total, paid.city) == (
        order.order_id, "1/1/1", True, False, Decimal("0.30"), "湛江市")
    assert (cancelled.external_id, cancelled.cancelled) == (refunded.order_id, True)
    [line] = paid.lines
    assert (line.sku_key, line.quantity, line.unit_price, line.remote_sku_id) == (
        "GD-XW-003-10", 3, Decimal("0.10"), str(BIG_ID + 1))
    assert paid.raw["item_list"][0]["goods_id"] == str(BIG_ID)
    text = json.dumps(paid.raw, ensure_ascii=False, default=str)
    for secret in ("李小梅", "13900139000", "科技园", "receiver", "address"):
        assert secret not in text
    assert pdd.get_order(order.order_id).total == Decimal("0.30")
    with pytest.raises(ConnectorError) as caught:
        pdd.get_order("000000-1")
    assert caught.value.error.kind == ErrorKind.NOT_FOUND


# --- push ---------------------------------------------------------------------------------

def test_push_frame_keeps_big_ids_as_strings(sim, pdd):
    frame = sim.push_frame("260501-000000000000001", message_id=2**53 + 7, mall_id=10086)
    [event] = pdd.parse_push({}, frame.encode("utf-8"))
    assert (event.event_id, event.topic, event.order_id, event.status) == (
        "9007199254740999", "order.paid", "260501-000000000000001", "pdd_trade_TradeConfirmed")
    ack = json.loads(pinduoduo_push.ack_frame(event, 1777600800123))
    assert '"id":9007199254740999' in pinduoduo_push.ack_frame(event, 1777600800123)
    assert (ack["commandType"], ack["mallID"], ack["time"]) == ("Ack", 10086, 1777600800123)
    assert pdd.parse_push({}, b'{"commandType":"HeartBeat","time":1}') == []
    with pytest.raises(InvalidSignature):
        pdd.parse_push({}, b"not json")
    assert isinstance(event, ChannelEvent) and "push" in pdd.caps


def test_websocket_path_golden_vector():
    digest = hashlib.md5(b"cid1700000000000sec").hexdigest()
    expected = "/message/cid/1700000000000/" + base64.b64encode(digest.encode("ascii")).decode("ascii")
    assert pinduoduo_push.ws_path("cid", 1700000000000, "sec") == expected


# --- units and ids ------------------------------------------------------------------------

def test_fen_yuan_round_trips_and_big_ids_stay_strings():
    for fen in (1, 10, 1230, 99_999_999_99):
        assert yuan_to_fen(fen_to_yuan(fen)) == fen
    assert wire.loads('{"goods_id": 9007199254740993, "pay_amount": 0.3}') == {
        "goods_id": "9007199254740993", "pay_amount": Decimal("0.3")}
    assert isinstance(build("pinduoduo", ConnectorConfig(base_url="http://127.0.0.1:9")), PinduoduoConnector)
