"""One channel order → one Oscar order: lines, total and shipping to the fen,
stock allocated exactly (conditionally: never past what is in stock), the
ledger written for the batch's households in the same transaction, the raw
order kept without personal data; cancellation through the store's own path;
unknown SKUs recorded and surfaced, never crashing the run."""
import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from oscar.core.loading import get_model

from catalog_sync.models import ChannelProduct, ImportedOrder, OutboxEntry, Platform
from catalog_sync.orders import (
    MAPPING_VERSION,
    imported_orders_needing_attention,
    order_import_one,
    orders_import,
    personal_data_removed,
)
from shop.attribution.models import LedgerEntry, LineAllocation
from shop.fulfilment.statuses import AWAITING_SHIPMENT, CANCELLED
from shop.harvest.models import HarvestBatch
from tests.factories import make_batch, make_household, make_product

from .conftest import make_channel
from .fake import CHINA, FakeConnector, channel_order

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

PLACED = datetime.datetime(2026, 11, 20, 10, 30, tzinfo=CHINA)


@pytest.fixture
def pomelo():
    return make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=0)


@pytest.fixture
def tea():
    return make_product(title="英德红茶 100克", price=Decimal("12.50"), stock=5)


def sku(product):
    return StockRecord.objects.get(product=product).partner_sku


def entries(line):
    return list(LedgerEntry.objects.filter(line=line).order_by("pk").values_list(
        "kind", "channel", "household__registration_number", "quantity", "sales_amount", "income"))


def test_paid_order_becomes_an_attributed_order_with_exact_stock(pdd, pomelo, tea):
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    wang = make_household(market_subjects=[subject], registration_number="JD-WANG")
    batch = make_batch(product=pomelo, quantity=10, households=[(li, 6), (wang, 4)], purchase_price=Decimal("12.00"))
    # Another channel sells the pomelo too: it must learn that the stock moved.
    jd = make_channel("jd-test", Platform.JD)
    ChannelProduct.objects.create(channel=jd, product=pomelo)
    OutboxEntry.objects.all().delete()
    raw = {"order_sn": "261120-0001", "pay_amount": "232.50", "receiver_name": "王小明",
           "receiver_phone": "13800000000", "address": "广州市天河区林和西路1号", "buyer_memo": "放门口",
           "item_list": [{"outer_id": sku(pomelo), "goods_name": "梅州金柚", "goods_count": 5},
                         {"outer_id": sku(tea), "goods_name": "英德红茶", "goods_count": 2}],
           "consignee": {"name": "王小明", "mobile": "13800000000"}}
    order = channel_order("261120-0001", PLACED, lines=[(sku(pomelo), 5, "39.90"), (sku(tea), 2, "12.50")],
                          total="232.50", raw=raw)   # 199.50 + 25.00 + 8.00 shipping

    result = order_import_one(pdd, order)

    assert (result.is_new, result.order_created, result.state, result.order_number, result.problem) == (
        True, True, "imported", "PDD-TEST-261120-0001", "")
    placed = Order.objects.get()
    assert (placed.number, placed.status, placed.currency, placed.total_incl_tax, placed.shipping_incl_tax,
            placed.date_placed) == ("PDD-TEST-261120-0001", AWAITING_SHIPMENT, "CNY", Decimal("232.50"),
                                    Decimal("8.00"), PLACED)
    assert list(placed.lines.order_by("pk").values_list(
        "partner_sku", "quantity", "unit_price_incl_tax", "line_price_incl_tax", "num_allocated")) == [
        (sku(pomelo), 5, Decimal("39.90"), Decimal("199.50"), 5), (sku(tea), 2, Decimal("12.50"), Decimal("25.00"), 2)]
    assert list(StockRecord.objects.filter(product__in=[pomelo, tea]).order_by("product_id").values_list(
        "num_in_stock", "num_allocated")) == [(10, 5), (5, 2)]

    pomelo_line, tea_line = placed.lines.order_by("pk")
    assert entries(pomelo_line) == [
        ("sale", "pinduoduo", "JD-LI", Decimal("3.000"), Decimal("119.70"), Decimal("36.00")),
        ("sale", "pinduoduo", "JD-WANG", Decimal("2.000"), Decimal("79.80"), Decimal("24.00")),
    ]
    assert entries(tea_line) == [("sale", "pinduoduo", None, Decimal("2.000"), Decimal("25.00"), Decimal("0.00"))]
    assert {entry.occurred_at for entry in LedgerEntry.objects.all()} == {PLACED}
    assert list(LineAllocation.objects.values_list("line", "batch", "quantity")) == [(pomelo_line.pk, batch.pk, 5)]

    record = ImportedOrder.objects.get()
    assert (record.order, record.state, record.total, record.status, record.mapping_version, record.placed_at) == (
        placed, "imported", Decimal("232.50"), "paid", MAPPING_VERSION, PLACED)
    assert record.payload == {"order_sn": "261120-0001", "pay_amount": "232.50", "item_list": [
        {"outer_id": sku(pomelo), "goods_name": "梅州金柚", "goods_count": 5},
        {"outer_id": sku(tea), "goods_name": "英德红茶", "goods_count": 2}]}
    assert set(OutboxEntry.objects.values_list("channel__code", "product_id", "kind")) == {
        ("jd-test", pomelo.pk, "stock")}

    # Seen again (the next window's overlap): nothing more.
    again = order_import_one(pdd, order)
    assert (again.is_new, again.order_created) == (False, False)
    assert (Order.objects.count(), LedgerEntry.objects.count()) == (1, 3)
    assert StockRecord.objects.get(product=pomelo).num_allocated == 5

    # Cancelled on the platform after the import: the store's cancel path.
    order_import_one(pdd, channel_order("261120-0001", PLACED + timedelta(hours=1), paid=True, cancelled=True,
                                        lines=[(sku(pomelo), 5, "39.90"), (sku(tea), 2, "12.50")], total="232.50"))
    placed.refresh_from_db()
    assert placed.status == CANCELLED
    assert ImportedOrder.objects.get().state == "cancelled"
    assert list(StockRecord.objects.filter(product__in=[pomelo, tea]).order_by("product_id").values_list(
        "num_in_stock", "num_allocated")) == [(10, 0), (5, 0)]
    assert HarvestBatch.objects.get(pk=batch.pk).quantity_allocated == 0
    for line in (pomelo_line, tea_line):
        totals = LedgerEntry.objects.filter(line=line).aggregate(q=Sum("quantity"), a=Sum("sales_amount"))
        assert (totals["q"], totals["a"]) == (Decimal("0.000"), Decimal("0.00"))
    # An older copy of the order (a stale page) changes nothing.
    stale = order_import_one(pdd, order)
    assert stale.stale is True
    assert Order.objects.get().status == CANCELLED
    assert LedgerEntry.objects.filter(kind="cancellation").count() == 3


def test_a_platform_discount_is_spread_over_the_lines_to_the_fen(pdd, tea):
    rice = make_product(title="丝苗米 5千克", price=Decimal("10.00"), stock=10)
    order_import_one(pdd, channel_order("D-1", PLACED, lines=[(sku(rice), 3, "10.00"), (sku(tea), 1, "5.00")],
                                        total="33.00"))
    placed = Order.objects.get()
    assert (placed.total_incl_tax, placed.shipping_incl_tax) == (Decimal("33.00"), Decimal("0.00"))
    # 2.00 off 35.00: 1.714… and 0.285… → 1.71 and 0.29 (the larger remainder takes the last fen).
    assert list(placed.lines.order_by("pk").values_list(
        "line_price_before_discounts_incl_tax", "line_price_incl_tax")) == [
        (Decimal("30.00"), Decimal("28.29")), (Decimal("5.00"), Decimal("4.71"))]
    for line in placed.lines.all():
        assert LedgerEntry.objects.filter(line=line).aggregate(a=Sum("sales_amount"))["a"] == line.line_price_incl_tax


def test_stock_short_of_a_platform_sale_is_recorded_and_flagged_never_below_zero(pdd, tea):
    StockRecord.objects.filter(product=tea).update(num_in_stock=1)
    result = order_import_one(pdd, channel_order("S-1", PLACED, lines=[(sku(tea), 2, "12.50")]))
    assert (result.order_created, result.state) == (True, "imported")
    assert result.problem == f"SKU {sku(tea)} 库存不足：渠道已售 2 件，本店可用 1 件"
    # Nothing allocated: the stock record's allocation is untouched (NULL, never set).
    assert list(StockRecord.objects.filter(product=tea).values_list("num_in_stock", "num_allocated")) == [(1, None)]
    line = Order.objects.get().lines.get()
    assert (line.quantity, line.num_allocated) == (2, 0)
    assert LedgerEntry.objects.filter(line=line).aggregate(a=Sum("sales_amount"))["a"] == Decimal("25.00")
    assert list(imported_orders_needing_attention(pdd).values_list("external_id", flat=True)) == ["S-1"]
    # Cancelled later: nothing was allocated, so nothing is given back.
    order_import_one(pdd, channel_order("S-1", PLACED + timedelta(minutes=5), cancelled=True,
                                        lines=[(sku(tea), 2, "12.50")]))
    assert Order.objects.get().status == CANCELLED
    assert list(StockRecord.objects.filter(product=tea).values_list("num_in_stock", "num_allocated")) == [(1, None)]


def test_unknown_sku_is_recorded_as_failed_and_the_run_goes_on(pdd, tea):
    fake = FakeConnector([
        channel_order("U-1", PLACED, lines=[("NO-SUCH-SKU", 1, "9.90")]),
        channel_order("U-2", PLACED + timedelta(minutes=1), lines=[(sku(tea), 1, "12.50")]),
    ])
    now = PLACED + timedelta(minutes=10)
    report = orders_import(pdd, fake, now=now, since=PLACED)
    assert (report.new, report.orders_created) == (2, 1)
    assert report.problems == {"U-1": "本店没有这些 SKU：NO-SUCH-SKU"}
    failed = ImportedOrder.objects.get(external_id="U-1")
    assert (failed.state, failed.order, failed.problem) == ("failed", None, "本店没有这些 SKU：NO-SUCH-SKU")
    assert list(imported_orders_needing_attention().values_list("external_id", flat=True)) == ["U-1"]

    # The cooperative adds the SKU; the next time the order is seen it is made.
    rice = make_product(title="丝苗米 5千克", price=Decimal("9.90"), stock=3)
    StockRecord.objects.filter(product=rice).update(partner_sku="NO-SUCH-SKU")
    report = orders_import(pdd, fake, now=now, since=PLACED)
    assert (report.new, report.orders_created, report.problems) == (0, 1, {})
    fixed = ImportedOrder.objects.get(external_id="U-1")
    assert (fixed.state, fixed.order.number, fixed.problem) == ("imported", "PDD-TEST-U-1", "")
    assert Order.objects.count() == 2


def test_unpaid_then_paid_then_cancelled_before_payment(pdd, tea):
    line = [(sku(tea), 1, "12.50")]
    assert order_import_one(pdd, channel_order("P-1", PLACED, lines=line, paid=False)).state == "awaiting_payment"
    assert Order.objects.count() == 0
    assert order_import_one(pdd, channel_order("P-1", PLACED + timedelta(minutes=1), lines=line)).order_created
    unpaid_cancelled = channel_order("P-2", PLACED, lines=line, paid=False, cancelled=True)
    assert order_import_one(pdd, unpaid_cancelled).state == "cancelled"
    # A cancelled order never comes back, even if a later copy says paid.
    assert order_import_one(pdd, channel_order("P-2", PLACED + timedelta(minutes=2), lines=line)).state == "cancelled"
    assert list(Order.objects.values_list("number", flat=True)) == ["PDD-TEST-P-1"]
    assert StockRecord.objects.get(product=tea).num_allocated == 1


def test_personal_data_is_removed_from_any_depth():
    assert personal_data_removed({
        "tid": "1234567890123456789", "receiverName": "张三", "receiver_mobile": "13900000000",
        "buyer_nick": "tb123", "address_info": {"user_name": "张三", "tel_number": "139", "detail_info": "某路"},
        "openid": "o-abc", "payment": Decimal("15.90"), "orders": [{"outer_sku_id": "GD-1", "num": 1, "tel": "1"}],
    }) == {"tid": "1234567890123456789", "payment": "15.90", "orders": [{"outer_sku_id": "GD-1", "num": 1}]}
