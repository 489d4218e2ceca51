"""Pinduoduo's sku ids, which ``pdd.goods.add`` does not answer: the engine keeps
what the connector learns, so with a fresh connector per run (as the tasks make
them) a stock change needs no read, and a price change reads a SKU's id once,
not at every change."""
from decimal import Decimal

import pytest

from catalog_sync.connectors.pinduoduo import GOODS_ADD, LOOKUP_METHOD, QUANTITY_UPDATE, SKU_PRICE_UPDATE
from catalog_sync.models import Channel
from catalog_sync.relay import merge_sku_ids, relay_run

from .helpers import listed_product, listing, record, sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim(pdd_sim):
    return pdd_sim


@pytest.fixture
def pdd(sim):
    return Channel.objects.create(code="pdd-sim", name="拼多多（模拟）", platform="pinduoduo", base_url=sim.url,
                                  app_key=sim.app_key, app_secret=sim.app_secret, access_token=sim.access_token,
                                  refresh_token=sim.refresh_token, stock_buffer=0)


def methods(sim):
    return [method for method, _params in sim.calls]


def change(product, *, price=None, stock=None):
    stock_record = record(product)
    if price is not None:
        stock_record.price = Decimal(price)
    if stock is not None:
        stock_record.num_in_stock = stock
    stock_record.save()


def test_sku_ids_are_read_once_and_kept(pdd, sim):
    product = listed_product(pdd, price=Decimal("29.90"), stock=40)
    relay_run(pdd)
    row = listing(pdd, product)
    assert (methods(sim), row.remote_sku_ids) == ([GOODS_ADD], {sku(product): ""})

    sim.reset_calls()
    change(product, stock=35)
    relay_run(pdd)                      # a fresh connector: the goods id on the row is enough
    assert methods(sim) == [QUANTITY_UPDATE]

    sim.reset_calls()
    change(product, price="27.90")
    relay_run(pdd)
    remote_sku = sim.catalogue.find(row.key).skus[sku(product)]
    assert methods(sim) == [LOOKUP_METHOD, SKU_PRICE_UPDATE]
    assert listing(pdd, product).remote_sku_ids == {sku(product): str(remote_sku.remote_id)}

    sim.reset_calls()
    change(product, price="25.90")
    relay_run(pdd)
    assert methods(sim) == [SKU_PRICE_UPDATE]          # read once, not at every change
    assert remote_sku.price == 2590


def test_an_empty_answer_never_replaces_a_known_sku_id():
    assert merge_sku_ids({"A": "9001", "B": ""}, {"A": "", "B": "9002", "C": ""}) == {
        "A": "9001", "B": "9002", "C": ""}
