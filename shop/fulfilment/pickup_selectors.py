"""Read side of the pickup point: which points a user staffs, the waves coming to
them, the orders waiting there (recipient masked, no address, no e-mail), what
a pickup code opens, what is still to collect at hand-over, and which orders
the sweep reminds or returns. Writes are in ``pickup``."""
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Sum
from django.utils import timezone
from oscar.core.loading import get_model

from shop.checkout.payment_methods import PAY_AT_PICKUP_SOURCE_TYPE_CODE
from shop.core.masking import mask_name, mask_phone
from shop.regions.models import ServicePoint

from .models import DeliveryWave, OrderPickup, WaveOrder
from .statuses import READY_FOR_PICKUP, RETURNED
from .wave_selectors import line_shipments, pay_at_pickup_amounts_due, refunded_units_by_line

Line = get_model("order", "Line")
Source = get_model("payment", "Source")
PaymentEvent = get_model("order", "PaymentEvent")

CODE_PATTERN = re.compile(r"^\d{6}$")
# The reason (and payment event reference) of the refund of an uncollected order.
RETURN_REASON = "逾期未取货退回"
ZERO = Decimal("0.00")


def code_normalise(code) -> str:
    """What staff typed or a scanner read -> the 6 digits ('123 456' -> '123456')."""
    return re.sub(r"[\s\-]", "", str(code or ""))


def code_is_well_formed(code) -> bool:
    return bool(CODE_PATTERN.match(code or ""))


# -- who works where -------------------------------------------------------------

def points_for_user(user):
    """The pickup points ``user`` works at: staff any urban point, pickup staff
    the points that list them (``ServicePoint.staff``), anyone else none."""
    if user.is_staff:
        return ServicePoint.objects.filter(kind__in=ServicePoint.URBAN_KINDS).order_by("name", "pk")
    return ServicePoint.objects.filter(staff=user).order_by("name", "pk")


# -- waves coming to the point ----------------------------------------------------

def waves_at(points):
    return (
        DeliveryWave.objects.filter(service_point__in=points)
        .select_related("partner", "service_point", "received_by")
        .annotate(order_count=Count("wave_orders"))
    )


def incoming_waves(points):
    """Shipped and not yet received, earliest delivery first."""
    return waves_at(points).filter(status=DeliveryWave.Status.SHIPPED).order_by("delivery_date", "pk")


def received_waves(points, *, limit=30):
    return waves_at(points).filter(status=DeliveryWave.Status.RECEIVED).order_by("-received_at", "-pk")[:limit]


# -- an order's lines and money -----------------------------------------------------

@dataclass(frozen=True)
class HandOverLine:
    title: str
    quantity: int


def _lines_left(lines):
    """[(line, units left after refunds)] for ``lines``."""
    lines = list(lines)
    refunded = refunded_units_by_line(line_ids=[line.pk for line in lines])
    return [(line, line.quantity - refunded.get(line.pk, 0)) for line in lines]


def order_lines_to_hand_over(*, order) -> list[HandOverLine]:
    """The order's lines (every cooperative's: the whole order is handed over)
    with the units left after refunds."""
    return [HandOverLine(title=line.title, quantity=units)
            for line, units in _lines_left(Line.objects.filter(order=order).order_by("pk")) if units > 0]


def order_amount_due(*, order) -> Decimal:
    """Yuan to collect at the point (a pay-at-pickup order not yet paid); 0.00 when paid."""
    return pay_at_pickup_amounts_due(orders=[order]).get(order.pk, ZERO)


def pay_at_pickup_source(*, order):
    return Source.objects.filter(order=order, source_type__code=PAY_AT_PICKUP_SOURCE_TYPE_CODE).order_by("pk").first()


def order_amount_taken(*, order) -> Decimal:
    """Money actually received for the order and not refunded (online or at the point)."""
    totals = Source.objects.filter(order=order).aggregate(debited=Sum("amount_debited"),
                                                          refunded=Sum("amount_refunded"))
    return (totals["debited"] or ZERO) - (totals["refunded"] or ZERO)


def order_return_refund_amount(*, order) -> Decimal:
    """What the return of ``order`` gives back: the money still held plus what
    the return's refund already sent back (the same before and after it)."""
    from shop.payments.refunds import REFUND_EVENT

    refunded = PaymentEvent.objects.filter(order=order, event_type__name=REFUND_EVENT,
                                           reference=RETURN_REASON).aggregate(total=Sum("amount"))["total"]
    return order_amount_taken(order=order) + (refunded or ZERO)


def pickup_return_date(*, pickup):
    """The last day to collect before the order is returned."""
    if pickup.ready_at is None:
        return None
    return timezone.localdate(pickup.ready_at) + datetime.timedelta(days=settings.XIANGPIN_PICKUP_RETURN_DAYS)


def order_waves_complete(*, order) -> bool:
    """Whether every cooperative with units left in ``order`` has delivered them
    in a received wave (an order of two cooperatives waits for both)."""
    lines = Line.objects.filter(order=order).select_related("order").order_by("pk")
    partners = {shipment.line.partner_id for shipment in line_shipments(lines)
                if shipment.quantity > 0 and shipment.line.partner_id is not None}
    if not partners:
        return False
    received = set(WaveOrder.objects.filter(order=order, wave__status=DeliveryWave.Status.RECEIVED)
                   .values_list("partner_id", flat=True))
    return partners <= received


# -- orders waiting at the point ------------------------------------------------------

@dataclass(frozen=True)
class WaitingOrder:
    """An order waiting at a pickup point, as its staff see it: no code, no
    address, no e-mail, the recipient masked."""

    number: str
    point_name: str
    recipient_name: str  # masked
    recipient_phone: str  # masked
    lines: tuple[HandOverLine, ...]
    amount_due: Decimal  # 0.00 when paid
    ready_at: datetime.datetime
    days_waiting: int
    reminded: bool


def _lines_by_order(order_ids):
    by_order = defaultdict(list)
    for line, units in _lines_left(Line.objects.filter(order_id__in=order_ids).order_by("order_id", "pk")):
        if units > 0:
            by_order[line.order_id].append(HandOverLine(title=line.title, quantity=units))
    return by_order


def waiting_pickups(points):
    return (
        OrderPickup.objects.filter(service_point__in=points, order__status=READY_FOR_PICKUP,
                                   collected_at__isnull=True, returned_at__isnull=True)
        .select_related("order", "service_point")
        .order_by("ready_at", "pk")
    )


def orders_waiting(points, *, now=None) -> list[WaitingOrder]:
    today = timezone.localdate(now or timezone.now())
    pickups = list(waiting_pickups(points))
    orders = [pickup.order for pickup in pickups]
    lines = _lines_by_order([order.pk for order in orders])
    due = pay_at_pickup_amounts_due(orders=orders)
    return [
        WaitingOrder(
            number=pickup.order.number, point_name=pickup.service_point.name,
            recipient_name=mask_name(pickup.recipient_name), recipient_phone=mask_phone(pickup.recipient_phone),
            lines=tuple(lines[pickup.order_id]), amount_due=due.get(pickup.order_id, ZERO),
            ready_at=pickup.ready_at, days_waiting=(today - timezone.localdate(pickup.ready_at)).days,
            reminded=pickup.reminder_sent_at is not None,
        )
        for pickup in pickups
    ]


def pickup_at_points(points, *, number):
    """The pickup record of order ``number`` if it is collected at one of ``points``."""
    return (OrderPickup.objects.filter(service_point__in=points, order__number=number)
            .select_related("order", "service_point", "collected_by").first())


# -- hand-over ---------------------------------------------------------------------------

def open_pickup_for_code(*, service_point, code):
    """The order waiting at ``service_point`` under ``code``, or None."""
    code = code_normalise(code)
    if not code_is_well_formed(code):
        return None
    return (OrderPickup.objects.filter(service_point=service_point, pickup_code=code, order__status=READY_FOR_PICKUP,
                                       collected_at__isnull=True, returned_at__isnull=True)
            .select_related("order", "service_point").first())


def code_is_open(*, service_point, code) -> bool:
    """Whether ``code`` already opens an order at ``service_point`` (the partial
    unique constraint's condition)."""
    return OrderPickup.objects.filter(service_point=service_point, pickup_code=code, collected_at__isnull=True,
                                      returned_at__isnull=True).exists()


def collected_pickup_for_code(*, service_point, code):
    """The latest order already handed over at ``service_point`` under ``code``."""
    return (OrderPickup.objects.filter(service_point=service_point, pickup_code=code_normalise(code),
                                       collected_at__isnull=False)
            .select_related("order").order_by("-collected_at").first())


@dataclass(frozen=True)
class HandOverSummary:
    number: str
    status: str
    point_name: str
    recipient_name: str  # masked
    recipient_phone: str  # masked
    lines: tuple[HandOverLine, ...]
    amount_due: Decimal  # 0.00 when paid
    ready_at: datetime.datetime | None


def hand_over_summary(pickup) -> HandOverSummary:
    order = pickup.order
    return HandOverSummary(
        number=order.number, status=order.status, point_name=pickup.service_point.name,
        recipient_name=mask_name(pickup.recipient_name), recipient_phone=mask_phone(pickup.recipient_phone),
        lines=tuple(order_lines_to_hand_over(order=order)), amount_due=order_amount_due(order=order),
        ready_at=pickup.ready_at,
    )


# -- the sweep ---------------------------------------------------------------------------

def _cutoff(now, days):
    return now - datetime.timedelta(days=days)


def pickups_due_return(*, now):
    """Waiting longer than ``XIANGPIN_PICKUP_RETURN_DAYS``."""
    return waiting_pickups(ServicePoint.objects.all()).filter(
        ready_at__lte=_cutoff(now, settings.XIANGPIN_PICKUP_RETURN_DAYS))


def pickups_due_reminder(*, now):
    """Waiting longer than ``XIANGPIN_PICKUP_REMINDER_DAYS`` and not reminded yet."""
    return waiting_pickups(ServicePoint.objects.all()).filter(
        ready_at__lte=_cutoff(now, settings.XIANGPIN_PICKUP_REMINDER_DAYS), reminder_sent_at__isnull=True)


def returns_awaiting_refund():
    """Returned orders whose money has not gone back yet (a refund that failed)."""
    return (
        OrderPickup.objects.filter(returned_at__isnull=False, order__status=RETURNED,
                                   order__sources__amount_debited__gt=F("order__sources__amount_refunded"))
        .select_related("order").distinct().order_by("returned_at", "pk")
    )
