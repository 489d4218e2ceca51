"""Seed what the cooperatives and the pickup points did with the demo's orders,
each step at its own time (``fulfilment_plan``): delivery waves packed, shipped
and received (待取货 with a pickup code; no notice goes out for the past), and
the orders handed over and paid at the point (已取货, the pay-at-pickup source
debited with what was due).

The last RECENT_DAYS, which the demo's screens show and act on, go through the
fulfilment services themselves (``wave_create``, ``wave_ship``,
``wave_receive``, ``pickup_hand_over`` with ``at``); the older history is
written in bulk with the same rows (``fulfilment_bulk``; a test compares both).
The rows Oscar writes at "now" inside the services (shipping, payment and
status events, payment transactions) and a wave's creation time are dated at
the step's time.

What is left for the demo: the last day's orders await their waves (the demo
cooperative's at the demo pickup point among them), the walk-through's wave is
on its way to that point, and the demo consumer's order waits there with its
code; orders whose collection time has not come wait at their points.
Cancelled orders never travel. Idempotent: once a demo order is in a wave,
nothing is added."""
import datetime

from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry
from shop.fulfilment.models import DeliveryWave, OrderPickup, WaveOrder
from shop.fulfilment.pickup import pickup_hand_over, wave_receive
from shop.fulfilment.statuses import AWAITING_SHIPMENT, READY_FOR_PICKUP
from shop.fulfilment.waves import wave_create, wave_ship

from . import fulfilment_bulk
from .fulfilment_plan import Context, collected_at, plan_waves, stages_of
from .harvest import history_orders
from .sales_plan import READY

ShippingEvent = get_model("order", "ShippingEvent")
PaymentEvent = get_model("order", "PaymentEvent")
OrderStatusChange = get_model("order", "OrderStatusChange")
Transaction = get_model("payment", "Transaction")

RECENT_DAYS = 7
# Oscar rows the services create at "now"; each has ``date_created``.
DATED_MODELS = (ShippingEvent, PaymentEvent, OrderStatusChange, Transaction)


class _Dating:
    """Dates the Oscar rows a service call created at the call's time."""

    def __init__(self):
        self.marks = {model: self._last(model) for model in DATED_MODELS}

    @staticmethod
    def _last(model):
        return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def date(self, at):
        for model in DATED_MODELS:
            last = self._last(model)
            if last > self.marks[model]:
                model.objects.filter(pk__gt=self.marks[model], pk__lte=last).update(date_created=at)
                self.marks[model] = last


def fulfilment_exists() -> bool:
    return WaveOrder.objects.filter(order__in=history_orders()).exists()


def _orders():
    return list(history_orders().filter(status=AWAITING_SHIPMENT, pickup__isnull=False)
                .select_related("pickup__service_point").order_by("date_placed", "pk"))


def _travel(ctx, dating, items):
    """One delivery date's waves through the services: every wave packed, then
    shipped, then received, each step in time order."""
    for item in sorted(items, key=lambda i: (i.packed_at, i.point.code, i.partner.code)):
        item.wave = wave_create(partner=item.partner, service_point=item.point, delivery_date=item.delivery_date,
                                user=ctx.cooperative_user(item.partner), orders=item.orders, at=item.packed_at)
        DeliveryWave.objects.filter(pk=item.wave.pk).update(created=item.packed_at)
        dating.date(item.packed_at)
    temperatures = {id(item): ctx.temperatures(item, cold_chain=item.wave.cold_chain, code=item.wave.code)
                    for item in items}
    for item in sorted(items, key=lambda i: (i.shipped_at, i.wave.code)):
        wave_ship(wave=item.wave, user=ctx.cooperative_user(item.partner), temperature=temperatures[id(item)][0],
                  at=item.shipped_at)
        dating.date(item.shipped_at)
    for item in sorted((i for i in items if i.received_at), key=lambda i: (i.received_at, i.wave.code)):
        wave_receive(wave=item.wave, user=ctx.staff(item.point), temperature=temperatures[id(item)][1],
                     at=item.received_at, notify_customers=False)
        dating.date(item.received_at)


def first_refunds(orders) -> dict:
    """{order id: when its first refund was made}."""
    refunds = {}
    for order_id, occurred_at in (LedgerEntry.objects.filter(line__order__in=orders, kind=LedgerEntry.Kind.REFUND)
                                  .order_by("occurred_at").values_list("line__order_id", "occurred_at")):
        refunds.setdefault(order_id, occurred_at)
    return refunds


def _hand_overs(ctx, dating, orders, *, stages) -> int:
    """Hand over, through the service, the orders ready at their point whose
    collection time has come (not the walk-through's order waiting there)."""
    refunds = first_refunds([order.pk for order in orders])
    pickups = (OrderPickup.objects.filter(order__in=[order.pk for order in orders], order__status=READY_FOR_PICKUP)
               .select_related("service_point").order_by("ready_at", "pk"))
    handed_over = 0
    for pickup in pickups:
        if stages.get(pickup.order_id) == READY:
            continue
        at = collected_at(order_id=pickup.order_id, ready_at=pickup.ready_at, refund_at=refunds.get(pickup.order_id))
        if at >= ctx.now:
            continue
        pickup_hand_over(pickup=pickup, service_point=pickup.service_point, code=pickup.pickup_code,
                         user=ctx.staff(pickup.service_point), payment_collected=True, at=at)
        dating.date(at)
        handed_over += 1
    return handed_over


def waves_to_seed() -> int:
    """How many waves ``seed_fulfilment`` writes (for its progress bar)."""
    if fulfilment_exists():
        return 0
    ctx = Context()
    orders = _orders()
    return sum(len(items) for items in plan_waves(orders, stages=stages_of(orders), today=ctx.today,
                                                   tz=ctx.tz).values())


def seed_fulfilment(progress=None, *, bulk_before=None) -> dict:
    """``bulk_before``: the first delivery date seeded through the services
    (default RECENT_DAYS ago)."""
    created = {"DeliveryWave": 0, "WaveOrder": 0, "已取货订单": 0}
    if fulfilment_exists():
        return created
    ctx = Context()
    bulk_before = bulk_before or ctx.today - datetime.timedelta(days=RECENT_DAYS)
    orders = _orders()
    stages = stages_of(orders)
    by_date = plan_waves(orders, stages=stages, today=ctx.today, tz=ctx.tz)
    older = [item for day in sorted(by_date) if day < bulk_before for item in by_date[day]]
    created["已取货订单"] += fulfilment_bulk.write(ctx, older, refunds=first_refunds([o.pk for o in orders]))
    if progress:
        progress.update(len(older))
    dating = _Dating()
    for day in sorted(day for day in by_date if day >= bulk_before):
        _travel(ctx, dating, by_date[day])
        if progress:
            progress.update(len(by_date[day]))
    created["已取货订单"] += _hand_overs(ctx, dating, orders, stages=stages)
    items = [item for items in by_date.values() for item in items]
    created["DeliveryWave"] = len(items)
    created["WaveOrder"] = sum(len(item.orders) for item in items)
    return created
