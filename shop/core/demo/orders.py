"""Seed the demo's order history (about 520 orders over the last 18 months)
the way the checkout writes an order: a basket, Oscar's ``OrderCreator`` with
the pickup point's delivery method and address, the ``OrderPickup``, the
pay-at-pickup source, and ``order_attribute`` at the order's own date (so the
ledger's months are the orders' months). A few orders are partly refunded
(``line_refund``) or cancelled (``order_cancel_attribution``, then Oscar's
status change), each at its own date.

The orders follow the demo's sales plan (``sales_plan``), and each line is
checked against the real stock and batches before it is placed: a line never
takes more than the stock left, and never units of a batch harvested after the
order (or, for fresh products, past its keeping time), so the history stays
true even if the batches were seeded on another day. Idempotent: once the
history exists (order 800001), nothing is added."""
import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from oscar.core.loading import get_class, get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.attribution.services import line_refund, order_attribute, order_cancel_attribution
from shop.attribution.split import money
from shop.checkout.payment_methods import pay_at_pickup_source_build
from shop.checkout.session import shipping_address_for_pickup
from shop.fulfilment.models import OrderPickup
from shop.fulfilment.services import order_pickup_create
from shop.fulfilment.shipping import CommunityPickup, LockerPickup
from shop.fulfilment.statuses import CANCELLED, initial_order_status
from shop.harvest.models import HarvestBatch
from shop.regions.models import ServicePoint

from . import harvest_data as data
from .harvest import demo_plan, demo_products, history_exists

Basket = get_model("basket", "Basket")
BasketLine = get_model("basket", "Line")
OrderNote = get_model("order", "OrderNote")
OrderStatusChange = get_model("order", "OrderStatusChange")
OrderCreator = get_class("order.utils", "OrderCreator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
Selector = get_class("partner.strategy", "Selector")

METHODS = {ServicePoint.Kind.COMMUNITY_PICKUP: CommunityPickup(), ServicePoint.Kind.LOCKER: LockerPickup()}


@dataclass
class _Batch:
    pk: int
    harvested_on: datetime.date
    remaining: int


class _State:
    """Stock and batch units left, as the next order will find them."""

    def __init__(self, products):
        self.products = {product.upc: product for product, _spec in products}
        self.specs = {product.upc: spec for product, spec in products}
        self.stock = {}
        for product, _spec in products:
            record = product.stockrecords.all()[0]
            self.stock[product.upc] = record.num_in_stock - (record.num_allocated or 0)
        self.batches = defaultdict(list)
        passed = HarvestBatch.objects.filter(product__in=[p for p, _ in products],
                                             inspection_result=HarvestBatch.Inspection.PASSED)
        for batch in passed.order_by("product_id", "harvested_on", "pk"):
            remaining = batch.quantity - batch.quantity_allocated
            self.batches[batch.product_id].append(_Batch(batch.pk, batch.harvested_on, remaining))

    def take(self, sku, quantity, day):
        """How many of ``quantity`` units the line may have, and the batch units it takes."""
        product = self.products[sku]
        origin = product.origin
        shelf = data.season_for(brand_slug=origin.brand.slug, line_name=self.specs[sku].line_name,
                                is_fresh=origin.is_fresh).shelf_days
        quantity = min(quantity, self.stock[sku])
        taken, need, blocked = [], quantity, False
        for batch in self.batches[product.pk]:
            if need == 0:
                break
            if batch.remaining == 0:
                continue
            stale = origin.is_fresh and day > batch.harvested_on + datetime.timedelta(days=shelf)
            if batch.harvested_on >= day or stale:
                blocked = True  # first harvested, first sold would take these units
                break
            units = min(need, batch.remaining)
            taken.append((batch, units))
            need -= units
        if blocked:
            quantity -= need
        return quantity, taken

    def apply(self, sku, quantity, taken, sign=1):
        self.stock[sku] -= sign * quantity
        for batch, units in taken:
            batch.remaining -= sign * units


def _place(plan_order, *, state, strategy, consumer, points):
    day = plan_order.placed_at.date()
    lines, takes = [], []
    for line in plan_order.lines:
        quantity, taken = state.take(line.sku, line.quantity, day)
        if quantity > 0:
            lines.append((line.sku, quantity))
            takes.append((line.sku, quantity, taken))
    if not lines:
        return None, []
    point = points[plan_order.point_code]
    user = consumer if plan_order.is_consumer else None
    basket = Basket.objects.create(owner=user)
    basket.strategy = strategy
    for sku, quantity in lines:
        basket.add_product(state.products[sku], quantity)
    method = METHODS[point.kind]
    shipping_charge = method.calculate(basket)
    total = OrderTotalCalculator().calculate(basket, shipping_charge)
    address = shipping_address_for_pickup(service_point=point, recipient_name=plan_order.recipient_name)
    address.save()
    extra = {} if user else {"guest_email": plan_order.email}
    order = OrderCreator().place_order(
        basket=basket, total=total, shipping_method=method, shipping_charge=shipping_charge, user=user,
        shipping_address=address, order_number=plan_order.number, status=initial_order_status(),
        date_placed=plan_order.placed_at, **extra,
    )
    order_pickup_create(order=order, service_point=point, recipient_name=plan_order.recipient_name,
                        recipient_phone=plan_order.recipient_phone)
    order_attribute(order=order, occurred_at=plan_order.placed_at)
    source = pay_at_pickup_source_build(total=total)
    source.order = order
    source.save()
    basket.submit()
    opened = plan_order.placed_at - datetime.timedelta(minutes=6)
    Basket.objects.filter(pk=basket.pk).update(date_created=opened, date_submitted=plan_order.placed_at)
    BasketLine.objects.filter(basket=basket).update(date_created=opened)
    OrderPickup.objects.filter(order=order).update(created=plan_order.placed_at)
    LineAllocation.objects.filter(line__order=order).update(created=plan_order.placed_at)
    for sku, quantity, taken in takes:
        state.apply(sku, quantity, taken)
    return order, takes


def _note(order, message, at, note_type="售后"):
    note = OrderNote.objects.create(order=order, note_type=note_type, message=message)
    OrderNote.objects.filter(pk=note.pk).update(date_created=at, date_updated=at)


def _cancel(order, at, *, state, takes):
    """Reverse the attribution at the cancellation's date, then change Oscar's
    status (its receiver finds nothing left to reverse) and date the change."""
    order_cancel_attribution(order=order, occurred_at=at)
    order.set_status(CANCELLED)
    OrderStatusChange.objects.filter(order=order, new_status=CANCELLED).update(date_created=at)
    _note(order, "顾客在发货前取消订单，货款未收取，商品退回批次与库存。", at, note_type="取消")
    for sku, quantity, taken in takes:
        state.apply(sku, quantity, taken, sign=-1)


def _refund(order, refund):
    lines = list(order.lines.order_by("pk"))
    line = lines[min(refund.line_index, len(lines) - 1)]
    if refund.units and line.quantity > refund.units:
        entries = line_refund(line=line, quantity=refund.units, occurred_at=refund.at)
        amount = -sum((entry.sales_amount for entry in entries), Decimal("0"))
        message = f"{refund.reason}：退 {refund.units} 件，退款 ¥{amount}。"
    else:
        amount = money(line.line_price_incl_tax * refund.share)
        line_refund(line=line, quantity=0, amount=amount, occurred_at=refund.at)
        message = f"{refund.reason}：退款 ¥{amount}。"
    _note(order, f"{line.title}：{message}", refund.at)


def seed_orders(progress=None) -> dict:
    created = {"Order": 0, "LedgerEntry": 0}
    if history_exists():
        return created
    products = demo_products()
    plan = demo_plan(products)
    consumer = get_user_model().objects.get(username=data.CONSUMER_EMAIL)
    points = {p.code: p for p in ServicePoint.objects.filter(code__in={o.point_code for o in plan.orders})
              .select_related("county__city")}
    state = _State(products)
    strategy = Selector().strategy()
    entries_before = LedgerEntry.objects.count()
    for plan_order in plan.orders:
        order, takes = _place(plan_order, state=state, strategy=strategy, consumer=consumer, points=points)
        if order is not None:
            created["Order"] += 1
            if plan_order.cancelled_at:
                _cancel(order, plan_order.cancelled_at, state=state, takes=takes)
            elif plan_order.refund:
                _refund(order, plan_order.refund)
        if progress:
            progress.update(1)
    created["LedgerEntry"] = LedgerEntry.objects.count() - entries_before
    return created
