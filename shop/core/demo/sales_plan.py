"""The demo's sales history as a plan, without a database: when each product's
batches were harvested and how big they are, and the orders placed over the
last 18 months (dates, customers, pickup points, lines, refunds and
cancellations). Both demo stages (batches, then orders) compute the same plan
from the same inputs, so the batches are sized for the orders that follow.

Rules that keep the history plausible and the ledger meaningful:

- A product sells only once a batch is harvested; a fresh product only while
  its batch keeps (``Season.shelf_days``), so every order of a fresh product
  is allocated (first harvested, first sold) to a batch harvested days before
  it, never to last year's fruit or to a batch harvested later.
- A fresh batch of an earlier season is exactly sold out; the current
  season's batch has stock left for new orders. Processed products (tea, rice,
  dried goods) keep: their batches are bigger than what sold, and what is left
  sells on.
- Orders with a fresh batch line are never cancelled (a cancellation gives
  the units back to the batch), only partly refunded.
- About one product in seven has no batch at all: its sales are unattributed.
- Orders follow a growing trend (about 30 % a year) with the campaign peaks of
  年货节, 扶贫日 (17 October) and 双11.
- A cancellation comes before the next morning's delivery wave packs the
  order (``shop.core.demo.fulfilment``); a refund after the order was collected.
- A few recent orders at the demo pickup point are staged for the fulfilment
  walk-through (``OrderPlan.stage``): orders of the demo cooperative still
  awaiting a wave, a wave on its way, and one of the demo consumer's orders
  ready for pickup.
"""
import datetime
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from . import harvest_data as data
from .points_data import URBAN_POINTS

NUMBER_BASE = 800000  # demo order numbers: 800001… (the checkout's are 100000 + basket id)
DEFAULT_ORDERS = 520
MONTHS = 18
BATCHLESS_SHARE = 0.10
CONSUMER_SHARE = 0.07
MIN_PAST_FRESH_BATCH = 3
CANCEL_SHARE = 0.03
REFUND_SHARE = 0.025
NO_BATCH_CAP = 15  # units of a batch-less product sold at most (its stock is at least 20)
SHOWCASE_SUBJECT = "mx-yanyang-jinyou"  # the demo cooperative account's subject
SHOWCASE_POINT = "gz-th-liede"  # the demo pickup staff account's point
# Waves pack the orders of the day before at this hour (shop.core.demo.fulfilment);
# a cancellation comes before it.
WAVE_PACKING_HOUR = 7

# OrderPlan.stage of the fulfilment walk-through's orders.
AWAITING_WAVE = "awaiting_wave"  # 待发货: the cooperative packs them into a wave in the demo
IN_TRANSIT = "in_transit"  # in a shipped wave the pickup staff receive in the demo
READY = "ready"  # 待取货: the demo consumer's order, handed over in the demo
# (stage, days before today, time placed, the demo consumer's?)
FULFILMENT_SHOWCASE = (
    (READY, 2, (20, 14, 37), True),
    (IN_TRANSIT, 2, (10, 5, 12), False),
    (IN_TRANSIT, 2, (14, 31, 48), False),
    (AWAITING_WAVE, 1, (9, 12, 40), False),
    (AWAITING_WAVE, 1, (12, 47, 5), False),
    (AWAITING_WAVE, 1, (16, 23, 51), False),
)


@dataclass(frozen=True)
class ProductInfo:
    sku: str
    title: str
    price: Decimal
    is_fresh: bool
    brand_slug: str
    line_name: str
    subject_code: str
    # Whether any member household of its market subject consented to an alias.
    subject_has_alias: bool = False

    @property
    def season(self) -> data.Season:
        return data.season_for(brand_slug=self.brand_slug, line_name=self.line_name, is_fresh=self.is_fresh)


@dataclass
class BatchPlan:
    sku: str
    index: int
    harvested_on: datetime.date
    sells_from: datetime.date
    sells_until: datetime.date | None  # None: until sold out (processed products)
    is_fresh: bool
    is_current: bool = False
    demand: int = 0
    quantity: int = 0
    prefer_alias: bool = False

    def sells_on(self, day):
        return self.sells_from <= day and (self.sells_until is None or day <= self.sells_until)


@dataclass
class LinePlan:
    sku: str
    quantity: int
    batch: BatchPlan | None  # the batch the plan sells it from; None: the product has none


@dataclass
class RefundPlan:
    line_index: int
    units: int  # 0: an amount-only refund
    share: Decimal  # of the line's amount, for amount-only refunds
    at: datetime.datetime
    reason: str


@dataclass
class OrderPlan:
    placed_at: datetime.datetime
    email: str
    is_consumer: bool
    recipient_name: str
    recipient_phone: str
    point_code: str
    lines: list = field(default_factory=list)
    number: str = ""
    cancelled_at: datetime.datetime | None = None
    refund: RefundPlan | None = None
    is_showcase: bool = False
    stage: str = ""  # one of the fulfilment walk-through's stages, or ""


@dataclass
class SalesPlan:
    batches: dict  # sku -> [BatchPlan]
    orders: list  # [OrderPlan], oldest first
    start: datetime.date


@dataclass(frozen=True)
class Guest:
    email: str
    name: str
    phone: str
    point_code: str
    weight: float


POINTS = {row[0]: row for row in URBAN_POINTS}  # code -> (code, kind, name, district, ..., cold)
COLD_POINTS = [row[0] for row in URBAN_POINTS if row[7]]


def order_count(products: int) -> int:
    """About 520 orders for the default 220 products, fewer for a small demo."""
    return max(24, min(DEFAULT_ORDERS, round(DEFAULT_ORDERS * products / 220)))


def _months_back(day: datetime.date, months: int) -> datetime.date:
    month_index = day.year * 12 + day.month - 1 - months
    return datetime.date(month_index // 12, month_index % 12 + 1, 1)


def _occurrences(season, start, last_day):
    """(first, last) harvest dates of each season window between ``start`` and ``last_day``."""
    found = []
    for year in range(start.year - 1, last_day.year + 1):
        for (m1, d1), (m2, d2) in season.windows:
            first = datetime.date(year, m1, d1)
            last = datetime.date(year if (m2, d2) >= (m1, d1) else year + 1, m2, d2)
            last = min(last, last_day)
            if last >= first and last >= start:
                found.append((first, last))
    return sorted(found, reverse=True)


def _harvest_dates(product, rng, start, today):
    """1–3 harvest dates, oldest first. Fresh products: the most recent seasons
    (a fresh batch sells only while it keeps). Processed products: the last
    season before the history starts (so they sell from the first day), then
    the seasons after it."""
    season = product.season
    wanted = rng.choices([1, 2, 3], weights=[25, 45, 30])[0]
    last_day = today - datetime.timedelta(days=1)
    if not product.is_fresh:
        windows = sorted(_occurrences(season, start - datetime.timedelta(days=400), last_day))
        before = [w for w in windows if w[0] <= start]
        windows = (before[-1:] + [w for w in windows if w[0] > start])[:wanted]
        return [first + datetime.timedelta(days=rng.randint(0, (last - first).days)) for first, last in windows]
    dates = []
    for first, last in _occurrences(season, start - datetime.timedelta(days=season.shelf_days), last_day):
        span = (last - first).days
        per_window = 2 if span > 3 * season.shelf_days else 1
        for _ in range(per_window):
            if len(dates) == wanted:
                break
            day = first + datetime.timedelta(days=rng.randint(0, span))
            if all(abs((day - other).days) > season.shelf_days for other in dates):
                dates.append(day)
        if len(dates) == wanted:
            break
    return sorted(dates)


def _batch_plans(product, dates, today):
    season = product.season
    lead = 1 if product.is_fresh else 2
    plans = []
    for index, harvested_on in enumerate(dates):
        sells_from = harvested_on + datetime.timedelta(days=lead)
        if product.is_fresh:
            until = harvested_on + datetime.timedelta(days=season.shelf_days)
            if index + 1 < len(dates):
                until = min(until, dates[index + 1])  # the next harvest takes over
        else:
            until = dates[index + 1] + datetime.timedelta(days=lead - 1) if index + 1 < len(dates) else None
        plans.append(BatchPlan(sku=product.sku, index=index, harvested_on=harvested_on, sells_from=sells_from,
                               sells_until=until, is_fresh=product.is_fresh))
    for plan in plans:
        plan.is_current = plan.sells_on(today) or (not product.is_fresh and plan.sells_until is None)
    return plans


def _day_weights(start, today):
    days, weights = [], []
    day = start
    while day < today:
        _name, boost = data.festival(day)
        trend = 1 + 0.3 * (day - start).days / 365
        weekend = 1.15 if day.weekday() >= 5 else 1.0
        days.append(day)
        weights.append(trend * weekend * boost)
        day += datetime.timedelta(days=1)
    return days, weights


def _spread(days, weights, count, rng):
    """``count`` order days in proportion to the days' weights (systematic
    sampling: the months and campaign peaks show without sampling noise)."""
    total = sum(weights)
    step = total / count
    offset = rng.random() * step
    picked, cumulative, index = [], 0.0, 0
    for day, weight in zip(days, weights):
        cumulative += weight
        while index < count and offset + index * step < cumulative:
            picked.append(day)
            index += 1
    return picked


HOUR_WEIGHTS = [1, 0.5, 0.2, 0.1, 0.1, 0.2, 0.6, 1.5, 2.5, 3, 3, 3.5, 4.5, 4, 3, 2.8, 3, 3.5, 4, 5, 6.5, 7, 5.5, 3]


def _placed_at(rng, day, tz):
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return datetime.datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59), tzinfo=tz)


def guests(count: int) -> list[Guest]:
    rng = random.Random("demo-guests")
    pool, seen = [], set()
    while len(pool) < count:
        surname, surname_pinyin = rng.choice(data.GUEST_SURNAMES)
        given, given_pinyin = rng.choice(data.GUEST_GIVEN)
        if rng.random() < 0.5:
            handle = f"{surname_pinyin}.{given_pinyin}"
        else:
            handle = f"{given_pinyin}{surname_pinyin}{rng.randint(1, 99)}"
        if handle in seen:
            continue
        seen.add(handle)
        serial = len(pool) + 11
        pool.append(Guest(
            email=f"{handle}@{rng.choice(data.GUEST_DOMAINS)}", name=surname + given,
            phone=f"{data.CUSTOMER_PHONE_PREFIX}{serial:04d}", point_code=rng.choice(URBAN_POINTS)[0],
            weight=rng.choice([1, 1, 1, 1, 2, 2, 3, 5]),
        ))
    return pool


def _point_for(point_code, needs_cold, rng):
    """The customer's point, or for fresh products one with cold storage in the same
    district (else the same city)."""
    if not needs_cold or POINTS[point_code][7]:
        return point_code
    district, city = POINTS[point_code][3], point_code[:2]
    nearby = [code for code in COLD_POINTS if POINTS[code][3] == district]
    return rng.choice(nearby or [code for code in COLD_POINTS if code[:2] == city] or COLD_POINTS)


class _Catalogue:
    """What can be sold on a day: products with a batch selling then, and batch-less ones."""

    def __init__(self, products, batches):
        self.products = products
        self.batches = batches
        # Cheaper everyday items sell more often than ¥200 gift tins.
        self.popularity = {
            p.sku: math.exp(random.Random(f"pop-{p.sku}").gauss(0, 0.8)) * (50 / float(p.price)) ** 0.9
            for p in products
        }
        self.no_batch_sold = defaultdict(int)
        self.prices = {p.sku: p.price for p in products}

    def choices(self, day, campaign):
        skus, weights, batch_of = [], [], {}
        for product in self.products:
            plans = self.batches.get(product.sku)
            weight = self.popularity[product.sku]
            if plans:
                selling = [plan for plan in plans if plan.sells_on(day)]
                if not selling:
                    continue
                batch_of[product.sku] = selling[-1]
                if product.is_fresh:
                    # 当季鲜果: in season, on the home page; the shorter the season, the bigger the rush.
                    weight *= 8 * min(6.0, max(1.0, 24 / product.season.shelf_days))
            else:
                if self.no_batch_sold[product.sku] >= NO_BATCH_CAP - 3:
                    continue
                weight *= 0.4
                batch_of[product.sku] = None
            if campaign == "年货节" and "礼盒" in product.title:
                weight *= 3
            skus.append(product.sku)
            weights.append(weight)
        return skus, weights, batch_of


def _lines(rng, catalogue, day, campaign):
    skus, weights, batch_of = catalogue.choices(day, campaign)
    if not skus:
        return []
    count = min(len(skus), rng.choices([1, 2, 3], weights=[60, 29, 11])[0])
    picked = []
    while len(picked) < count:
        sku = rng.choices(skus, weights=weights)[0]
        if sku not in picked:
            picked.append(sku)
    lines = []
    for sku in picked:
        quantity = rng.choices([1, 2, 3], weights=[68, 24, 8])[0] if catalogue.prices[sku] < 90 else 1
        if batch_of[sku] is None:
            quantity = min(quantity, NO_BATCH_CAP - catalogue.no_batch_sold[sku])
            catalogue.no_batch_sold[sku] += quantity
        lines.append(LinePlan(sku=sku, quantity=quantity, batch=batch_of[sku]))
    return lines


def _drop_small_past_fresh_batches(plan):
    """A past fresh batch that sold only a few units in the store is left out
    (a trial lot nobody registered). Its sales stay, unattributed, where no
    later batch of the product exists (the oldest batch with units left would
    otherwise take them); else they go too: the product was not on sale then."""
    demand = defaultdict(int)
    for order in plan.orders:
        for line in order.lines:
            if line.batch is not None:
                demand[id(line.batch)] += line.quantity
    dropped = {id(batch) for plans in plan.batches.values() for batch in plans
               if batch.is_fresh and not batch.is_current and demand[id(batch)] < MIN_PAST_FRESH_BATCH}
    if not dropped:
        return
    for sku in list(plan.batches):
        plan.batches[sku] = [batch for batch in plan.batches[sku] if id(batch) not in dropped]
        for index, batch in enumerate(plan.batches[sku]):
            batch.index = index
        if not plan.batches[sku]:
            del plan.batches[sku]
    for order in plan.orders:
        kept = []
        for line in order.lines:
            if line.batch is not None and id(line.batch) in dropped:
                later = [b for b in plan.batches.get(line.sku, ()) if b.harvested_on >= line.batch.harvested_on]
                if later:
                    continue
                line.batch = None
            kept.append(line)
        order.lines = kept
    plan.orders = [order for order in plan.orders if order.lines]


def _showcase(plan, products, consumer_point, today, tz):
    """The demo consumer's latest order: yesterday evening, a product of the demo
    cooperative (else any) selling from a batch whose households include some with
    a consented alias, so "buy → order page → trace page" shows them."""
    day = today - datetime.timedelta(days=1)
    at = datetime.datetime(day.year, day.month, day.day, 19, 36, 12, tzinfo=tz)

    def rank(product):
        return (product.subject_code != SHOWCASE_SUBJECT, not product.is_fresh, product.sku)

    for product in sorted((p for p in products if p.subject_has_alias), key=rank):
        selling = [batch for batch in plan.batches.get(product.sku, ()) if batch.sells_on(day)]
        if selling:
            for batch in plan.batches[product.sku]:
                batch.prefer_alias = True
            point = _point_for(consumer_point, product.is_fresh, random.Random("showcase"))
            return OrderPlan(placed_at=at, email=data.CONSUMER_EMAIL, is_consumer=True,
                             recipient_name=data.CONSUMER_RECIPIENT[0], recipient_phone=data.CONSUMER_RECIPIENT[1],
                             point_code=point, lines=[LinePlan(product.sku, 1, selling[-1])], is_showcase=True)
    return None


def _fulfilment_showcase(plan, products, pool, today, tz):
    """The orders of the fulfilment walk-through (``FULFILMENT_SHOWCASE``) at the
    demo pickup point, of the demo cooperative's products selling then (else of
    the first market subject with products selling then), one line each."""
    days = sorted({today - datetime.timedelta(days=back) for _stage, back, _time, _consumer in FULFILMENT_SHOWCASE})

    def selling(product, day):
        return [batch for batch in plan.batches.get(product.sku, ()) if batch.sells_on(day)]

    candidates = [product for product in products if all(selling(product, day) for day in days)]
    if not candidates:
        return []
    subject = min(candidates, key=lambda p: (p.subject_code != SHOWCASE_SUBJECT, p.sku)).subject_code
    candidates = [product for product in candidates if product.subject_code == subject]
    rng = random.Random(f"fulfilment-showcase-{today}")
    orders = []
    for index, (stage, back, (hour, minute, second), is_consumer) in enumerate(FULFILMENT_SHOWCASE):
        day = today - datetime.timedelta(days=back)
        product = candidates[index % len(candidates)]
        if is_consumer:
            email, (name, phone) = data.CONSUMER_EMAIL, data.CONSUMER_RECIPIENT
        else:
            guest = pool[1 + index % (len(pool) - 1)]
            email, name, phone = guest.email, guest.name, guest.phone
        quantity = rng.choice([1, 1, 2]) if product.price < 90 else 1
        orders.append(OrderPlan(
            placed_at=datetime.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz), email=email,
            is_consumer=is_consumer, recipient_name=name, recipient_phone=phone, point_code=SHOWCASE_POINT,
            lines=[LinePlan(product.sku, quantity, selling(product, day)[-1])], stage=stage,
        ))
    return orders


def _cancellable(order):
    return (not order.is_showcase and not order.stage
            and not any(line.batch is not None and line.batch.is_fresh for line in order.lines))


def _cancel_at(order, rng, cutoff):
    """A few hours after the order, and before the next morning's wave packs it."""
    at = order.placed_at + datetime.timedelta(hours=rng.randint(2, 20))
    next_day = order.placed_at.date() + datetime.timedelta(days=1)
    packing = datetime.datetime(next_day.year, next_day.month, next_day.day, WAVE_PACKING_HOUR,
                                tzinfo=order.placed_at.tzinfo)
    at = min(at, packing - datetime.timedelta(minutes=10 + order.placed_at.minute))
    return at if at < cutoff else None


def _refund_for(order, rng, cutoff):
    at = order.placed_at + datetime.timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 8))
    if order.is_showcase or order.stage or at >= cutoff:
        return None
    index = rng.randrange(len(order.lines))
    units = 1 if order.lines[index].quantity > 1 and rng.random() < 0.5 else 0
    share = Decimal(rng.choice(["0.20", "0.25", "0.30", "0.35"]))
    return RefundPlan(index, units, share, at, rng.choice(data.REFUND_REASONS))


def _aftercare(plan, rng, cutoff):
    """A few cancellations (before dispatch) and partial refunds (after pickup),
    at least one of each."""
    for order in plan.orders:
        roll = rng.random()
        if roll < CANCEL_SHARE and _cancellable(order):
            order.cancelled_at = _cancel_at(order, rng, cutoff)
        elif CANCEL_SHARE <= roll < CANCEL_SHARE + REFUND_SHARE:
            order.refund = _refund_for(order, rng, cutoff)
    untouched = [order for order in plan.orders if not order.cancelled_at and not order.refund]
    if not any(order.cancelled_at for order in plan.orders):
        for order in untouched:
            if _cancellable(order) and _cancel_at(order, rng, cutoff):
                order.cancelled_at = _cancel_at(order, rng, cutoff)
                break
    if not any(order.refund for order in plan.orders):
        for order in reversed(untouched):
            if not order.cancelled_at and _refund_for(order, rng, cutoff):
                order.refund = _refund_for(order, rng, cutoff)
                break


def _size_batches(plan, products_by_sku, rng):
    for order in plan.orders:
        for line in order.lines:
            if line.batch is not None:
                line.batch.demand += line.quantity
    for sku, plans in plan.batches.items():
        product = products_by_sku[sku]
        for batch in plans:
            if product.is_fresh:
                left = rng.randint(15, 60) if product.season.shelf_days <= 10 else rng.randint(40, 180)
                batch.quantity = batch.demand + (left if batch.is_current else 0)
            else:
                typical = rng.randint(80, 360) if product.price < 100 else rng.randint(40, 160)
                batch.quantity = max(typical, batch.demand + rng.randint(5, 30))


def sales_plan(products: list[ProductInfo], *, today: datetime.date, tz, orders: int) -> SalesPlan:
    """The plan for ``products`` as of ``today`` (in time zone ``tz``): orders until
    yesterday evening, so the plan is the same all day long."""
    start = _months_back(today, MONTHS - 1)
    products = sorted(products, key=lambda p: p.sku)
    products_by_sku = {p.sku: p for p in products}
    batches = {}
    for product in products:
        rng = random.Random(f"batches-{product.sku}")
        if rng.random() < BATCHLESS_SHARE and product.subject_code != SHOWCASE_SUBJECT:
            continue
        dates = _harvest_dates(product, rng, start, today)
        if dates:
            batches[product.sku] = _batch_plans(product, dates, today)
    plan = SalesPlan(batches=batches, orders=[], start=start)

    rng = random.Random(f"orders-{start}-{orders}")
    days, weights = _day_weights(start, today)
    pool = guests(max(12, min(160, orders // 3)))
    guest_weights = [guest.weight for guest in pool]
    catalogue = _Catalogue(products, batches)
    for day in _spread(days, weights, orders, rng):
        campaign, _boost = data.festival(day)
        lines = _lines(rng, catalogue, day, campaign)
        if not lines:
            continue
        needs_cold = any(products_by_sku[line.sku].is_fresh for line in lines)
        if rng.random() < CONSUMER_SHARE:
            point = rng.choice(data.CONSUMER_POINTS)
            email, (name, phone), is_consumer = data.CONSUMER_EMAIL, data.CONSUMER_RECIPIENT, True
        else:
            guest = rng.choices(pool, weights=guest_weights)[0]
            point, email, name, phone, is_consumer = guest.point_code, guest.email, guest.name, guest.phone, False
        plan.orders.append(OrderPlan(
            placed_at=_placed_at(rng, day, tz), email=email, is_consumer=is_consumer, recipient_name=name,
            recipient_phone=phone, point_code=_point_for(point, needs_cold, rng), lines=lines,
        ))
    _drop_small_past_fresh_batches(plan)
    showcase = _showcase(plan, products, data.CONSUMER_POINTS[0], today, tz)
    if showcase is not None:
        for order in plan.orders:
            if order.is_consumer and order.placed_at >= showcase.placed_at:
                guest = pool[0]
                order.email, order.is_consumer = guest.email, False
                order.recipient_name, order.recipient_phone = guest.name, guest.phone
        plan.orders.append(showcase)
    plan.orders += _fulfilment_showcase(plan, products, pool, today, tz)
    plan.orders.sort(key=lambda order: order.placed_at)
    for serial, order in enumerate(plan.orders, start=1):
        order.number = str(NUMBER_BASE + serial)
    _aftercare(plan, rng, datetime.datetime(today.year, today.month, today.day, tzinfo=tz))
    _size_batches(plan, products_by_sku, random.Random(f"sizes-{start}"))
    return plan
