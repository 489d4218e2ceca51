"""The demo's harvest batches and order history (seeded once for the module by
``conftest.seeded``), and the sales plan behind them (pure, no database)."""
import datetime
import re
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F, Sum
from django.utils import timezone
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.brands.models import ProductOrigin
from shop.core.demo import harvest_data
from shop.core.demo.catalogue_specs import product_specs
from shop.core.demo.harvest import demo_plan, history_orders
from shop.core.demo.sales_plan import (
    AWAITING_WAVE,
    FULFILMENT_SHOWCASE,
    IN_TRANSIT,
    NUMBER_BASE,
    READY,
    SHOWCASE_POINT,
    WAVE_PACKING_HOUR,
    ProductInfo,
    order_count,
    sales_plan,
)
from shop.fulfilment.models import OrderPickup
from shop.harvest.models import HarvestBatch, TraceEvent
from shop.producers.models import Membership
from shop.regions.models import ServicePoint

from .conftest import PRODUCTS

Order = get_model("order", "Order")
Line = get_model("order", "Line")
Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")
Source = get_model("payment", "Source")

TZ = ZoneInfo("Asia/Shanghai")
METHOD_CODES = {"community_pickup": "community-pickup", "locker": "locker-pickup"}


def _shelf_days(product):
    origin = product.origin
    spec = {s.sku: s for s in product_specs(PRODUCTS)}[product.upc]
    return harvest_data.season_for(brand_slug=origin.brand.slug, line_name=spec.line_name,
                                   is_fresh=origin.is_fresh).shelf_days


@pytest.mark.django_db
class TestBatches:
    def test_most_products_have_one_to_three_batches(self, seeded):
        per_product = Counter(HarvestBatch.objects.values_list("product_id", flat=True))
        assert len(per_product) >= PRODUCTS * 0.6
        assert set(per_product.values()) <= {1, 2, 3}
        assert Product.objects.exclude(pk__in=per_product).exists()  # some keep batch-less stock
        assert seeded["counts"][1]["采收批次"] == sum(per_product.values())

    def test_batches_are_inspected_and_harvested_before_today(self, seeded):
        today = timezone.localdate()
        for batch in HarvestBatch.objects.select_related("product__origin__county__city"):
            origin = batch.product.origin
            assert batch.harvested_on < today
            assert batch.is_sellable
            assert re.fullmatch(r"GDJC-\d{4}-\d{4}", batch.inspection_report_number)
            assert batch.inspection_report_number[5:9] == str(batch.harvested_on.year)
            if origin.is_fresh:
                assert batch.inspection_agency == f"{origin.county.name}农产品质量安全检测站"
                assert batch.inspected_on == batch.harvested_on
            else:
                assert batch.inspection_agency == f"{origin.county.city.name}农产品质量监督检验测试中心"
                assert batch.inspected_on == batch.harvested_on + datetime.timedelta(days=1)
            assert batch.market_subject_id == origin.market_subject_id
            assert batch.village_id == origin.village_id

    def test_contributions_come_from_members_with_a_contract_rule(self, seeded):
        members = defaultdict(set)
        for subject_id, household_id in Membership.objects.values_list("market_subject_id", "household_id"):
            members[subject_id].add(household_id)
        rules = Counter()
        with_households = 0
        for batch in HarvestBatch.objects.prefetch_related("contributions").select_related("stockrecord"):
            contributions = list(batch.contributions.all())
            assert len(contributions) <= 8
            if members[batch.market_subject_id]:
                assert len(contributions) >= min(2, len(members[batch.market_subject_id]), batch.quantity)
                with_households += 1
            assert {c.household_id for c in contributions} <= members[batch.market_subject_id]
            assert sum(c.quantity for c in contributions) <= batch.quantity
            price = batch.stockrecord.price
            for contribution in contributions:
                rules[contribution.income_rule] += 1
                if contribution.income_rule == "purchase_price":
                    assert price * Decimal("0.2") < contribution.purchase_price < price * Decimal("0.7")
                    assert contribution.sales_share is None
                else:
                    assert contribution.sales_share in harvest_data.SALES_SHARES
        assert with_households >= HarvestBatch.objects.count() * 0.6
        assert rules["purchase_price"] > 0 and rules["sales_share"] > 0

    def test_circulation_events(self, seeded):
        now = timezone.now()
        urban = set(ServicePoint.URBAN_KINDS)
        batches = HarvestBatch.objects.select_related("product__origin").prefetch_related(
            "events__service_point__county__city")
        for batch in batches:
            events = list(batch.events.all())
            steps = [event.business_step for event in events]
            assert steps[:3] == ["commissioning", "inspecting", "packing"]
            assert all(event.occurred_at <= now for event in events)
            fresh = batch.product.origin.is_fresh
            for event in events:
                if fresh and event.business_step in TraceEvent.COLD_CHAIN_STEPS:
                    assert Decimal("-1") < event.temperature < Decimal("15")
                if not fresh:
                    assert event.temperature is None
                if event.business_step == "receiving":
                    point = event.service_point
                    assert point.kind in urban and point.county.city.code in ("440100", "440300")
                    assert event.recorder == "pickup_point" and event.disposition == "sellable_accessible"
                    assert point.has_cold_storage or not fresh
        # Batches harvested more than a few days ago have arrived somewhere.
        old = HarvestBatch.objects.filter(harvested_on__lt=timezone.localdate() - datetime.timedelta(days=5))
        assert old.exists()
        assert not old.exclude(events__business_step="receiving").exists()

    def test_stock_and_batches_stay_consistent(self, seeded):
        assert not StockRecord.objects.filter(num_allocated__gt=F("num_in_stock")).exists()
        assert not HarvestBatch.objects.filter(quantity_allocated__gt=F("quantity")).exists()
        open_units = defaultdict(int)
        open_allocations = LineAllocation.objects.filter(released_at__isnull=True)
        for batch_id, quantity in open_allocations.values_list("batch_id", "quantity"):
            open_units[batch_id] += quantity
        for batch in HarvestBatch.objects.all():
            assert batch.quantity_allocated == open_units[batch.pk]


@pytest.mark.django_db
class TestOrders:
    def test_order_history(self, seeded):
        plan = demo_plan()
        # The history only: the campaign, pre-sale and crowdfunding stages add orders of today.
        orders = list(history_orders().select_related("pickup__service_point"))
        assert len(orders) == len(plan.orders)
        # The plan's orders, the consumer's latest and the fulfilment walk-through's.
        assert order_count(PRODUCTS) * 0.8 <= len(orders) <= order_count(PRODUCTS) + 1 + len(FULFILMENT_SHOWCASE)
        assert {o.number for o in orders} == {str(NUMBER_BASE + n) for n in range(1, len(orders) + 1)}
        today = timezone.localdate()
        start = plan.start
        for order in orders:
            placed = timezone.localtime(order.date_placed).date()
            assert start <= placed < today
            point = order.pickup.service_point
            assert point.kind in ServicePoint.URBAN_KINDS
            assert order.shipping_code == METHOD_CODES[point.kind]
            assert order.shipping_address.line1 == point.name
            assert order.user_id or order.guest_email.endswith((".com", ".net", ".org"))
            assert order.pickup.recipient_phone.startswith("1370000")
        dated = {o.number: o.date_placed for o in orders}
        assert [p.number for p in plan.orders] == sorted(dated, key=lambda n: (dated[n], n))
        assert Source.objects.filter(source_type__code="pay-at-pickup", order__in=history_orders()).count() == len(orders)
        assert len({o.guest_email for o in orders if o.guest_email}) >= 10
        assert 0 < sum(1 for o in orders if o.user_id) < len(orders) / 4

    def test_fresh_orders_are_collected_where_there_is_cold_storage(self, seeded):
        fresh = set(ProductOrigin.objects.filter(is_fresh=True).values_list("product_id", flat=True))
        for pickup in OrderPickup.objects.select_related("service_point").prefetch_related("order__lines"):
            if any(line.product_id in fresh for line in pickup.order.lines.all()):
                assert pickup.service_point.has_cold_storage

    def test_ledger_is_dated_like_its_orders_and_exact(self, seeded):
        lines = Line.objects.filter(order__in=history_orders()).select_related("order")
        entries = defaultdict(list)
        for entry in LedgerEntry.objects.filter(line__order__in=history_orders()):
            entries[entry.line_id].append(entry)
        for line in lines:
            sales = [e for e in entries[line.pk] if e.kind == "sale"]
            assert sum(e.sales_amount for e in sales) == line.line_price_incl_tax
            assert sum(e.quantity for e in sales) == line.quantity
            assert {e.occurred_at for e in sales} == {line.order.date_placed}
            assert {e.month for e in sales} == {timezone.localtime(line.order.date_placed).date().replace(day=1)}
            if line.order.status == "已取消":
                assert sum(e.sales_amount for e in entries[line.pk]) == 0
                assert sum(e.quantity for e in entries[line.pk]) == 0
        months = {e.month for items in entries.values() for e in items}
        assert len(months) >= 12

    def test_no_line_comes_from_a_later_or_spoilt_batch(self, seeded):
        allocations = LineAllocation.objects.filter(line__order__in=history_orders()).select_related(
            "batch__product__origin__brand", "line__order")
        assert allocations.exists()
        for allocation in allocations:
            placed = timezone.localtime(allocation.line.order.date_placed).date()
            batch = allocation.batch
            assert batch.harvested_on < placed
            if batch.product.origin.is_fresh:
                assert placed <= batch.harvested_on + datetime.timedelta(days=_shelf_days(batch.product))
            assert allocation.created == allocation.line.order.date_placed

    def test_past_fresh_batches_are_sold_out(self, seeded):
        today = timezone.localdate()
        fresh = HarvestBatch.objects.filter(product__origin__is_fresh=True).select_related("product__origin__brand")
        for batch in fresh:
            if batch.harvested_on + datetime.timedelta(days=_shelf_days(batch.product)) < today:
                assert batch.quantity_remaining == 0, batch.code

    def test_some_sales_are_unattributed(self, seeded):
        unattributed = LedgerEntry.objects.filter(kind="sale", household__isnull=True, batch__isnull=True)
        assert unattributed.exists()
        assert LedgerEntry.objects.filter(kind="sale", household__isnull=False).count() > unattributed.count()

    def test_refunds_and_cancellations_at_their_dates(self, seeded):
        refunds = LedgerEntry.objects.filter(kind="refund").select_related("line__order")
        assert refunds.exists()
        for entry in refunds:
            assert entry.occurred_at > entry.line.order.date_placed
            assert entry.line.order.notes.filter(note_type="售后", date_created=entry.occurred_at).exists()
        cancelled = Order.objects.filter(status="已取消")
        assert cancelled.exists()
        for order in cancelled:
            change = order.status_changes.get()
            reversal = LedgerEntry.objects.filter(line__order=order, kind="cancellation")
            assert reversal.exists()
            assert set(reversal.values_list("occurred_at", flat=True)) == {change.date_created}
            assert change.date_created > order.date_placed
            assert not order.lines.filter(allocation_cancelled=False).exists()
            assert not LineAllocation.objects.filter(line__order=order, released_at__isnull=True).exists()
        refunded = LedgerEntry.objects.filter(kind="refund").values("line").annotate(total=Sum("sales_amount"))
        for row in refunded:
            assert row["total"] < 0

    def test_consumer_latest_order_shows_consented_households(self, seeded):
        latest = history_orders().filter(user__username="consumer@xiangpin.demo").order_by("-date_placed").first()
        assert latest is not None and latest.status == "待发货"
        assert timezone.localtime(latest.date_placed).date() == timezone.localdate() - datetime.timedelta(days=1)
        [line] = latest.lines.all()
        [allocation] = line.batch_allocations.all()
        households = [c.household for c in allocation.batch.contributions.select_related("household")]
        consented = [h for h in households if h.alias_consent]
        assert consented and all(h.public_alias.endswith("姓农户") for h in consented)
        assert LedgerEntry.objects.filter(line=line, household__in=consented).exists()


def _default_products():
    """The default catalogue's products, without a database (subjects by brand)."""
    return [
        ProductInfo(sku=spec.sku, title=spec.title, price=spec.price, is_fresh=spec.is_fresh,
                    brand_slug=spec.brand_slug, line_name=spec.line_name,
                    subject_code="mx-yanyang-jinyou" if spec.brand_slug == "meizhou-jinyou" else spec.brand_slug,
                    subject_has_alias=True)
        for spec in product_specs(220)
    ]


@pytest.fixture(scope="module")
def default_plan():
    return sales_plan(_default_products(), today=datetime.date(2026, 12, 3), tz=TZ, orders=order_count(220))


def test_plan_size_and_trend(default_plan):
    orders = default_plan.orders
    assert 450 <= len(orders) <= 600
    assert orders[0].placed_at.date() >= datetime.date(2025, 7, 1)
    assert orders[-1].placed_at.date() == datetime.date(2026, 12, 2)
    months = Counter(o.placed_at.strftime("%Y-%m") for o in orders)
    assert len(months) == 18
    # 扶贫日 and 双11 peak; 年货节 (before 17 February 2026) lifts January and February.
    assert months["2026-10"] > months["2026-09"] and months["2026-11"] > months["2026-09"]
    assert months["2025-11"] > months["2025-12"] and months["2026-01"] > months["2025-12"]
    days = Counter(o.placed_at.date() for o in orders)
    assert {d for d, _ in days.most_common(4)} >= {datetime.date(2026, 10, 17), datetime.date(2026, 11, 11)}
    assert days[datetime.date(2026, 2, 17)] <= 1  # 春节: the pickup points are closed
    # Year on year: the plan's ≥20 % growth target.
    for month in ("07", "08", "09", "10", "11"):
        assert months[f"2026-{month}"] >= months[f"2025-{month}"] * 1.15, month
    assert sum(months[f"2026-{m}"] for m in ("07", "08", "09", "10", "11")) >= 1.2 * sum(
        months[f"2025-{m}"] for m in ("07", "08", "09", "10", "11"))


def test_plan_sells_only_in_season(default_plan):
    for order in default_plan.orders:
        for line in order.lines:
            if line.batch is not None:
                assert line.batch.sells_on(order.placed_at.date())
                assert line.batch.harvested_on < order.placed_at.date()
    for batches in default_plan.batches.values():
        for batch in batches:
            assert batch.quantity >= batch.demand
            if batch.is_fresh and not batch.is_current:
                assert batch.quantity == batch.demand >= 3


def test_plan_is_deterministic(default_plan):
    again = sales_plan(_default_products(), today=datetime.date(2026, 12, 3), tz=TZ, orders=order_count(220))
    def summary(plan):
        return [(o.number, o.placed_at, o.email, o.point_code, [(line.sku, line.quantity) for line in o.lines])
                for o in plan.orders]

    assert summary(again) == summary(default_plan)
    assert {sku: [(b.harvested_on, b.quantity) for b in batches] for sku, batches in again.batches.items()} == {
        sku: [(b.harvested_on, b.quantity) for b in batches] for sku, batches in default_plan.batches.items()}


def test_plan_showcase_and_aftercare(default_plan):
    [showcase] = [o for o in default_plan.orders if o.is_showcase]
    assert showcase.placed_at == datetime.datetime(2026, 12, 2, 19, 36, 12, tzinfo=TZ)
    assert showcase.is_consumer and showcase.point_code == "gz-th-liede"
    assert showcase.lines[0].sku.startswith("XP01-") and showcase.lines[0].batch.prefer_alias
    assert not [o for o in default_plan.orders if o.is_consumer and o.placed_at > showcase.placed_at]
    cancelled = [o for o in default_plan.orders if o.cancelled_at]
    refunded = [o for o in default_plan.orders if o.refund]
    assert 3 <= len(cancelled) <= 20 and 5 <= len(refunded) <= 25
    for order in cancelled:
        assert not any(line.batch is not None and line.batch.is_fresh for line in order.lines)
    assert all(o.cancelled_at < datetime.datetime(2026, 12, 3, tzinfo=TZ) for o in cancelled)


def _staged(plan):
    return [(o.stage, o.placed_at, o.is_consumer, o.point_code, [(line.sku, line.quantity) for line in o.lines])
            for o in plan.orders if o.stage]


def test_plan_fulfilment_walk_through(default_plan):
    def at(day, hour, minute, second):
        return datetime.datetime(2026, 12, day, hour, minute, second, tzinfo=TZ)

    assert _staged(default_plan) == [
        (IN_TRANSIT, at(1, 10, 5, 12), False, SHOWCASE_POINT, [("XP01-0002", 2)]),
        (IN_TRANSIT, at(1, 14, 31, 48), False, SHOWCASE_POINT, [("XP01-0003", 1)]),
        (READY, at(1, 20, 14, 37), True, SHOWCASE_POINT, [("XP01-0001", 1)]),
        (AWAITING_WAVE, at(2, 9, 12, 40), False, SHOWCASE_POINT, [("XP01-0004", 1)]),
        (AWAITING_WAVE, at(2, 12, 47, 5), False, SHOWCASE_POINT, [("XP01-0005", 1)]),
        (AWAITING_WAVE, at(2, 16, 23, 51), False, SHOWCASE_POINT, [("XP01-0006", 1)]),
    ]
    staged = [o for o in default_plan.orders if o.stage]
    assert {o.email for o in staged if o.is_consumer} == {harvest_data.CONSUMER_EMAIL}
    assert len({o.email for o in staged}) == 6
    assert not any(o.cancelled_at or o.refund or o.is_showcase for o in staged)
    assert all(o.lines[0].batch.sells_on(o.placed_at.date()) for o in staged)


def test_plan_walk_through_off_season_uses_the_first_subject_selling():
    """No pomelo sells in June: the walk-through's orders are of one other subject."""
    plan = sales_plan(_default_products(), today=datetime.date(2026, 6, 15), tz=TZ, orders=order_count(220))
    staged = [o for o in plan.orders if o.stage]
    assert [(o.stage, o.placed_at.date()) for o in staged] == [
        (IN_TRANSIT, datetime.date(2026, 6, 13)), (IN_TRANSIT, datetime.date(2026, 6, 13)),
        (READY, datetime.date(2026, 6, 13)), (AWAITING_WAVE, datetime.date(2026, 6, 14)),
        (AWAITING_WAVE, datetime.date(2026, 6, 14)), (AWAITING_WAVE, datetime.date(2026, 6, 14))]
    assert {o.lines[0].sku[:5] for o in staged} == {"XP02-"}


def test_plan_cancels_before_the_next_mornings_wave(default_plan):
    cancelled = [o for o in default_plan.orders if o.cancelled_at]
    assert cancelled
    for order in cancelled:
        next_day = order.placed_at.date() + datetime.timedelta(days=1)
        packing = datetime.datetime(next_day.year, next_day.month, next_day.day, WAVE_PACKING_HOUR, tzinfo=TZ)
        assert order.placed_at + datetime.timedelta(hours=2) <= order.cancelled_at < packing
