"""Read side of delivery waves (基地+城市社区直配): which orders a cooperative
still has to ship, grouped by pickup point; a wave's lines, batches, manifest
(配送清单) and packing list (拣货单); and who sees which waves.

A wave carries only its cooperative's lines of each order (an order with lines
of two cooperatives travels in one wave of each). Units to ship are a line's
quantity less what was refunded before shipping, taken from the line's batch
allocations in allocation order.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from oscar.core.loading import get_model

from shop.attribution.models import LineAllocation
from shop.backoffice.access import user_sees_all
from shop.checkout.payment_methods import PAY_AT_PICKUP_SOURCE_TYPE_CODE
from shop.core.masking import mask_name, mask_phone
from shop.payments.refunds import REFUND_EVENT
from shop.regions.models import ServicePoint

from .models import DeliveryWave, OrderPickup, WaveOrder
from .statuses import AWAITING_SHIPMENT, CANCELLED

Order = get_model("order", "Order")
Line = get_model("order", "Line")
Partner = get_model("partner", "Partner")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventQuantity = get_model("order", "PaymentEventQuantity")
Source = get_model("payment", "Source")


# -- who sees what -------------------------------------------------------------

def partners_for_waves(*, user):
    """The cooperatives (Oscar partners) ``user`` ships for: staff any, cooperative
    staff their own. Programme officers only read, so none."""
    if user.is_staff:
        return Partner.objects.all().order_by("name")
    return Partner.objects.filter(users=user).order_by("name")


def waves_visible_to(*, user):
    """Staff and programme officers: every wave; cooperative staff: their
    partners' waves; anyone else (pickup staff included): none."""
    waves = DeliveryWave.objects.select_related("partner", "service_point", "created_by", "shipped_by")
    if user_sees_all(user):
        return waves
    return waves.filter(partner__in=Partner.objects.filter(users=user).values("pk"))


# -- orders awaiting a wave --------------------------------------------------------

def _refunded_units_subquery():
    return Coalesce(
        Subquery(
            PaymentEventQuantity.objects.filter(line=OuterRef("pk"), event__event_type__name=REFUND_EVENT)
            .values("line")
            .annotate(total=Sum("quantity"))
            .values("total")
        ),
        Value(0),
    )


def partner_lines_to_ship(*, partner):
    """Lines of ``partner`` with units left after refunds."""
    return Line.objects.filter(partner=partner).annotate(refunded_units=_refunded_units_subquery()).filter(
        quantity__gt=F("refunded_units")
    )


def orders_awaiting_wave(*, partner, service_point=None):
    """Pickup orders in 待发货 with at least one line of ``partner`` to ship and not
    yet in one of ``partner``'s waves (orders in 支付待核实 are not shippable)."""
    pickups = OrderPickup.objects.all()
    if service_point is not None:
        pickups = pickups.filter(service_point=service_point)
    return (
        Order.objects.filter(status=AWAITING_SHIPMENT)
        .filter(pk__in=pickups.values("order_id"))
        .filter(pk__in=partner_lines_to_ship(partner=partner).values("order_id"))
        .exclude(pk__in=WaveOrder.objects.filter(partner=partner).values("order_id"))
        .order_by("date_placed", "pk")
    )


@dataclass(frozen=True)
class WaveCandidate:
    """Orders of one cooperative waiting to be shipped to one pickup point."""

    partner: object
    service_point: ServicePoint
    order_count: int
    earliest_placed: datetime.datetime


def wave_candidates(*, partner) -> list[WaveCandidate]:
    """``partner``'s orders awaiting a wave, per pickup point, oldest first."""
    rows = list(
        orders_awaiting_wave(partner=partner)
        .order_by()
        .values("pickup__service_point")
        .annotate(order_count=Count("pk"), earliest_placed=Min("date_placed"))
        .order_by("earliest_placed", "pickup__service_point")
    )
    points = ServicePoint.objects.select_related("county__city").in_bulk([row["pickup__service_point"] for row in rows])
    return [
        WaveCandidate(partner=partner, service_point=points[row["pickup__service_point"]],
                      order_count=row["order_count"], earliest_placed=row["earliest_placed"])
        for row in rows
    ]


# -- a wave's lines and the units they ship --------------------------------------

def wave_orders(*, wave):
    return Order.objects.filter(wave_orders__wave=wave).order_by("date_placed", "pk")


def wave_lines(*, wave):
    """The wave's cooperative's lines of the orders in it (never another cooperative's)."""
    return (
        Line.objects.filter(order__wave_orders__wave=wave, partner_id=wave.partner_id)
        .select_related("order", "product")
        .order_by("order__date_placed", "order_id", "pk")
    )


def refunded_units_by_line(*, line_ids):
    rows = (
        PaymentEventQuantity.objects.filter(line_id__in=list(line_ids), event__event_type__name=REFUND_EVENT)
        .values("line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["line_id"]: row["total"] for row in rows}


@dataclass(frozen=True)
class LineShipment:
    """What of ``line`` travels: ``quantity`` units, as [(batch, units)]."""

    line: object
    quantity: int
    batches: tuple


def line_shipments(lines) -> list[LineShipment]:
    """Units to ship of each line (0 for a cancelled order) and the batches they come from."""
    lines = list(lines)
    ids = [line.pk for line in lines]
    refunded = refunded_units_by_line(line_ids=ids)
    allocations = defaultdict(list)
    for allocation in (LineAllocation.objects.filter(line_id__in=ids, released_at__isnull=True)
                       .select_related("batch__product", "batch__market_subject").order_by("pk")):
        allocations[allocation.line_id].append(allocation)
    shipments = []
    for line in lines:
        quantity = 0 if line.order.status == CANCELLED else max(line.quantity - refunded.get(line.pk, 0), 0)
        left, batches = quantity, []
        for allocation in allocations[line.pk]:
            take = min(left, allocation.quantity)
            if take > 0:
                batches.append((allocation.batch, take))
                left -= take
        shipments.append(LineShipment(line=line, quantity=quantity, batches=tuple(batches)))
    return shipments


def wave_shipments(*, wave) -> list[LineShipment]:
    return line_shipments(wave_lines(wave=wave))


def batch_units(shipments) -> list[tuple]:
    """[(batch, units)] over ``shipments``, by batch code."""
    totals, batches = defaultdict(int), {}
    for shipment in shipments:
        for batch, units in shipment.batches:
            totals[batch.pk] += units
            batches[batch.pk] = batch
    return sorted(((batches[pk], units) for pk, units in totals.items()), key=lambda item: item[0].code)


# -- pay at pickup ----------------------------------------------------------------

def pay_at_pickup_amounts_due(*, orders) -> dict:
    """{order id: yuan still to collect at the pickup point} for the orders paid
    at pickup that still owe something (the whole order, less refunds and what
    was already taken)."""
    orders = {order.pk: order for order in orders}
    sources = (Source.objects.filter(order_id__in=list(orders), source_type__code=PAY_AT_PICKUP_SOURCE_TYPE_CODE)
               .values("order_id").annotate(debited=Sum("amount_debited"), refunded=Sum("amount_refunded")))
    refunds = dict(
        PaymentEvent.objects.filter(order_id__in=list(orders), event_type__name=REFUND_EVENT)
        .values("order_id").annotate(total=Sum("amount")).values_list("order_id", "total")
    )
    due = {}
    for row in sources:
        order = orders[row["order_id"]]
        if order.status == CANCELLED:
            continue
        taken = (row["debited"] or Decimal("0.00")) - (row["refunded"] or Decimal("0.00"))
        amount = order.total_incl_tax - refunds.get(order.pk, Decimal("0.00")) - taken
        if amount > 0:
            due[order.pk] = amount
    return due


# -- manifest and packing list --------------------------------------------------------

@dataclass(frozen=True)
class ManifestLine:
    title: str
    sku: str
    quantity: int
    batch_codes: tuple[str, ...]


@dataclass(frozen=True)
class ManifestOrder:
    number: str
    status: str
    recipient_name: str  # masked
    recipient_phone: str  # masked
    item_count: int
    lines: tuple[ManifestLine, ...]
    amount_due: Decimal | None  # pay at pickup, still to collect; None when paid


def wave_manifest(*, wave) -> list[ManifestOrder]:
    """配送清单: per order of the wave, the recipient (masked), the cooperative's
    lines and units, and what the pickup point collects if paid at pickup."""
    orders = list(wave_orders(wave=wave))
    pickups = {pickup.order_id: pickup for pickup in OrderPickup.objects.filter(order_id__in=[o.pk for o in orders])}
    by_order = defaultdict(list)
    for shipment in wave_shipments(wave=wave):
        by_order[shipment.line.order_id].append(shipment)
    due = pay_at_pickup_amounts_due(orders=orders)
    manifest = []
    for order in orders:
        pickup = pickups.get(order.pk)
        lines = tuple(
            ManifestLine(title=s.line.title, sku=s.line.partner_sku, quantity=s.quantity,
                         batch_codes=tuple(batch.code for batch, _units in s.batches))
            for s in by_order[order.pk]
        )
        manifest.append(ManifestOrder(
            number=order.number, status=order.status,
            recipient_name=mask_name(pickup.recipient_name) if pickup else "",
            recipient_phone=mask_phone(pickup.recipient_phone) if pickup else "",
            item_count=sum(line.quantity for line in lines), lines=lines, amount_due=due.get(order.pk),
        ))
    return manifest


@dataclass(frozen=True)
class PackingRow:
    product_title: str
    batch_code: str  # "" for units with no batch
    quantity: int


def wave_packing_list(*, wave) -> list[PackingRow]:
    """拣货单: total units per product and batch, by product title then batch code."""
    totals = defaultdict(int)
    for shipment in wave_shipments(wave=wave):
        unbatched = shipment.quantity
        for batch, units in shipment.batches:
            totals[shipment.line.title, batch.code] += units
            unbatched -= units
        if unbatched > 0:
            totals[shipment.line.title, ""] += unbatched
    return [PackingRow(product_title=title, batch_code=code, quantity=quantity)
            for (title, code), quantity in sorted(totals.items())]


@dataclass(frozen=True)
class CandidateOrder:
    """An order waiting for ``partner``'s wave, as the create form lists it."""

    order: object
    recipient_name: str  # masked
    item_count: int  # the cooperative's units to ship
    titles: tuple[str, ...]


def candidate_orders(*, partner, service_point) -> list[CandidateOrder]:
    orders = list(orders_awaiting_wave(partner=partner, service_point=service_point))
    pickups = {pickup.order_id: pickup for pickup in OrderPickup.objects.filter(order_id__in=[o.pk for o in orders])}
    lines = Line.objects.filter(order__in=[o.pk for o in orders], partner=partner).select_related("order")
    by_order = defaultdict(list)
    for shipment in line_shipments(lines.order_by("order_id", "pk")):
        if shipment.quantity > 0:
            by_order[shipment.line.order_id].append(shipment)
    return [
        CandidateOrder(
            order=order, recipient_name=mask_name(pickups[order.pk].recipient_name),
            item_count=sum(s.quantity for s in by_order[order.pk]),
            titles=tuple(s.line.title for s in by_order[order.pk]),
        )
        for order in orders
    ]
