"""What a customer sees of an order's journey: the status steps, the pickup code
(while the order waits at the point), the tracking events and how it is paid.

Read-only; the order pages (checkout thank-you, account order detail) render it
through ``fulfilment_tags.order_tracking``. Nothing here reaches a household's
data; the pickup code is shown only on the customer's own pages.
"""
from dataclasses import dataclass, field
from decimal import Decimal

import segno
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from . import statuses
from .selectors import order_pickup_for_order

ShippingEvent = get_model("order", "ShippingEvent")

PICKUP_STEPS = (
    (statuses.AWAITING_SHIPMENT, _("已下单")),
    (statuses.IN_TRANSIT, _("配送中")),
    (statuses.READY_FOR_PICKUP, _("待取货")),
    (statuses.COLLECTED, _("已取货")),
)
DELIVERY_STEPS = (
    (statuses.AWAITING_SHIPMENT, _("已下单")),
    (statuses.IN_TRANSIT, _("配送中")),
    (statuses.DELIVERED, _("已送达")),
)
# Statuses that end the journey off the happy path: shown instead of the steps.
OFF_PATH = {
    statuses.CANCELLED: _("订单已取消"),
    statuses.RETURNED: _("逾期未取货，商品已退回"),
    statuses.PAYMENT_HELD: _("付款金额待核实，客服核实后为您安排发货"),
    statuses.PRESALE_BALANCE_DUE: _("预售订单：定金已付，请在尾款支付期内支付尾款"),
    statuses.PRESALE_AWAITING_HARVEST: _("预售订单：已付清，合作社确认采收后安排发货"),
}


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current" or "todo"


@dataclass(frozen=True)
class TrackingEvent:
    name: str
    at: object
    notes: str


@dataclass(frozen=True)
class SourceSummary:
    label: str
    allocated: Decimal
    debited: Decimal
    refunded: Decimal
    currency: str

    @property
    def is_paid(self):
        return self.debited >= self.allocated

    @property
    def due(self):
        return max(self.allocated - self.debited, Decimal("0.00"))


@dataclass
class OrderTracking:
    status: str
    steps: list = field(default_factory=list)
    notice: str = ""
    pickup: object = None
    pickup_code: str = ""
    pickup_qr_svg: str = ""
    events: list = field(default_factory=list)
    sources: list = field(default_factory=list)

    @property
    def amount_due(self):
        return sum((source.due for source in self.sources), Decimal("0.00"))


def _steps(order, *, is_pickup):
    path = PICKUP_STEPS if is_pickup else DELIVERY_STEPS
    codes = [code for code, _label in path]
    if order.status not in codes:
        return []
    reached = codes.index(order.status)
    final = order.status in statuses.FINAL_STATUSES
    steps = []
    for index, (_code, label) in enumerate(path):
        if index < reached or (index == reached and final):
            state = "done"
        elif index == reached:
            state = "current"
        else:
            state = "todo"
        steps.append(Step(label=str(label), state=state))
    return steps


def _code_qr(code):
    from .notify import hand_over_url

    qr = segno.make(hand_over_url(code), error="m")
    return mark_safe(qr.svg_inline(scale=4, border=2, svgclass="xp-pickup-qr"))  # noqa: S308 - segno's own SVG


def order_events(*, order):
    events = ShippingEvent.objects.filter(order=order).select_related("event_type").order_by("date_created", "pk")
    return [TrackingEvent(name=event.event_type.name, at=event.date_created, notes=event.notes) for event in events]


def order_sources(*, order):
    return [
        SourceSummary(label=source.label or source.source_type.name, allocated=source.amount_allocated,
                      debited=source.amount_debited, refunded=source.amount_refunded, currency=source.currency)
        for source in order.sources.select_related("source_type").order_by("pk")
    ]


def order_tracking(*, order):
    pickup = order_pickup_for_order(order=order)
    tracking = OrderTracking(
        status=order.status,
        steps=_steps(order, is_pickup=pickup is not None),
        notice=str(OFF_PATH.get(order.status, "")),
        pickup=pickup,
        events=order_events(order=order),
        sources=order_sources(order=order),
    )
    if order.status in (statuses.RETURNED, statuses.CANCELLED) and any(s.refunded for s in tracking.sources):
        tracking.notice = str(_("%(notice)s，货款已原路退还") % {"notice": tracking.notice})
    waiting = pickup is not None and order.status == statuses.READY_FOR_PICKUP and pickup.collected_at is None
    if waiting and pickup.pickup_code:
        tracking.pickup_code = pickup.pickup_code
        tracking.pickup_qr_svg = _code_qr(pickup.pickup_code)
    return tracking
