"""The demo's channel end to end: the seed stage 渠道同步 enables a few products
of each brand on ``jd-pavilion`` without touching the network; pushed to a
running JD simulator they are its listings; an order placed on the simulator's
pavilion (``POST /_sim/orders``) is imported by ``catalog_sync_orders`` and
attributed to the households of the batch it came from (PostgreSQL)."""
from __future__ import annotations

import io
import json
import socket
from collections import Counter
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal
from unittest import mock

import pytest
import requests
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Sum
from django.test import override_settings
from oscar.core.loading import get_model

from catalog_sync.models import Channel, ChannelListing, ChannelProduct, ImportedOrder, OutboxEntry, Platform
from catalog_sync.simulators import jd as jd_simulator
from catalog_sync.simulators.jd import JdSimulator, main
from catalog_sync.simulators.jd_state import state_load, state_save, state_snapshot
from shop.attribution.models import Channel as SaleChannel
from shop.attribution.models import LedgerEntry, LineAllocation
from shop.core.demo import channels as demo_channels
from shop.core.demo.brands import seed_brands
from shop.core.demo.catalogue import seed_products
from shop.core.demo.harvest import seed_harvest
from shop.core.demo.households import seed_households
from shop.core.demo.points import seed_service_points
from shop.core.demo.regions import seed_regions
from shop.core.demo.subjects import seed_market_subjects
from shop.fulfilment.statuses import AWAITING_SHIPMENT
from shop.harvest.models import BatchContribution, HarvestBatch

Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

HOUSEHOLDS = 40
PRODUCTS = 66
# The demo's harvest follows the seasons and its order history the calendar: the stage is
# seeded as of one fixed day so that which products qualify does not change with the date.
SEED_NOW = datetime(2026, 12, 3, 4, 0, tzinfo=dt_timezone.utc)

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _no_network(*args, **kwargs):
    raise AssertionError("the demo seed must not call the network")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Regions, brands, subjects, households, products and their harvest batches,
    then the channel stage twice (the second run must add nothing)."""
    media = tmp_path_factory.mktemp("channel-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        try:
            with transaction.atomic():
                with mock.patch("django.utils.timezone.now", return_value=SEED_NOW):
                    for stage in (seed_regions, seed_service_points, seed_brands, seed_market_subjects):
                        stage()
                    seed_households(HOUSEHOLDS)
                    seed_products(PRODUCTS)
                    seed_harvest()
                with mock.patch.object(socket.socket, "connect", _no_network), \
                        mock.patch("socket.create_connection", _no_network):
                    results = [demo_channels.seed_channels(), demo_channels.seed_channels()]
                yield {"results": results}
                raise _Rollback
        except _Rollback:
            pass


@pytest.fixture
def channel(seeded):
    return Channel.objects.get(code="jd-pavilion")


@pytest.fixture
def sim():
    simulator = JdSimulator().start()
    yield simulator
    simulator.stop()


def enabled_products(channel):
    ids = ChannelProduct.objects.filter(channel=channel, is_enabled=True).values_list("product_id", flat=True)
    return list(Product.objects.filter(pk__in=ids).select_related("origin__brand").order_by("upc"))


def test_the_stage_enables_a_few_products_of_each_brand_and_marks_them_dirty(channel, seeded):
    products = enabled_products(channel)
    assert seeded["results"] == [{"渠道": 1, "渠道商品": 20, "待推送": 20}, {}]
    assert (channel.name, channel.platform, channel.base_url, channel.is_enabled) == (
        "京东特产馆（本地模拟）", Platform.JD, "http://127.0.0.1:8801", True)
    assert len(products) == 20
    per_brand = Counter(product.origin.brand.slug for product in products)
    # Two of each brand, featured brands first, in the brands' order; the 20th is the first of the next brand.
    assert per_brand == {"meizhou-jinyou": 2, "yingde-black-tea": 2, "gaozhou-lychee": 2, "huazhou-juhong": 2,
                         "deqing-gonggan": 2, "zijin-chancha": 2, "fengkai-youli": 2, "xinhui-chenpi": 2,
                         "qingyuan-chicken": 2, "lianzhou-caixin": 1, "luoding-rice": 1}
    for product in products:
        assert product.is_public
        assert HarvestBatch.objects.filter(product=product, inspection_result="passed",
                                           contributions__isnull=False).exists()
    pending = OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True)
    assert sorted(pending.values_list("product_id", "kind")) == sorted((p.pk, "content") for p in products)
    assert not ChannelListing.objects.filter(channel=channel).exists()


def test_the_channel_has_the_credentials_the_simulator_starts_with(channel):
    started = {}

    class Stop(Exception):
        pass

    def fake_init(self, **kwargs):
        started.update(kwargs)
        raise Stop

    with mock.patch.object(JdSimulator, "__init__", fake_init), pytest.raises(Stop):
        main([])
    assert started == {"app_key": channel.app_key, "app_secret": channel.app_secret,
                       "access_token": channel.access_token, "refresh_token": channel.refresh_token,
                       "state_path": None}
    assert f"http://{jd_simulator.DEMO_HOST}:{jd_simulator.DEMO_PORT}" == channel.base_url
    defaults = JdSimulator()
    assert (defaults.app_key, defaults.app_secret, defaults.access_token, defaults.refresh_token) == (
        "sim-app", "sim-secret", "sim-token", "sim-refresh") == (
        channel.app_key, channel.app_secret, channel.access_token, channel.refresh_token)


def _push():
    out = io.StringIO()
    call_command("catalog_sync_push", channel="jd-pavilion", verbosity=0, stdout=out)
    return out.getvalue()


def test_push_then_an_order_on_the_pavilion_is_imported_and_attributed(channel, sim, tmp_path):
    Channel.objects.filter(pk=channel.pk).update(base_url=sim.url)
    products = enabled_products(channel)
    records = {record.product_id: record for record in StockRecord.objects.filter(product__in=products)}

    assert "新建 20，" in _push()
    shelf = sim.shelf()
    assert sorted(item.outer_id for item in shelf) == [product.upc for product in products]
    assert {item.state for item in shelf} == {"在售"}
    for item in shelf:
        (sku,) = item.skus
        record = next(r for r in records.values() if r.partner_sku == sku.outer_id)
        assert (item.title, sku.price, sku.stock) == (record.product.title, record.price,
                                                      record.num_in_stock - (record.num_allocated or 0))
    live = ChannelListing.objects.filter(channel=channel, state=ChannelListing.State.LIVE)
    assert sorted(live.values_list("remote_id", flat=True)) == sorted(item.remote_id for item in shelf)
    page = requests.get(sim.url + "/", timeout=5)
    assert page.status_code == 200 and all(product.upc in page.text for product in products)

    # A buyer on the pavilion, two minutes ago (the import reads up to a minute behind now).
    product = products[0]
    record = records[product.pk]
    batch = (HarvestBatch.objects.filter(product=product, inspection_result="passed",
                                         quantity_allocated__lt=F("quantity")).order_by("harvested_on", "pk").first())
    assert batch.quantity - batch.quantity_allocated >= 2
    contributions = BatchContribution.objects.filter(batch=batch)
    households = set(contributions.values_list("household_id", flat=True))
    if contributions.aggregate(units=Sum("quantity"))["units"] < batch.quantity:
        households.add(None)      # the batch's units no household supplied: the cooperative's own
    allocated_before = record.num_allocated or 0
    sim.clock_offset = -timedelta(minutes=2)
    answer = requests.post(sim.url + "/_sim/orders", json={"outer_sku_id": record.partner_sku, "quantity": 2},
                           timeout=5)
    assert answer.status_code == 201
    placed = answer.json()
    assert (placed["status"], placed["quantity"], Decimal(placed["total"])) == (
        "WAIT_SELLER_STOCK_OUT", 2, record.price * 2)
    assert sim.catalogue.find(product.upc).skus[record.partner_sku].quantity == (
        record.num_in_stock - allocated_before - 2)

    out = io.StringIO()
    call_command("catalog_sync_orders", channel="jd-pavilion", verbosity=0, stdout=out)
    assert "新订单 1，生成本店订单 1，" in out.getvalue()
    (imported,) = ImportedOrder.objects.filter(channel=channel)
    assert (imported.external_id, imported.state, imported.total, imported.problem) == (
        placed["order_id"], ImportedOrder.State.IMPORTED, record.price * 2, "")
    assert "13800138000" not in json.dumps(imported.payload, ensure_ascii=False)
    order = Order.objects.get(pk=imported.order_id)
    assert (order.number, order.status, order.total_incl_tax) == (
        f"JD-PAVILION-{placed['order_id']}", AWAITING_SHIPMENT, record.price * 2)
    (line,) = order.lines.all()
    assert (line.product_id, line.partner_sku, line.quantity, line.line_price_incl_tax) == (
        product.pk, record.partner_sku, 2, record.price * 2)
    assert list(LineAllocation.objects.filter(line=line).values_list("batch_id", "quantity")) == [(batch.pk, 2)]
    entries = LedgerEntry.objects.filter(line=line)
    assert set(entries.values_list("channel", flat=True)) == {SaleChannel.JD}
    assert set(entries.values_list("batch_id", flat=True)) == {batch.pk}
    assert set(entries.values_list("household_id", flat=True)) == households
    assert entries.aggregate(total=Sum("sales_amount"))["total"] == record.price * 2
    record.refresh_from_db()
    assert record.num_allocated == allocated_before + 2

    # The import moved our stock: the next push tells the pavilion.
    assert "改库存 1，" in _push()
    assert sim.catalogue.find(product.upc).skus[record.partner_sku].quantity == (
        record.num_in_stock - record.num_allocated)

    # The simulator's state file keeps all of it across a restart.
    state_save(sim, tmp_path / "jd.json")
    again = JdSimulator()
    assert state_load(again, tmp_path / "jd.json") is True
    assert state_snapshot(again) == state_snapshot(sim)
    ids = [int(item.remote_id) for item in sim.catalogue.items.values()]
    ids += [int(sku.remote_id) for item in sim.catalogue.items.values() for sku in item.skus.values()]
    assert int(again.catalogue.new_id()) == max(ids) + 1
    assert again.place_order(record.partner_sku, 1).order_id == str(int(placed["order_id"]) + 1)


def test_the_pavilion_refuses_what_a_platform_would(sim):
    from catalog_sync.simulators.base import SimItem, SimSku

    item = SimItem(remote_id=sim.catalogue.new_id(), outer_id="XP01-0001", title="梅州金柚 梅县沙田柚", state="8")
    item.skus["XP01-0001"] = SimSku(sim.catalogue.new_id(), "XP01-0001", Decimal("32.90"), 3)
    sim.catalogue.add(item)

    def post(body):
        return requests.post(sim.url + "/_sim/orders", json=body, timeout=5)

    assert post({"outer_sku_id": "NOPE", "quantity": 1}).status_code == 404
    assert post({"outer_sku_id": "XP01-0001", "quantity": 4}).json() == {"error": "「梅州金柚 梅县沙田柚」库存只有 3 件"}
    assert post({"outer_sku_id": "XP01-0001", "quantity": 0}).status_code == 400
    form = requests.post(sim.url + "/_sim/orders", data={"outer_sku_id": "XP01-0001", "quantity": "3"},
                         allow_redirects=False, timeout=5)
    assert (form.status_code, form.headers["Location"]) == (303, "/?placed=300000000001")
    item.state = "2"
    assert post({"outer_sku_id": "XP01-0001", "quantity": 1}).json() == {"error": "「梅州金柚 梅县沙田柚」已下架，不能下单"}
    assert len(sim.orders.orders) == 1 and item.skus["XP01-0001"].quantity == 0
    assert sim.call_count() == 0
