"""The ledger on a real database: allocation to batches, exact sale entries,
refunds and cancellations as appended reversals, append-only enforcement."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.db.utils import DatabaseError
from oscar.core.loading import get_model

from shop.attribution.models import AppendOnlyError, LedgerEntry, LineAllocation
from shop.attribution.services import line_net, line_refund, order_attribute, order_cancel_attribution
from shop.harvest.models import HarvestBatch
from tests.factories import make_batch, make_household, make_product, place_order

StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db


@pytest.fixture
def pomelo():
    return make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=0)


def entries(line):
    return list(
        LedgerEntry.objects.filter(line=line).order_by("pk").values_list(
            "kind", "batch__code", "household__registration_number", "quantity", "sales_amount", "income")
    )


def test_line_is_allocated_first_harvested_first_and_split_over_households(pomelo):
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    wang = make_household(market_subjects=[subject], registration_number="JD-WANG")
    chen = make_household(market_subjects=[subject], registration_number="JD-CHEN")
    newer = make_batch(product=pomelo, quantity=10, households=[(chen, 10)], harvested_on=datetime.date(2026, 11, 5),
                       rule="sales_share", sales_share=Decimal("40"))
    older = make_batch(product=pomelo, quantity=4, households=[(li, 3), (wang, 1)], harvested_on=datetime.date(2026, 10, 20),
                       purchase_price=Decimal("12.00"))
    assert StockRecord.objects.get(product=pomelo).num_in_stock == 14

    order = place_order(lines=[(pomelo, 6)])
    line = order.lines.get()
    assert line.line_price_incl_tax == Decimal("239.40")
    assert list(LineAllocation.objects.filter(line=line).values_list("batch__code", "quantity")) == [
        (older.code, 4), (newer.code, 2)]
    assert entries(line) == [
        ("sale", older.code, "JD-LI", Decimal("3.000"), Decimal("119.70"), Decimal("36.00")),
        ("sale", older.code, "JD-WANG", Decimal("1.000"), Decimal("39.90"), Decimal("12.00")),
        ("sale", newer.code, "JD-CHEN", Decimal("2.000"), Decimal("79.80"), Decimal("31.92")),
    ]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.quantity_allocated, newer.quantity_allocated) == (4, 2)
    entry = LedgerEntry.objects.filter(line=line, household=li).get()
    assert (entry.channel, entry.market_subject, entry.brand, entry.village, entry.county, entry.city) == (
        "store", subject, pomelo.origin.brand, li.village, li.village.township.county, li.village.township.county.city)
    assert entry.month == datetime.date(entry.occurred_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).year,
                                        entry.occurred_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).month, 1)


def test_units_no_household_supplied_are_recorded_unattributed(pomelo):
    StockRecord.objects.filter(product=pomelo).update(num_in_stock=5)
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    batch = make_batch(product=pomelo, quantity=4, households=[(li, 1)])
    order = place_order(lines=[(pomelo, 6)])
    line = order.lines.get()
    # 4 units from the batch (1 of 4 from Li, 3 of 4 the cooperative's own), 2 from unbatched stock.
    assert entries(line) == [
        ("sale", batch.code, "JD-LI", Decimal("1.000"), Decimal("39.90"), Decimal("6.00")),
        ("sale", batch.code, None, Decimal("3.000"), Decimal("119.70"), Decimal("0.00")),
        ("sale", None, None, Decimal("2.000"), Decimal("79.80"), Decimal("0.00")),
    ]
    unattributed = LedgerEntry.objects.filter(line=line, household__isnull=True, batch__isnull=True).get()
    assert (unattributed.village, unattributed.county) == (pomelo.origin.village, pomelo.origin.county)


def test_a_product_without_batches_is_wholly_unattributed():
    tea = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=10)
    order = place_order(lines=[(tea, 3)])
    assert entries(order.lines.get()) == [("sale", None, None, Decimal("3.000"), Decimal("37.50"), Decimal("0.00"))]


def test_a_failed_batch_adds_no_stock_and_is_never_sold(pomelo):
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject])
    make_batch(product=pomelo, quantity=5, households=[(li, 5)], inspection_result=HarvestBatch.Inspection.FAILED)
    assert StockRecord.objects.get(product=pomelo).num_in_stock == 0
    StockRecord.objects.filter(product=pomelo).update(num_in_stock=2)
    order = place_order(lines=[(pomelo, 2)])
    assert entries(order.lines.get()) == [("sale", None, None, Decimal("2.000"), Decimal("79.80"), Decimal("0.00"))]


def test_a_line_that_already_has_its_batch_keeps_it(pomelo):
    """A pre-sale line confirmed against a harvest arrives allocated: no FIFO."""
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    wang = make_household(market_subjects=[subject], registration_number="JD-WANG")
    make_batch(product=pomelo, quantity=10, households=[(li, 10)], harvested_on=datetime.date(2026, 9, 1))
    november = make_batch(product=pomelo, quantity=10, households=[(wang, 10)], harvested_on=datetime.date(2026, 11, 1))
    with transaction.atomic():
        order = place_order(lines=[(pomelo, 2)], attribute=False)
        line = order.lines.get()
        LineAllocation.objects.create(line=line, batch=november, quantity=2)
        HarvestBatch.objects.filter(pk=november.pk).update(quantity_allocated=2)
        order_attribute(order=order)
    assert entries(line) == [("sale", november.code, "JD-WANG", Decimal("2.000"), Decimal("79.80"), Decimal("12.00"))]
    assert LineAllocation.objects.filter(line=line).count() == 1


def test_attributing_an_order_twice_is_refused(pomelo):
    StockRecord.objects.filter(product=pomelo).update(num_in_stock=3)
    order = place_order(lines=[(pomelo, 1)])
    with pytest.raises(ValidationError):
        order_attribute(order=order)
    assert LedgerEntry.objects.count() == 1


def test_partial_refunds_then_the_rest_append_reversals_that_net_to_zero(pomelo):
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    wang = make_household(market_subjects=[subject], registration_number="JD-WANG")
    batch = make_batch(product=pomelo, quantity=3, households=[(li, 2), (wang, 1)], rule="sales_share", sales_share=Decimal("50"))
    order = place_order(lines=[(pomelo, 3)])
    line = order.lines.get()
    assert line.line_price_incl_tax == Decimal("119.70")

    line_refund(line=line, quantity=1)  # one box back: 39.90
    assert line_net(line=line).sales_amount == Decimal("79.80")
    line_refund(line=line, amount=Decimal("0.01"))  # a fen of goodwill, no goods back
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount) == (Decimal("2.000"), Decimal("79.79"))
    line_refund(line=line, quantity=2)  # the rest
    assert entries(line) == [
        ("sale", batch.code, "JD-LI", Decimal("2.000"), Decimal("79.80"), Decimal("39.90")),
        ("sale", batch.code, "JD-WANG", Decimal("1.000"), Decimal("39.90"), Decimal("19.95")),
        ("refund", batch.code, "JD-LI", Decimal("-0.667"), Decimal("-26.60"), Decimal("-13.30")),
        ("refund", batch.code, "JD-WANG", Decimal("-0.333"), Decimal("-13.30"), Decimal("-6.65")),
        # 79.79 over 2:1 is 53.19 / 26.60 (Wang has the larger remainder); Li's
        # half of 53.19 still rounds to 26.60, so the fen costs Li no income.
        ("refund", batch.code, "JD-LI", Decimal("0.000"), Decimal("-0.01"), Decimal("0.00")),
        ("refund", batch.code, "JD-LI", Decimal("-1.333"), Decimal("-53.19"), Decimal("-26.60")),
        ("refund", batch.code, "JD-WANG", Decimal("-0.667"), Decimal("-26.60"), Decimal("-13.30")),
    ]
    totals = LedgerEntry.objects.filter(line=line).values("household").annotate(
        q=Sum("quantity"), a=Sum("sales_amount"), i=Sum("income"))
    # (quantized: SQLite sums decimals as floats)
    assert {(Decimal(t["q"]).quantize(Decimal("0.001")), Decimal(t["a"]).quantize(Decimal("0.01")),
             Decimal(t["i"]).quantize(Decimal("0.01"))) for t in totals} == {(Decimal("0.000"), Decimal("0.00"), Decimal("0.00"))}
    with pytest.raises(ValidationError):
        line_refund(line=line, amount=Decimal("0.01"))


@pytest.mark.parametrize("quantity, amount, message", [
    (4, None, "退款数量超过可退数量"),
    (0, Decimal("200.00"), "退款金额超过可退金额"),
    (3, Decimal("100.00"), "全部数量退款时"),
    (0, Decimal("0"), "请填写退款数量或金额"),
    (-1, Decimal("1.00"), "不能为负数"),
])
def test_impossible_refunds_are_refused_and_write_nothing(pomelo, quantity, amount, message):
    StockRecord.objects.filter(product=pomelo).update(num_in_stock=3)
    line = place_order(lines=[(pomelo, 3)]).lines.get()
    before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        line_refund(line=line, quantity=quantity, amount=amount)
    assert message in " ".join(error.value.messages)
    assert LedgerEntry.objects.count() == before


def test_cancelling_through_the_order_status_reverses_and_releases(pomelo):
    subject = pomelo.origin.market_subject
    li = make_household(market_subjects=[subject], registration_number="JD-LI")
    batch = make_batch(product=pomelo, quantity=5, households=[(li, 5)], purchase_price=Decimal("10.00"))
    order = place_order(lines=[(pomelo, 2)])
    stock = StockRecord.objects.get(product=pomelo)
    assert (stock.num_in_stock, stock.num_allocated) == (5, 2)

    order.set_status("已取消")

    line = order.lines.get()
    assert entries(line) == [
        ("sale", batch.code, "JD-LI", Decimal("2.000"), Decimal("79.80"), Decimal("20.00")),
        ("cancellation", batch.code, "JD-LI", Decimal("-2.000"), Decimal("-79.80"), Decimal("-20.00")),
    ]
    batch.refresh_from_db()
    stock.refresh_from_db()
    assert batch.quantity_allocated == 0
    assert (stock.num_in_stock, stock.num_allocated) == (5, 0)
    assert LineAllocation.objects.get(line=line).released_at is not None
    # Cancelling again (e.g. a retried job) appends nothing and releases nothing.
    order_cancel_attribution(order=order)
    assert LedgerEntry.objects.filter(line=line).count() == 2
    batch.refresh_from_db()
    stock.refresh_from_db()
    assert batch.quantity_allocated == 0
    assert (stock.num_in_stock, stock.num_allocated) == (5, 0)


def test_a_partly_refunded_line_cancels_to_zero(pomelo):
    StockRecord.objects.filter(product=pomelo).update(num_in_stock=4)
    line = place_order(lines=[(pomelo, 4)]).lines.get()
    line_refund(line=line, quantity=1)
    order_cancel_attribution(order=line.order)
    net = line_net(line=line)
    assert (net.quantity, net.sales_amount, net.income) == (Decimal("0.000"), Decimal("0.00"), Decimal("0.00"))
    assert list(LedgerEntry.objects.filter(line=line).values_list("kind", flat=True)) == ["sale", "refund", "cancellation"]


def test_ledger_entries_cannot_be_updated_or_deleted(pomelo):
    StockRecord.objects.filter(product=pomelo).update(num_in_stock=1)
    line = place_order(lines=[(pomelo, 1)]).lines.get()
    entry = LedgerEntry.objects.get(line=line)
    entry.sales_amount = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(sales_amount=Decimal("1.00"))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).sales_amount == Decimal("39.90")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
@pytest.mark.parametrize("statement", [
    "UPDATE attribution_ledgerentry SET sales_amount = 0",
    "DELETE FROM attribution_ledgerentry",
])
def test_the_database_refuses_rewriting_the_ledger(pomelo, statement):
    StockRecord.objects.filter(product=pomelo).update(num_in_stock=1)
    place_order(lines=[(pomelo, 1)])
    with pytest.raises(DatabaseError) as error:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert "append-only" in str(error.value)
    assert LedgerEntry.objects.get().sales_amount == Decimal("39.90")
