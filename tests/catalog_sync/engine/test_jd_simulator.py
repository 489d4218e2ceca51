"""The engine with the real JD connector against the loopback JOS simulator."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog_sync.models import Channel, ChannelListing, SyncCall
from catalog_sync.reconcile import reconcile_run
from catalog_sync.relay import relay_run
from catalog_sync.simulators.jd import JdSimulator

from .helpers import key, listed_product, record, sku

pytestmark = pytest.mark.django_db

ADD, UPDATE, STOCK = "jingdong.ware.write.add", "jingdong.ware.write.updateWare", "jingdong.stock.write.updateSkuStock"
SEARCH = "jingdong.sku.read.searchSkuList"


@pytest.fixture
def sim():
    simulator = JdSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def jd(sim, monkeypatch):
    monkeypatch.setenv("CATALOG_SYNC_JD_SIM_TIMEOUT", "0.5")     # below the simulator's held answer
    return Channel.objects.create(code="jd-sim", name="京东（模拟）", platform="jd", base_url=sim.url,
                                  app_key=sim.app_key, app_secret=sim.app_secret, access_token=sim.access_token,
                                  refresh_token="sim-refresh", stock_buffer=5)


def methods(sim):
    return [method for method, _params in sim.calls]


def test_create_then_stock_only(jd, sim):
    products = [listed_product(jd, price=Decimal("39.90"), stock=100), listed_product(jd, stock=8)]
    report = relay_run(jd)
    assert report.created == 2
    assert {k: sim.catalogue.created[k] for k in map(key, products)} == {key(p): 1 for p in products}
    item = sim.catalogue.find(key(products[0]))
    assert (item.skus[sku(products[0])].price, item.skus[sku(products[0])].quantity) == (Decimal("39.90"), 95)
    row = ChannelListing.objects.get(channel=jd, product=products[0])
    assert row.remote_id == item.remote_id and row.state == "live"

    sim.reset_calls()
    stock = record(products[0])
    stock.num_in_stock = 30
    stock.save()
    relay_run(jd)
    assert methods(sim) == [STOCK]                          # no product update, no search
    assert sim.catalogue.find(key(products[0])).skus[sku(products[0])].quantity == 25


def test_timeout_after_commit_never_creates_twice(jd, sim):
    product = listed_product(jd)
    sim.faults.arm(ADD, "timeout")
    now = timezone.now()
    relay_run(jd, now=now)
    row = ChannelListing.objects.get(channel=jd, product=product)
    assert (row.outcome_unknown, row.last_error_kind) == (True, "unknown_outcome")
    assert sim.catalogue.created[key(product)] == 1         # the simulator committed it
    sim.reset_calls()
    relay_run(jd, now=now + timedelta(seconds=11))
    assert methods(sim)[0] == SEARCH and ADD not in methods(sim) and UPDATE in methods(sim)
    assert sim.catalogue.created[key(product)] == 1
    assert sim.catalogue.live_count(key(product)) == 1
    row.refresh_from_db()
    assert (row.remote_id, row.outcome_unknown, row.state) == (sim.catalogue.find(key(product)).remote_id, False, "live")


def test_throttled_by_jd_waits_its_ban(jd, sim):
    product = listed_product(jd)
    sim.faults.arm(ADD, "throttle")         # code 2, "This ban will last for 7 more seconds"
    now = timezone.now()
    relay_run(jd, now=now)
    row = ChannelListing.objects.get(channel=jd, product=product)
    assert (row.last_error_kind, row.next_attempt_at, row.attempts) == ("throttled", now + timedelta(seconds=7), 0)
    relay_run(jd, now=now + timedelta(seconds=8))
    assert sim.catalogue.created[key(product)] == 1


def test_reconcile_reads_jd_back(jd, sim):
    product = listed_product(jd, stock=50)
    relay_run(jd)
    sim.catalogue.find(key(product)).skus[sku(product)].quantity = 2     # edited in JD's back office
    report = reconcile_run(jd)
    assert (report.checked, report.stock_drift, report.requeued) == (1, 1, 1)
    sim.reset_calls()
    relay_run(jd)
    assert methods(sim) == [STOCK]
    assert sim.catalogue.find(key(product)).skus[sku(product)].quantity == 45
    assert SyncCall.objects.filter(channel=jd, operation="reconcile").count() == 1
