"""The older part of the demo's fulfilment history in a few bulk writes: the rows
``wave_create``, ``wave_ship``, ``wave_receive`` (and its ``order_ready_for_pickup``)
and ``pickup_hand_over`` write for each wave and hand-over, in the same order
(``fulfilment._travel``), at the planned times. The services take some eighty
queries an order; this takes a few dozen in all. tests/demo/test_demo_fulfilment
checks that both ways write the same rows.

What is reused from the services: the units each line ships and the batches
they come from (``line_shipments``, ``batch_units``), the event types, what is
due at the point (``pay_at_pickup_amounts_due``), the pickup code generator."""
from collections import defaultdict

from django.db import connection
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from shop.checkout.payment_methods import PAY_AT_PICKUP_SOURCE_TYPE_CODE
from shop.checkout.placement import PAID_EVENT
from shop.fulfilment.models import DeliveryWave, OrderPickup, WaveOrder
from shop.fulfilment.pickup import ARRIVED_EVENT, COLLECTED_EVENT, pickup_code_generate
from shop.fulfilment.selectors import fresh_product_ids
from shop.fulfilment.statuses import AWAITING_SHIPMENT, COLLECTED, IN_TRANSIT, READY_FOR_PICKUP
from shop.fulfilment.wave_selectors import batch_units, line_shipments, pay_at_pickup_amounts_due
from shop.fulfilment.waves import CODE_MAX_LENGTH, PACKED_EVENT, SHIPPED_EVENT, shipping_event_type
from shop.harvest.models import TraceEvent

from .fulfilment_plan import collected_at

Line = get_model("order", "Line")
Order = get_model("order", "Order")
OrderStatusChange = get_model("order", "OrderStatusChange")
ShippingEvent = get_model("order", "ShippingEvent")
ShippingEventQuantity = get_model("order", "ShippingEventQuantity")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")
PaymentEventQuantity = get_model("order", "PaymentEventQuantity")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")

Step, Disposition, Recorder = TraceEvent.BusinessStep, TraceEvent.Disposition, TraceEvent.Recorder
BATCH = 500


class _Rows:
    """Everything to write, collected in the services' order."""

    def __init__(self):
        self.waves, self.wave_orders, self.traces = [], [], []
        self.shipping = []  # (ShippingEvent, [(line, quantity)])
        self.payments = []  # (PaymentEvent, [(line, quantity)])
        self.changes, self.transactions = [], []
        self.status = {}  # order id -> status now
        self.pickups = {}  # order id -> OrderPickup, changed
        self.sources = {}  # order id -> pay-at-pickup Source, changed

    def shipping_events(self, *, event_type, shipments, reference, at):
        """One event per order, on its shipped units (``shipping_events_record``)."""
        by_order = {}
        for shipment in shipments:
            by_order.setdefault(shipment.line.order_id, []).append((shipment.line, shipment.quantity))
        for order_id, quantities in by_order.items():
            event = ShippingEvent(order_id=order_id, event_type=event_type, notes=reference, date_created=at)
            self.shipping.append((event, quantities))

    def trace_events(self, shipments, *, step, disposition, at, recorder, user, note, values, point=None,
                     temperature=None):
        """One event per batch the units come from (``trace_event_record``)."""
        for batch, units in batch_units(shipments):
            self.traces.append(TraceEvent(
                batch=batch, event_type=TraceEvent.EventType.OBJECT, business_step=step, disposition=disposition,
                occurred_at=at, place=point.name if point else batch.market_subject.name, service_point=point,
                temperature=temperature, recorder=recorder, recorded_by=user,
                note=(note % dict(values, units=units)).strip(),
            ))

    def status_change(self, order_id, new_status, at):
        self.changes.append(OrderStatusChange(order_id=order_id, old_status=self.status[order_id],
                                              new_status=new_status, date_created=at))
        self.status[order_id] = new_status


class _History:
    def __init__(self, ctx, items, refunds):
        self.ctx, self.items, self.refunds = ctx, items, refunds
        self.rows = _Rows()
        order_ids = sorted({order.pk for item in items for order in item.orders})
        self.orders = {order.pk: order for item in items for order in item.orders}
        self.rows.status = {pk: AWAITING_SHIPMENT for pk in order_ids}
        lines = (Line.objects.filter(order_id__in=order_ids).select_related("order", "product")
                 .order_by("order_id", "pk"))
        self.shipments = defaultdict(list)  # order id -> its lines' shipments with units, by line
        for shipment in line_shipments(lines):
            if shipment.quantity > 0:
                self.shipments[shipment.line.order_id].append(shipment)
        self.fresh = fresh_product_ids(product_ids={s.line.product_id for ss in self.shipments.values() for s in ss
                                                    if s.line.product_id})
        self.partners = {pk: {s.line.partner_id for s in ss if s.line.partner_id is not None}
                         for pk, ss in self.shipments.items()}
        self.received = defaultdict(set)  # order id -> partners whose wave was received
        self.pickups = {p.order_id: p for p in OrderPickup.objects.filter(order_id__in=order_ids)}
        self.numbers = defaultdict(int)  # (point id, delivery date) -> waves so far
        for point_id, day in DeliveryWave.objects.filter(
                delivery_date__in={item.delivery_date for item in items}).values_list("service_point_id",
                                                                                      "delivery_date"):
            self.numbers[point_id, day] += 1
        self.open_codes = defaultdict(set)
        for point_id, code in OrderPickup.objects.filter(
                service_point__in={item.point.pk for item in items}, collected_at__isnull=True,
                returned_at__isnull=True).exclude(pickup_code="").values_list("service_point_id", "pickup_code"):
            self.open_codes[point_id].add(code)
        self.types = {event: shipping_event_type(event)
                      for event in (PACKED_EVENT, SHIPPED_EVENT, ARRIVED_EVENT, COLLECTED_EVENT)}

    def wave_shipments(self, item):
        return [s for order in item.orders for s in self.shipments[order.pk] if s.line.partner_id == item.partner.pk]

    # -- wave_create, wave_ship, wave_receive --------------------------------------------

    def create(self, item):
        shipments = self.wave_shipments(item)
        self.numbers[item.point.pk, item.delivery_date] += 1
        prefix = f"W{item.delivery_date:%Y%m%d}-{item.point.code}"
        suffix = f"-{self.numbers[item.point.pk, item.delivery_date]}"
        user = self.ctx.cooperative_user(item.partner)
        item.wave = DeliveryWave(
            code=prefix[:CODE_MAX_LENGTH - len(suffix)] + suffix, partner=item.partner, service_point=item.point,
            delivery_date=item.delivery_date, status=DeliveryWave.Status.PLANNED,
            cold_chain=bool(self.fresh & {s.line.product_id for s in shipments}), created=item.packed_at,
            created_by=user,
        )
        self.rows.waves.append(item.wave)
        self.rows.wave_orders += [WaveOrder(wave=item.wave, order_id=order.pk, partner=item.partner)
                                  for order in item.orders]
        self.rows.shipping_events(event_type=self.types[PACKED_EVENT], shipments=shipments, reference=item.wave.code,
                                  at=item.packed_at)
        self.rows.trace_events(shipments, step=Step.PACKING, disposition=Disposition.IN_PROGRESS, at=item.packed_at,
                               recorder=Recorder.COOPERATIVE, user=user,
                               note=_("配送波次 %(code)s 分拣包装，发往%(point)s：%(units)d 件"),
                               values={"code": item.wave.code, "point": item.point.name})

    def ship(self, item, temperature):
        shipments = self.wave_shipments(item)
        for order in sorted(item.orders, key=lambda o: o.pk):
            if self.rows.status[order.pk] == AWAITING_SHIPMENT:
                self.rows.status_change(order.pk, IN_TRANSIT, item.shipped_at)
        self.rows.shipping_events(event_type=self.types[SHIPPED_EVENT], shipments=shipments,
                                  reference=item.wave.code, at=item.shipped_at)
        user = self.ctx.cooperative_user(item.partner)
        self.rows.trace_events(shipments, step=Step.SHIPPING, disposition=Disposition.IN_TRANSIT, at=item.shipped_at,
                               recorder=Recorder.COOPERATIVE, user=user, temperature=temperature,
                               note=_("配送波次 %(code)s 发往%(point)s：%(units)d 件"),
                               values={"code": item.wave.code, "point": item.point.name})
        item.wave.status = DeliveryWave.Status.SHIPPED
        item.wave.shipped_at, item.wave.shipped_by = item.shipped_at, user

    def receive(self, item, temperature):
        shipments = self.wave_shipments(item)
        staff = self.ctx.staff(item.point)
        self.rows.shipping_events(event_type=self.types[ARRIVED_EVENT], shipments=shipments,
                                  reference=item.wave.code, at=item.received_at)
        self.rows.trace_events(shipments, step=Step.RECEIVING, disposition=Disposition.SELLABLE, at=item.received_at,
                               recorder=Recorder.PICKUP_POINT, user=staff, point=item.point, temperature=temperature,
                               note=_("配送波次 %(code)s 到达%(point)s：%(units)d 件"),
                               values={"code": item.wave.code, "point": item.point.name})
        item.wave.status = DeliveryWave.Status.RECEIVED
        item.wave.received_at, item.wave.received_by = item.received_at, staff
        for order in sorted(item.orders, key=lambda o: o.pk):
            self.received[order.pk].add(item.partner.pk)
            complete = self.partners[order.pk] and self.partners[order.pk] <= self.received[order.pk]
            if self.rows.status[order.pk] == IN_TRANSIT and complete:
                self.ready(order, item.received_at)

    def ready(self, order, at):
        pickup = self.pickups[order.pk]
        code = pickup_code_generate()
        while code in self.open_codes[pickup.service_point_id]:
            code = pickup_code_generate()
        self.open_codes[pickup.service_point_id].add(code)
        pickup.pickup_code, pickup.ready_at = code, at
        self.rows.pickups[order.pk] = pickup
        self.rows.status_change(order.pk, READY_FOR_PICKUP, at)

    # -- pickup_hand_over -------------------------------------------------------------

    def hand_overs(self) -> int:
        ready = sorted((p for pk, p in self.rows.pickups.items() if self.rows.status[pk] == READY_FOR_PICKUP),
                       key=lambda p: (p.ready_at, p.pk))
        due = pay_at_pickup_amounts_due(orders=[self.orders[p.order_id] for p in ready])
        sources = {}
        for source in (Source.objects.filter(order_id__in=[p.order_id for p in ready],
                                             source_type__code=PAY_AT_PICKUP_SOURCE_TYPE_CODE).order_by("-pk")):
            sources[source.order_id] = source  # the first by pk wins
        paid_type, _created = PaymentEventType.objects.get_or_create(name=PAID_EVENT)
        points = {item.point.pk: item.point for item in self.items}
        handed_over = 0
        for pickup in ready:
            at = collected_at(order_id=pickup.order_id, ready_at=pickup.ready_at,
                              refund_at=self.refunds.get(pickup.order_id))
            if at >= self.ctx.now:
                continue
            point = points[pickup.service_point_id]
            staff = self.ctx.staff(point)
            shipments = self.shipments[pickup.order_id]
            amount = due.get(pickup.order_id)
            if amount:
                source = sources[pickup.order_id]
                reference = _("自提点收款：%(point)s") % {"point": point.code}
                source.amount_debited += amount
                self.rows.sources[pickup.order_id] = source
                self.rows.transactions.append(Transaction(source=source, txn_type=Transaction.DEBIT, amount=amount,
                                                          reference=reference, status="", date_created=at))
                event = PaymentEvent(order_id=pickup.order_id, event_type=paid_type, amount=amount,
                                     reference=reference, date_created=at)
                self.rows.payments.append((event, [(s.line, s.quantity) for s in shipments]))
            self.rows.status_change(pickup.order_id, COLLECTED, at)
            pickup.collected_at, pickup.collected_by = at, staff
            self.open_codes[point.pk].discard(pickup.pickup_code)
            self.rows.shipping_events(event_type=self.types[COLLECTED_EVENT], shipments=shipments,
                                      reference=point.name, at=at)
            self.rows.trace_events(shipments, step=Step.RETAIL_SELLING, disposition=Disposition.COMPLETED, at=at,
                                   recorder=Recorder.PICKUP_POINT, user=staff, point=point,
                                   note=_("订单 %(number)s 在%(point)s交付顾客：%(units)d 件"),
                                   values={"number": self.orders[pickup.order_id].number, "point": point.name})
            handed_over += 1
        return handed_over


def _columns_update(model, objects, fields):
    """Write ``fields`` of saved ``objects`` in one executemany (bulk_update's
    CASE expressions take a second per thousand rows)."""
    if not objects:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk
    sql = (f"UPDATE {quote(model._meta.db_table)} SET "
           + ", ".join(f"{quote(column.column)} = %s" for column in columns)
           + f" WHERE {quote(pk.column)} = %s")
    rows = [[column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
            + [pk.get_db_prep_value(obj.pk, connection)] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _dated_create(model, objects, field="date_created"):
    """bulk_create sets auto_now_add fields to now: put the planned dates back."""
    dates = [getattr(obj, field) for obj in objects]
    model.objects.bulk_create(objects, batch_size=BATCH)
    for obj, value in zip(objects, dates):
        setattr(obj, field, value)
    _columns_update(model, objects, [field])


def _save(rows):
    _dated_create(DeliveryWave, rows.waves, "created")
    WaveOrder.objects.bulk_create(rows.wave_orders, batch_size=BATCH)
    _dated_create(ShippingEvent, [event for event, _quantities in rows.shipping])
    ShippingEventQuantity.objects.bulk_create(
        [ShippingEventQuantity(event=event, line=line, quantity=quantity)
         for event, quantities in rows.shipping for line, quantity in quantities], batch_size=BATCH)
    TraceEvent.objects.bulk_create(rows.traces, batch_size=BATCH)
    _dated_create(OrderStatusChange, rows.changes)
    by_status = defaultdict(list)
    for order_id, status in rows.status.items():
        by_status[status].append(order_id)
    for status, order_ids in by_status.items():
        Order.objects.filter(pk__in=order_ids).update(status=status)
    _columns_update(OrderPickup, list(rows.pickups.values()),
                    ["pickup_code", "ready_at", "collected_at", "collected_by"])
    _columns_update(Source, list(rows.sources.values()), ["amount_debited"])
    _dated_create(Transaction, rows.transactions)
    _dated_create(PaymentEvent, [event for event, _quantities in rows.payments])
    PaymentEventQuantity.objects.bulk_create(
        [PaymentEventQuantity(event=event, line=line, quantity=quantity)
         for event, quantities in rows.payments for line, quantity in quantities], batch_size=BATCH)


def write(ctx, items, *, refunds) -> int:
    """Write ``items`` (WavePlans, all received, oldest delivery date first) and
    the hand-overs whose time has come; returns how many orders were handed over."""
    if not items:
        return 0
    history = _History(ctx, items, refunds)
    by_date = defaultdict(list)
    for item in items:
        by_date[item.delivery_date].append(item)
    for day in sorted(by_date):
        day_items = by_date[day]
        for item in sorted(day_items, key=lambda i: (i.packed_at, i.point.code, i.partner.code)):
            history.create(item)
        temperatures = {id(item): ctx.temperatures(item, cold_chain=item.wave.cold_chain, code=item.wave.code)
                        for item in day_items}
        for item in sorted(day_items, key=lambda i: (i.shipped_at, i.wave.code)):
            history.ship(item, temperatures[id(item)][0])
        for item in sorted(day_items, key=lambda i: (i.received_at, i.wave.code)):
            history.receive(item, temperatures[id(item)][1])
    handed_over = history.hand_overs()
    _save(history.rows)
    return handed_over
