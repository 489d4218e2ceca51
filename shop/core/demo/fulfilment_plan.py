"""When the demo's delivery waves and hand-overs happen (no writes here):

- the orders placed on a day travel the next morning in one wave per
  cooperative and pickup point: packed from 07:10, shipped from 08:00 (once
  every cooperative has packed, so an order of two cooperatives is in both
  waves), received at the point from 13:00;
- the customer collects the order 1 to 60 hours after it is ready, before any
  refund of the order;
- the day's waves before today only: the last day's orders still await theirs;
  the walk-through's wave (``sales_plan.IN_TRANSIT``) was shipped yesterday
  afternoon for today and has not arrived.
"""
import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from oscar.core.loading import get_model

from . import harvest_data as data
from .harvest import _temperature, demo_plan, demo_products
from .sales_plan import IN_TRANSIT, WAVE_PACKING_HOUR

Line = get_model("order", "Line")
Partner = get_model("partner", "Partner")

SHIPPING_FROM = datetime.time(8, 0)
RECEIVING_FROM = datetime.time(13, 0)
HAND_OVER_HOURS = (1, 60)  # after the order is ready


@dataclass
class WavePlan:
    partner: object
    point: object
    delivery_date: datetime.date
    orders: list = field(default_factory=list)
    product_ids: set = field(default_factory=set)  # of the cooperative's lines
    packed_at: datetime.datetime | None = None
    shipped_at: datetime.datetime | None = None
    received_at: datetime.datetime | None = None  # None: still on its way
    wave: object = None  # the DeliveryWave, once written


class Context:
    """What every step needs: the time, who acts for each cooperative and point,
    the cold-chain season of each fresh product."""

    def __init__(self):
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(self.now)
        self.seasons = {}  # fresh product id -> Season
        for product, spec in demo_products():
            origin = product.origin
            if origin.is_fresh:
                self.seasons[product.pk] = data.season_for(brand_slug=origin.brand.slug, line_name=spec.line_name,
                                                           is_fresh=True)
        self.partner_users = {}
        for partner in Partner.objects.prefetch_related("users"):
            users = sorted(partner.users.all(), key=lambda user: user.pk)
            if users:
                self.partner_users[partner.pk] = users[0]
        self._staff = {}

    def cooperative_user(self, partner):
        return self.partner_users.get(partner.pk)

    def staff(self, point):
        """The point's first staff account, or None (most demo points have none)."""
        if point.pk not in self._staff:
            self._staff[point.pk] = point.staff.order_by("pk").first()
        return self._staff[point.pk]

    def temperatures(self, item, *, cold_chain, code):
        """(shipping, receiving) temperatures of a cold-chain wave, from its first
        fresh product's season; (None, None) otherwise."""
        season = next((self.seasons[pk] for pk in sorted(item.product_ids) if pk in self.seasons), None)
        if not cold_chain or season is None:
            return None, None
        rng = random.Random(f"temperatures-{code}")
        return _temperature(rng, season.cold[1]), _temperature(rng, season.cold[2])


def stages_of(orders) -> dict:
    """{order id: walk-through stage} of the orders today's plan staged (none if
    the history was seeded on another day)."""
    planned = {order.number: order for order in demo_plan().orders if order.stage}
    return {order.pk: planned[order.number].stage for order in orders
            if order.number in planned and order.date_placed == planned[order.number].placed_at}


def _at(day, time, tz):
    return datetime.datetime.combine(day, time, tzinfo=tz)


def _times(item, *, today, tz):
    rng = random.Random(f"wave-{item.delivery_date}-{item.point.code}-{item.partner.code}")
    if item.delivery_date == today:  # the walk-through's: shipped yesterday afternoon, arriving today
        day = today - datetime.timedelta(days=1)
        item.packed_at = _at(day, datetime.time(15, rng.randint(0, 40)), tz)
        item.shipped_at = _at(day, datetime.time(17, rng.randint(0, 40)), tz)
        return
    item.packed_at = _at(item.delivery_date, datetime.time(WAVE_PACKING_HOUR, rng.randint(10, 50)), tz)
    item.shipped_at = _at(item.delivery_date, SHIPPING_FROM, tz) + datetime.timedelta(minutes=rng.randint(0, 90))
    item.received_at = _at(item.delivery_date, RECEIVING_FROM, tz) + datetime.timedelta(minutes=rng.randint(0, 240))


def plan_waves(orders, *, stages, today, tz) -> dict:
    """{delivery date: [WavePlan]} for ``orders`` (awaiting shipment, oldest first)."""
    lines = defaultdict(lambda: defaultdict(set))  # order id -> partner id -> product ids
    for order_id, partner_id, product_id in (Line.objects.filter(order__in=[o.pk for o in orders])
                                             .values_list("order_id", "partner_id", "product_id")):
        if partner_id is not None:
            lines[order_id][partner_id].add(product_id)
    partners = Partner.objects.in_bulk({pk for by_partner in lines.values() for pk in by_partner})
    waves = {}
    for order in orders:
        delivery_date = timezone.localtime(order.date_placed, tz).date() + datetime.timedelta(days=1)
        if stages.get(order.pk) == IN_TRANSIT:
            delivery_date = today
        elif delivery_date >= today:
            continue  # the cooperatives have not packed today's waves yet
        point = order.pickup.service_point
        for partner_id, product_ids in sorted(lines[order.pk].items()):
            key = (delivery_date, point.code, partners[partner_id].code)
            if key not in waves:
                waves[key] = WavePlan(partner=partners[partner_id], point=point, delivery_date=delivery_date)
            waves[key].orders.append(order)
            waves[key].product_ids |= {pk for pk in product_ids if pk is not None}
    by_date = defaultdict(list)
    for key in sorted(waves):
        _times(waves[key], today=today, tz=tz)
        by_date[key[0]].append(waves[key])
    return dict(by_date)


def collected_at(*, order_id, ready_at, refund_at):
    """When the customer collects an order ready at ``ready_at``: before its
    first refund (``refund_at``, or None)."""
    rng = random.Random(f"hand-over-{order_id}")
    at = ready_at + datetime.timedelta(hours=rng.randint(*HAND_OVER_HOURS), minutes=rng.randint(0, 59))
    if refund_at is not None:
        at = min(at, refund_at - datetime.timedelta(minutes=rng.randint(30, 90)))
    return at
