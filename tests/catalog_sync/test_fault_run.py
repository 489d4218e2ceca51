"""The fault run of issue 6: with 30 % of the platform's calls failing (its
transient error), throttled (its ban) or timing out after committing, every
product reaches the pavilion exactly once and every order made there comes
home exactly once.

Per platform with a loopback simulator (JD, Pinduoduo, WeChat Shop and Taobao),
through the real connector (a fresh one per run, as the tasks make them: nothing
is remembered between runs) and the real
engine, on ``N`` Oscar products (stock record, origin, image) enabled on the
channel.  Nothing sleeps: when nothing is due, the relay's clock jumps to the
next retry (``relay_run(now=...)``).

``test_fault_run_lists_each_product_once``
    The relay runs until the outbox is drained.  Every listing is on sale in the
    simulator's catalogue, created once (``catalogue.created[key] == 1``, one
    item per key), at our price and stock, and every ``ChannelListing`` holds
    the remote id the simulator gave it.  WeChat Shop lists into audit: the
    simulator approves the drafts and the audit poll, through the same faults,
    records them live.  Then
    10 products' stock changes and goes out, through the same faults, with
    stock calls only.

``test_fault_run_imports_each_order_once``
    The products are listed with the faults off; then ``M`` orders are placed
    on the simulator across three order windows, several pages each, and
    ``orders_import`` is run again after every failed run (same faults) until
    one completes.  One ``ImportedOrder`` and one Oscar order per platform
    order, stock allocated by exactly the units sold, every line attributed to
    the batch's household in the ledger to the fen; the stock the orders took
    goes back out through the faults with stock calls only."""
from __future__ import annotations

import importlib
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Min, Sum
from django.utils import timezone
from oscar.core.loading import get_model

from catalog_sync import ratelimit
from catalog_sync.audits import audits_poll
from catalog_sync.channels import connector_for
from catalog_sync.connectors.base import ConnectorError
from catalog_sync.keys import listing_key
from catalog_sync.models import (Channel, ChannelListing, ChannelProduct, DeadLetter, ImportedOrder, OrderCursor,
                                 OutboxEntry, SyncCall)
from catalog_sync.orders import DEFAULT_OVERLAP, SALE_CHANNEL, order_lag, order_number, order_windows, orders_import
from catalog_sync.relay import relay_run
from catalog_sync.simulators.base import Faults
from shop.attribution.models import LedgerEntry
from tests.factories import BrandFactory, MarketSubjectFactory, VillageFactory, make_batch, make_household, make_product

Order = get_model("order", "Order")
Line = get_model("order", "Line")
ProductImage = get_model("catalogue", "ProductImage")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

PRODUCTS = 30                 # N
ORDERS = 12                   # M, over ORDERED_PRODUCTS products, 1–3 units each
ORDERED_PRODUCTS = 6
ORDER_PAGE_SIZE = 3           # small pages, so a window takes several
SEED = 20261017               # 扶贫日
# Seconds the connector waits for an answer, and that a "timeout" fault holds the (committed)
# answer: far enough above a loopback call on a loaded 2-core machine that only the injected
# timeouts time out (a spurious one costs an attempt, and six cost the listing a dead letter).
CLIENT_TIMEOUT = "0.6"
SERVER_HOLD = 1.2
MAX_RELAY_RUNS = 400
MAX_IMPORT_RUNS = 400
FAULT_KINDS = {"fail", "throttle", "timeout"}

@dataclass
class CountingFaults(Faults):
    """Faults that count what they injected (so the run proves every kind bit)."""
    drawn: Counter = field(default_factory=Counter)

    def draw(self, method: str) -> str | None:
        fault = super().draw(method)
        if fault in FAULT_KINDS:
            with self._lock:
                self.drawn[fault] += 1
        return fault


def fault_run_faults() -> CountingFaults:
    return CountingFaults(fail_rate=0.1, throttle_rate=0.1, timeout_rate=0.1, timeout_seconds=SERVER_HOLD, seed=SEED)


@dataclass(frozen=True)
class Pavilion:
    platform: str
    simulator: str                      # "module:Class"
    on_sale: str                        # the simulator's state word for a listing on sale
    fen: bool                           # the simulator keeps SKU prices in fen
    stock_call: str                     # the simulator's name of the stock-only call
    reads: frozenset[str]               # calls that only read (allowed around a stock push)
    order_pages: str | None             # "module:CONSTANT" of the connector's order page size

    def make_simulator(self, faults: Faults):
        module, name = self.simulator.split(":")
        return getattr(importlib.import_module(module), name)(faults=faults)


PAVILIONS = {
    "jd": Pavilion(
        "jd", "catalog_sync.simulators.jd:JdSimulator", on_sale="8", fen=False,
        stock_call="jingdong.stock.write.updateSkuStock", reads=frozenset({"jingdong.sku.read.searchSkuList"}),
        order_pages="catalog_sync.connectors.jd_orders:ORDER_PAGE_SIZE"),
    "pinduoduo": Pavilion(
        "pinduoduo", "catalog_sync.simulators.pinduoduo:PddSimulator", on_sale="1", fen=True,
        stock_call="pdd.goods.quantity.update", reads=frozenset({"pdd.goods.list.get"}),
        order_pages="catalog_sync.connectors.pinduoduo_orders:ORDER_PAGE_SIZE"),
    "wechat_shop": Pavilion(
        "wechat_shop", "catalog_sync.simulators.wechat_shop:WechatShopSimulator", on_sale="live",
        fen=True, stock_call="/channels/ec/product/stock/update",
        reads=frozenset({"/channels/ec/product/list/get", "/channels/ec/product/get", "/cgi-bin/stable_token"}),
        order_pages="catalog_sync.connectors.wechat_shop:ORDER_PAGE_SIZE"),
    "taobao": Pavilion(
        "taobao", "catalog_sync.simulators.taobao:TaobaoSimulator", on_sale="onsale", fen=False,
        stock_call="taobao.item.quantity.update", reads=frozenset({"taobao.items.custom.get", "taobao.skus.custom.get"}),
        order_pages=None),     # the Taobao connector takes its page size per instance
}


def _params():
    return [pytest.param(pavilion, id=code) for code, pavilion in PAVILIONS.items()]


# --- set-up --------------------------------------------------------------------------------

@dataclass
class Clock:
    now: datetime


@dataclass
class Stage:
    pavilion: Pavilion
    sim: object
    channel: Channel
    products: list
    household: object
    connect: Callable[[], object]


@pytest.fixture
def stage(request, monkeypatch):
    pavilion: Pavilion = request.param
    sim = pavilion.make_simulator(fault_run_faults()).start()
    request.addfinalizer(sim.stop)
    # The run counts calls, not seconds: our own limiter never makes it wait (its own tests set tight limits).
    monkeypatch.setitem(ratelimit.RATE_LIMITS, pavilion.platform, {"*": (1_000_000, 1.0)})
    code = f"{pavilion.platform.replace('_', '-')}-fault"
    monkeypatch.setenv(f"CATALOG_SYNC_{code.upper().replace('-', '_')}_TIMEOUT", CLIENT_TIMEOUT)
    if pavilion.order_pages:
        module, name = pavilion.order_pages.split(":")
        monkeypatch.setattr(importlib.import_module(module), name, ORDER_PAGE_SIZE)
    channel = Channel.objects.create(
        code=code, name=f"{pavilion.platform}（故障演练）", platform=pavilion.platform, base_url=sim.url,
        app_key=sim.app_key, app_secret=sim.app_secret, access_token=sim.access_token,
        refresh_token=getattr(sim, "refresh_token", "sim-refresh"), stock_buffer=0)   # max_attempts: the default

    def connect():
        connector = connector_for(channel)      # a fresh one per run, as the tasks make them
        if pavilion.order_pages is None:
            connector.page_size = ORDER_PAGE_SIZE
        return connector

    subject, brand = MarketSubjectFactory(), BrandFactory()
    village = VillageFactory(township__county=subject.county)
    household = make_household(village=village, market_subjects=[subject], registration_number="JD-FAULT-01")
    products = []
    for index in range(PRODUCTS):
        product = make_product(title=f"故障演练农产品 {index:02d}", price=Decimal("19.90") + index, stock=100 + index,
                               market_subject=subject, brand=brand, village=village)
        ProductImage.objects.create(product=product, original=f"images/products/fault-{index:02d}.jpg",
                                    display_order=0)
        if index < ORDERED_PRODUCTS:
            make_batch(product=product, quantity=50, households=[(household, 50)])
        products.append(product)
    for product in products:           # enabling writes each product's content entry (the receiver)
        ChannelProduct.objects.create(channel=channel, product=product)
    assert OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True).count() == PRODUCTS
    return Stage(pavilion, sim, channel, products, household, connect)


# --- driving the engine --------------------------------------------------------------------

def _next_due(channel) -> datetime | None:
    """When the first product with pending outbox entries is due again (None: drained)."""
    pending = dict(OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True)
                   .values("product_id").annotate(first=Min("available_at")).values_list("product_id", "first"))
    if not pending:
        return None
    held = dict(ChannelListing.objects.filter(channel=channel, product_id__in=list(pending),
                                              next_attempt_at__isnull=False)
                .values_list("product_id", "next_attempt_at"))
    return min(max(available, held.get(product_id, available)) for product_id, available in pending.items())


def relay_until_drained(stage: Stage, clock: Clock, rng: random.Random) -> list:
    reports = []
    for _run in range(MAX_RELAY_RUNS):
        report = relay_run(stage.channel, connector=stage.connect(), now=clock.now, rng=rng)
        reports.append(report)
        if report.claimed:
            continue
        due = _next_due(stage.channel)
        if due is None:
            return reports
        assert due > clock.now, "entries are due but the relay claimed none"
        clock.now = due
    pytest.fail(f"outbox not drained after {MAX_RELAY_RUNS} relay runs")


def import_until_complete(stage: Stage):
    failed = 0
    for _run in range(MAX_IMPORT_RUNS):
        try:
            return orders_import(stage.channel, stage.connect()), failed
        except ConnectorError:
            failed += 1
    pytest.fail(f"orders_import did not complete in {MAX_IMPORT_RUNS} runs")


def sim_price(pavilion: Pavilion, sim_sku) -> Decimal:
    return (Decimal(sim_sku.price) / 100).quantize(Decimal("0.01")) if pavilion.fen else Decimal(sim_sku.price)


def offered(product) -> tuple[str, Decimal, int]:
    record = StockRecord.objects.get(product=product)
    return record.partner_sku, record.price, record.num_in_stock - (record.num_allocated or 0)


def methods_since(sim, start: int) -> Counter:
    with sim.calls_lock:
        return Counter(method for method, _params in sim.calls[start:])


def poll_audits_until_decided(stage: Stage) -> int:
    """``audits_poll`` through the same faults until no listing is left in review; the runs it took."""
    for runs in range(1, MAX_RELAY_RUNS + 1):
        audits_poll(stage.channel, connector=stage.connect())
        if not ChannelListing.objects.filter(channel=stage.channel, state="in_review").exists():
            return runs
    pytest.fail(f"audits still in review after {MAX_RELAY_RUNS} polls")


# --- checks --------------------------------------------------------------------------------

def assert_listed_once(stage: Stage):
    """Each product on sale in the simulator once, at our price and stock; our rows hold its ids."""
    pavilion, sim, channel = stage.pavilion, stage.sim, stage.channel
    keys = [listing_key(p) for p in stage.products]
    assert list(DeadLetter.objects.filter(listing__channel=channel).values_list(
        "operation", "error_kind", "error_code", "message", "attempts")) == []
    assert {key: sim.catalogue.created.get(key, 0) for key in keys} == {key: 1 for key in keys}
    assert {key: sim.catalogue.live_count(key) for key in keys} == {key: 1 for key in keys}
    assert len(sim.catalogue.items) == PRODUCTS
    if pavilion.platform == "wechat_shop":
        assert {item.state for item in sim.catalogue.items.values()} == {"in_review"}
        for item in list(sim.catalogue.items.values()):
            sim.audit(item.remote_id, approve=True)
        poll_audits_until_decided(stage)
    assert {key: sim.catalogue.find(key).state for key in keys} == {key: pavilion.on_sale for key in keys}
    for product, key in zip(stage.products, keys):
        sku, price, quantity = offered(product)
        remote = sim.catalogue.find(key).skus[sku]
        assert (key, sim_price(pavilion, remote), remote.quantity) == (key, price, quantity)
    rows = {row.key: row for row in ChannelListing.objects.filter(channel=channel)}
    assert {key: (row.remote_id, row.state, row.outcome_unknown) for key, row in rows.items()} == {
        key: (sim.catalogue.find(key).remote_id, "live", False) for key in keys}
    assert OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True).count() == 0


def assert_stock_pushed_alone(stage: Stage, first_call: int, changed: int):
    """Since ``first_call``: stock calls (and reads) only, nothing created again, our stock everywhere."""
    pavilion, sim = stage.pavilion, stage.sim
    calls = methods_since(sim, first_call)
    assert calls[pavilion.stock_call] >= changed
    assert set(calls) <= {pavilion.stock_call} | pavilion.reads
    for product in stage.products:
        key = listing_key(product)
        sku, _price, quantity = offered(product)
        assert (key, sim.catalogue.created[key], sim.catalogue.find(key).skus[sku].quantity) == (key, 1, quantity)
    assert DeadLetter.objects.filter(listing__channel=stage.channel).count() == 0


# --- the runs ------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", _params(), indirect=True)
def test_fault_run_lists_each_product_once(stage):
    sim, channel = stage.sim, stage.channel
    clock = Clock(timezone.now())

    reports = relay_until_drained(stage, clock, random.Random(SEED))

    assert len(reports) > 1 and set(sim.faults.drawn) == FAULT_KINDS      # the faults did bite
    assert SyncCall.objects.filter(channel=channel, failed__gt=0).exists()
    assert_listed_once(stage)

    # A stock change on 10 products goes out through the same faults, alone.
    first_call = len(sim.calls)
    for product in stage.products[:10]:
        record = StockRecord.objects.get(product=product)
        record.num_in_stock -= 7
        record.save()
    relay_until_drained(stage, clock, random.Random(SEED + 1))
    assert_stock_pushed_alone(stage, first_call, changed=10)


@pytest.mark.parametrize("stage", _params(), indirect=True)
def test_fault_run_imports_each_order_once(stage):
    pavilion, sim, channel, products = stage.pavilion, stage.sim, stage.channel, stage.products
    clock = Clock(timezone.now())
    faults, sim.faults = sim.faults, Faults()
    relay_until_drained(stage, clock, random.Random(SEED))
    assert_listed_once(stage)
    sim.faults = faults

    # Orders across three windows and several pages in a window.
    start = timezone.now()
    lag = order_lag(channel)
    window = stage.connect().max_order_window
    since = start - window * 5 / 2
    OrderCursor.objects.create(channel=channel, imported_until=since)
    usable = (start - lag - timedelta(minutes=1)) - since
    placed = {}                                   # external id → (product, units)
    for index in range(ORDERS):
        product = products[index % ORDERED_PRODUCTS]
        units = 1 + index % 3
        when = since + usable * (index + 0.5) / ORDERS
        placed[sim.place_order(offered(product)[0], units, created=when, modified=when).order_id] = (product, units)
    windows = order_windows(since - DEFAULT_OVERLAP, start - lag, window)
    per_window = Counter(next(i for i, (a, b) in enumerate(windows) if a <= sim_order.modified < b)
                         for sim_order in sim.orders.orders.values())
    assert len(per_window) == 3 and max(per_window.values()) > ORDER_PAGE_SIZE     # the set-up spans both

    # An import makes few calls (about ten on JD): besides the 30 %, one of each kind
    # is armed for early calls of the scan, so every kind hits it whatever the seed does.
    faults.arm("*", "ok", "fail", "ok", "ok", "throttle", "ok", "ok", "timeout")
    _report, failed_runs = import_until_complete(stage)

    assert failed_runs >= 3 and set(faults.drawn) == FAULT_KINDS
    imported = ImportedOrder.objects.filter(channel=channel)
    assert sorted(imported.values_list("external_id", "state", "problem")) == sorted(
        (external_id, "imported", "") for external_id in placed)
    assert sorted(Order.objects.values_list("number", flat=True)) == sorted(
        order_number(channel, external_id) for external_id in placed)
    expected_total = sum((offered(product)[1] * units for product, units in placed.values()), Decimal("0.00"))
    assert Order.objects.aggregate(total=Sum("total_incl_tax"))["total"] == expected_total
    sold = Counter()
    for product, units in placed.values():
        sold[product.pk] += units
    assert {p.pk: StockRecord.objects.get(product=p).num_allocated or 0 for p in products} == {
        p.pk: sold[p.pk] for p in products}
    lines = list(Line.objects.all())
    assert sorted(line.quantity for line in lines) == sorted(units for _product, units in placed.values())
    for line in lines:
        entries = LedgerEntry.objects.filter(line=line, kind=LedgerEntry.Kind.SALE)
        assert set(entries.values_list("household_id", "channel")) == {
            (stage.household.pk, SALE_CHANNEL[pavilion.platform])}
        assert entries.aggregate(amount=Sum("sales_amount"))["amount"] == line.line_price_incl_tax
        assert entries.aggregate(units=Sum("quantity"))["units"] == line.quantity
    assert OrderCursor.objects.get(channel=channel).imported_until >= max(
        o.modified for o in sim.orders.orders.values())

    # The stock those orders took goes back out through the same faults, alone.
    first_call = len(sim.calls)
    relay_until_drained(stage, clock, random.Random(SEED + 1))
    assert_stock_pushed_alone(stage, first_call, changed=ORDERED_PRODUCTS)
