"""Allocation of order lines to batches, and the attribution ledger's writes.

**When lines are allocated: at order placement**, inside the place-order
transaction, not at dispatch. A batch's units are part of the partner's stock,
and Oscar allocates that stock when the order is placed; taking the batch's
units at the same moment keeps "units left in batches" and "stock left" in step
(two orders can never both be counted against the last units of a batch), the
ledger knows the households from the first minute (the order page can link to
the trace page, reports show the sale the day it is made), and a line that
arrives with its batch (a pre-sale confirmed against a harvest) is simply
kept. Dispatch changes nothing in the ledger; a cancellation releases the
units back to their batches and appends reversing entries.

Writing an order costs a constant number of queries whatever its number of
lines: read the lines, their existing allocations, lock the candidate batches,
read their contributions, then one bulk update and two bulk inserts
(``tests/attribution/test_query_counts.py`` pins the figure)."""
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.harvest.models import BatchContribution, HarvestBatch

from . import split
from .models import Channel, LedgerEntry, LineAllocation

Line = get_model("order", "Line")
EventHandler = get_class("order.processing", "EventHandler")

_LINE_RELATED = ("product__origin__village__township__county", "product__origin__county")


@dataclass(frozen=True)
class _Place:
    village_id: int | None
    county_id: int | None
    city_id: int | None


def _month(moment):
    return timezone.localtime(moment).date().replace(day=1)


def _origin(line):
    product = line.product
    return getattr(product, "origin", None) if product is not None else None


def _origin_place(origin) -> _Place:
    if origin is None:
        return _Place(None, None, None)
    county = origin.county
    return _Place(origin.village_id, county.pk, county.city_id)


def _household_place(household) -> _Place:
    county = household.village.township.county
    return _Place(household.village_id, county.pk, county.city_id)


def _fifo_allocate(lines, existing):
    """Take units for each line without allocations from the oldest sellable
    batches of its product (locked, in one global order, so concurrent
    placements queue instead of deadlocking). Returns new LineAllocations and
    the batches touched."""
    wanted = [line for line in lines if line.pk not in existing and line.product_id is not None]
    if not wanted:
        return [], {}
    batches = (
        HarvestBatch.objects.select_for_update()
        .filter(
            product_id__in={line.product_id for line in wanted},
            inspection_result=HarvestBatch.Inspection.PASSED,
            quantity_allocated__lt=F("quantity"),
        )
        .order_by("product_id", "harvested_on", "pk")
    )
    by_product = defaultdict(list)
    for batch in batches:
        by_product[batch.product_id].append(batch)
    allocations, touched = [], {}
    for line in wanted:
        needed = line.quantity
        for batch in by_product.get(line.product_id, ()):
            if needed == 0:
                break
            take = min(needed, batch.quantity_remaining)
            if take <= 0:
                continue
            batch.quantity_allocated += take
            touched[batch.pk] = batch
            allocations.append(LineAllocation(line=line, batch=batch, quantity=take))
            needed -= take
    return allocations, touched


def _contributions_by_batch(batch_ids):
    result = defaultdict(list)
    if not batch_ids:
        return result
    rows = BatchContribution.objects.filter(batch_id__in=batch_ids).select_related(
        "household__village__township__county"
    ).order_by("batch_id", "pk")
    for row in rows:
        result[row.batch_id].append(row)
    return result


def _parts(allocations, contributions_by_batch):
    return [
        split.BatchPart(
            batch_id=allocation.batch_id,
            quantity=allocation.quantity,
            batch_quantity=allocation.batch.quantity,
            contributions=tuple(
                split.Contribution(
                    household_id=row.household_id,
                    quantity=row.quantity,
                    income_rule=row.income_rule,
                    purchase_price=row.purchase_price,
                    sales_share=row.sales_share,
                )
                for row in contributions_by_batch.get(allocation.batch_id, ())
            ),
        )
        for allocation in allocations
    ]


def _entries(*, line, shares, kind, channel, occurred_at, households, batches):
    origin = _origin(line)
    origin_place = _origin_place(origin)
    entries = []
    for share in shares:
        household = households.get(share.household_id)
        place = _household_place(household) if household is not None else origin_place
        batch = batches.get(share.batch_id)
        market_subject_id = batch.market_subject_id if batch is not None else getattr(origin, "market_subject_id", None)
        entries.append(
            LedgerEntry(
                line=line, kind=kind, channel=channel,
                household_id=share.household_id, batch_id=share.batch_id,
                product_id=line.product_id, market_subject_id=market_subject_id,
                brand_id=getattr(origin, "brand_id", None),
                village_id=place.village_id, county_id=place.county_id, city_id=place.city_id,
                quantity=share.quantity, sales_amount=share.sales_amount, income=share.income,
                occurred_at=occurred_at, month=_month(occurred_at),
            )
        )
    return entries


def _households_of(contributions_by_batch):
    return {row.household_id: row.household for rows in contributions_by_batch.values() for row in rows}


@transaction.atomic
def order_attribute(*, order, channel=Channel.STORE, occurred_at=None) -> list[LedgerEntry]:
    """Allocate the order's lines to batches and write their sale entries.
    Call it inside the transaction that places (or imports) the order."""
    occurred_at = occurred_at or timezone.now()
    if LedgerEntry.objects.filter(line__order=order).exists():
        raise ValidationError(_("该订单已写入收益归属台账"))
    lines = list(Line.objects.filter(order=order).select_related(*_LINE_RELATED).order_by("pk"))
    existing = defaultdict(list)
    for allocation in LineAllocation.objects.filter(line__order=order).select_related("batch").order_by("pk"):
        existing[allocation.line_id].append(allocation)
    new_allocations, touched = _fifo_allocate(lines, existing)
    for allocation in new_allocations:
        existing[allocation.line.pk].append(allocation)
    batches = {allocation.batch_id: allocation.batch for items in existing.values() for allocation in items}
    contributions = _contributions_by_batch(list(batches))
    households = _households_of(contributions)
    if touched:
        HarvestBatch.objects.bulk_update(list(touched.values()), ["quantity_allocated"])
    LineAllocation.objects.bulk_create(new_allocations)
    entries = []
    for line in lines:
        buckets = split.line_buckets(line_quantity=line.quantity, parts=_parts(existing.get(line.pk, ()), contributions))
        shares = split.line_shares(buckets=buckets, net_quantity=Decimal(line.quantity), net_amount=line.line_price_incl_tax)
        entries += _entries(line=line, shares=shares, kind=LedgerEntry.Kind.SALE, channel=channel,
                            occurred_at=occurred_at, households=households, batches=batches)
    return LedgerEntry.objects.bulk_create(entries)


@dataclass(frozen=True)
class LineNet:
    quantity: Decimal
    sales_amount: Decimal
    income: Decimal


def _sums(row):
    """(quantity, amount, income) of an aggregate row, exact: SQLite sums
    decimals as floats (-5.55E-17 for zero), so put them back on their grid."""
    return (
        Decimal(row["q"] or 0).quantize(split.MILLI_UNIT),
        Decimal(row["a"] or 0).quantize(split.FEN),
        Decimal(row["i"] or 0).quantize(split.FEN),
    )


def line_net(*, line) -> LineNet:
    totals = LedgerEntry.objects.filter(line=line).aggregate(q=Sum("quantity"), a=Sum("sales_amount"), i=Sum("income"))
    return LineNet(*_sums(totals))


def _reverse(*, line, kind, quantity=None, amount=None, occurred_at=None) -> list[LedgerEntry]:
    """Append the entries that take ``line`` down by ``quantity`` units (default:
    all that is left) and ``amount`` yuan (default: those units' share of what
    is left), spread over its buckets exactly as a fresh sale of the remainder
    would be (so a full reversal nets every bucket to zero). The line is locked
    first, so the defaults and the checks read what concurrent refunds left."""
    occurred_at = occurred_at or timezone.now()
    line = Line.objects.select_for_update(of=("self",)).select_related(*_LINE_RELATED).get(pk=line.pk)
    rows = (
        LedgerEntry.objects.filter(line=line)
        .values("batch_id", "household_id", "channel")
        .annotate(q=Sum("quantity"), a=Sum("sales_amount"), i=Sum("income"))
    )
    current, channel = {}, Channel.STORE
    for row in rows:
        current[(row["batch_id"], row["household_id"])] = _sums(row)
        channel = row["channel"]
    if not current:
        raise ValidationError(_("该订单行尚未写入收益归属台账"))
    net_quantity = sum((value[0] for value in current.values()), Decimal("0"))
    net_amount = sum((value[1] for value in current.values()), Decimal("0"))
    quantity = net_quantity if quantity is None else Decimal(quantity)
    if amount is None:
        if quantity == net_quantity:
            amount = net_amount
        elif quantity and net_quantity:
            amount = net_amount * quantity / net_quantity
        else:
            raise ValidationError(_("请填写退款金额"))
    amount = split.money(amount)
    if kind == LedgerEntry.Kind.CANCELLATION and not (quantity or amount):
        return []  # nothing left to cancel (a retried cancellation)
    if quantity < 0 or amount < 0:
        raise ValidationError(_("退款数量和金额不能为负数"))
    if quantity > net_quantity:
        raise ValidationError(_("退款数量超过可退数量（%(left)s 件）") % {"left": net_quantity.normalize()})
    if amount > net_amount:
        raise ValidationError(_("退款金额超过可退金额（¥%(left)s）") % {"left": net_amount})
    if quantity == 0 and amount == 0:
        raise ValidationError(_("请填写退款数量或金额"))
    if quantity == net_quantity and amount != net_amount:
        raise ValidationError(_("全部数量退款时，退款金额须为剩余金额 ¥%(left)s") % {"left": net_amount})
    allocations = list(LineAllocation.objects.filter(line=line).select_related("batch").order_by("pk"))
    contributions = _contributions_by_batch([allocation.batch_id for allocation in allocations])
    buckets = split.line_buckets(line_quantity=line.quantity, parts=_parts(allocations, contributions))
    target = split.line_shares(buckets=buckets, net_quantity=net_quantity - quantity, net_amount=net_amount - amount)
    deltas = split.movements(target=target, current=current)
    batches = {allocation.batch_id: allocation.batch for allocation in allocations}
    entries = _entries(line=line, shares=deltas, kind=kind, channel=channel, occurred_at=occurred_at,
                       households=_households_of(contributions), batches=batches)
    return LedgerEntry.objects.bulk_create(entries)


@transaction.atomic
def line_refund(*, line, quantity=0, amount=None, occurred_at=None) -> list[LedgerEntry]:
    """A full or partial refund of ``line``: ``quantity`` units (possibly 0, for
    a price-only refund) and ``amount`` yuan (default: the units' share of what
    is left of the line)."""
    return _reverse(line=line, quantity=quantity, amount=amount, kind=LedgerEntry.Kind.REFUND, occurred_at=occurred_at)


@transaction.atomic
def order_cancel_attribution(*, order, occurred_at=None) -> list[LedgerEntry]:
    """Reverse what is left of every line of a cancelled order and give the
    units back to their batches and to stock. Cancelling twice does nothing more."""
    occurred_at = occurred_at or timezone.now()
    entries = []
    lines = list(Line.objects.filter(order=order).order_by("pk"))
    attributed = set(LedgerEntry.objects.filter(line__order=order).values_list("line_id", flat=True))
    for line in lines:
        if line.pk in attributed:
            entries += _reverse(line=line, kind=LedgerEntry.Kind.CANCELLATION, occurred_at=occurred_at)
    open_allocations = list(
        LineAllocation.objects.select_for_update().filter(line__order=order, released_at__isnull=True).order_by("batch_id")
    )
    released = []
    for allocation in open_allocations:
        HarvestBatch.objects.filter(pk=allocation.batch_id).update(quantity_allocated=F("quantity_allocated") - allocation.quantity)
        released.append(allocation.pk)
    if released:
        LineAllocation.objects.filter(pk__in=released).update(released_at=occurred_at)
    still_allocated = [line for line in lines if not line.allocation_cancelled and line.stockrecord_id]
    if still_allocated:
        EventHandler().cancel_stock_allocations(order, lines=still_allocated)
    return entries
