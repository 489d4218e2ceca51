"""Seed harvest batches (批次) through ``batch_create`` (so stock, codes and the
commissioning and inspection events are what the cooperatives' own screens
produce), each with its households' contributions, and the batch's
circulation events through ``trace_event_record``: packing at the market
subject, storing and shipping from the county e-commerce centre (with
cold-chain temperatures for fresh products), receiving at a Guangzhou or
Shenzhen pickup point.

The batches follow the demo's sales plan (``sales_plan``), so the orders seeded
next find a batch harvested days before them. Idempotent: a product that has
batches gets none, and once the demo's order history exists nothing is added."""
import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from oscar.core.loading import get_model

from shop.harvest.models import HarvestBatch, IncomeRule, TraceEvent
from shop.harvest.services import ContributionInput, batch_create, trace_event_record
from shop.producers.models import Membership
from shop.regions.models import ServicePoint

from . import harvest_data as data
from .catalogue_specs import all_product_specs
from .points_data import URBAN_POINTS
from .sales_plan import NUMBER_BASE, ProductInfo, order_count, sales_plan

Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")

Step, Disposition, Recorder = TraceEvent.BusinessStep, TraceEvent.Disposition, TraceEvent.Recorder

# Share of households on a purchase-price contract, by market-subject kind
# (the others share the sales amount).
PURCHASE_PRICE_SHARE = {"cooperative": 0.7, "leading_enterprise": 0.55, "entrepreneur_leader": 0.4}

_plans = {}


def demo_products() -> list:
    """The demo's products (those the catalogue seeder made), with their origin."""
    specs = {spec.sku: spec for spec in all_product_specs()}
    products = (
        Product.objects.filter(upc__in=specs, origin__isnull=False)
        .select_related("origin__brand", "origin__market_subject__partner", "origin__county__city",
                        "origin__village__township__county__city")
        .prefetch_related("stockrecords")
        .order_by("upc")
    )
    return [(product, specs[product.upc]) for product in products]


def _subjects_with_alias() -> set:
    return set(
        Membership.objects.filter(household__alias_consent=True)
        .values_list("market_subject__partner__code", flat=True).distinct()
    )


def product_infos(products) -> list[ProductInfo]:
    with_alias = _subjects_with_alias()
    infos = []
    for product, spec in products:
        origin = product.origin
        stockrecord = product.stockrecords.all()[0]
        code = origin.market_subject.partner.code
        infos.append(ProductInfo(
            sku=product.upc, title=product.title, price=stockrecord.price, is_fresh=origin.is_fresh,
            brand_slug=origin.brand.slug, line_name=spec.line_name, subject_code=code,
            subject_has_alias=code in with_alias,
        ))
    return infos


def demo_plan(products=None):
    """Today's sales plan for the demo's products (computed once per day and catalogue)."""
    products = demo_products() if products is None else products
    infos = product_infos(products)
    today = timezone.localdate()
    key = (today, tuple(infos))
    if key not in _plans:
        _plans.clear()
        _plans[key] = sales_plan(infos, today=today, tz=timezone.get_current_timezone(),
                                 orders=order_count(len(infos)))
    return _plans[key]


def history_orders():
    """The demo's order history (numbers 800001…)."""
    return Order.objects.filter(number__regex=rf"^{str(NUMBER_BASE)[0]}[0-9]{{5}}$")


def history_exists() -> bool:
    """Whether the demo's order history has been written (then the plan is history too)."""
    return history_orders().exists()


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.10"), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def _split(total: int, parts: int, rng) -> list[int]:
    """``total`` units in ``parts`` integer parts of at least 1, unevenly."""
    weights = [rng.uniform(0.6, 2.4) for _ in range(parts)]
    spare = total - parts
    shares = [int(spare * w / sum(weights)) for w in weights]
    for index in range(spare - sum(shares)):
        shares[index % parts] += 1
    return [1 + share for share in shares]


def _contributions(rng, *, batch_plan, quantity, members, subject, price, season):
    if not members:
        return []
    count = min(rng.randint(2, 8), len(members), quantity)
    if batch_plan.prefer_alias:
        consented = [m for m in members if m.alias_consent]
        others = [m for m in members if not m.alias_consent]
        rng.shuffle(consented)
        rng.shuffle(others)
        chosen = (consented[:max(2, count - 2)] + others)[:count]
        chosen += [m for m in consented if m not in chosen][:count - len(chosen)]
    else:
        chosen = rng.sample(members, count)
    supplied = max(count, min(quantity, round(quantity * rng.uniform(0.75, 1.0))))
    batch_price = _money(price * season.farm_gate * Decimal(str(round(rng.uniform(0.92, 1.08), 3))))
    rows = []
    for household, units in zip(chosen, _split(supplied, count, rng)):
        contract = random.Random(f"contract-{household.registration_number}-{subject.partner.code}")
        if contract.random() < PURCHASE_PRICE_SHARE.get(subject.kind, 0.6):
            rows.append(ContributionInput(household=household, quantity=Decimal(units),
                                          income_rule=IncomeRule.PURCHASE_PRICE, purchase_price=batch_price))
        else:
            rows.append(ContributionInput(household=household, quantity=Decimal(units),
                                          income_rule=IncomeRule.SALES_SHARE,
                                          sales_share=contract.choice(data.SALES_SHARES)))
    return rows


def _temperature(rng, bounds) -> Decimal:
    low, high = bounds
    return (low + (high - low) * Decimal(str(round(rng.random(), 3)))).quantize(Decimal("0.1"))


def _at(day, hour, minute, tz):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


class _Context:
    def __init__(self):
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.members = defaultdict(list)
        memberships = Membership.objects.select_related("household__village__township__county").order_by(
            "household__registration_number")
        for membership in memberships:
            self.members[membership.market_subject_id].append(membership.household)
        codes = [row[0] for row in URBAN_POINTS]
        points = (ServicePoint.objects.filter(is_active=True, code__in=codes).select_related("county__city")
                  .prefetch_related("staff"))
        self.urban = sorted(points, key=lambda p: codes.index(p.code))
        self.centres = {p.county_id: p for p in ServicePoint.objects.filter(kind=ServicePoint.Kind.COUNTY_CENTRE)}
        self.users = {}
        Partner = get_model("partner", "Partner")
        for partner in Partner.objects.prefetch_related("users"):
            users = list(partner.users.all())
            if users:
                self.users[partner.pk] = users[0]
        self.point_staff = {}
        for point in self.urban:
            staff = list(point.staff.all())
            if staff:
                self.point_staff[point.pk] = staff[0]

    def receiving_point(self, rng, *, fresh, city=None):
        pool = [p for p in self.urban
                if (p.has_cold_storage or not fresh) and (city is None or p.county.city.code == city)]
        return rng.choice(pool or self.urban)


@dataclass(frozen=True)
class _Event:
    step: str
    disposition: str
    at: datetime.datetime
    recorder: str
    place: str = ""
    point: object = None  # regions.ServicePoint
    temperature: Decimal | None = None
    note: str = ""


def _circulation(ctx, rng, *, batch, product, season, user):
    """Packing → storing → shipping → receiving (and a second delivery, to the
    other city, for a big batch). Events still in the future are left out."""
    origin = product.origin
    subject = origin.market_subject
    fresh = origin.is_fresh
    centre = ctx.centres.get(origin.county_id)
    centre_place = centre.name if centre else f"{origin.county.name}电子商务公共服务中心"
    packing_place = data.PACKING_PLACE[subject.kind].format(subject=subject.name)
    harvested = batch.harvested_on
    day = datetime.timedelta(days=1)
    point = ctx.receiving_point(rng, fresh=fresh)
    tz = ctx.tz
    if fresh:
        storing_temp, shipping_temp, receiving_temp = (_temperature(rng, bounds) for bounds in season.cold)
        events = [
            _Event(Step.PACKING, Disposition.IN_PROGRESS, _at(harvested, 15, 30, tz), Recorder.COOPERATIVE,
                   place=packing_place, note=data.PACKING_NOTE_FRESH),
            _Event(Step.STORING, Disposition.IN_PROGRESS, _at(harvested, 18, 10, tz), Recorder.WAREHOUSE,
                   place=f"{centre_place}冷库", point=centre, temperature=storing_temp, note=data.STORING_NOTE_FRESH),
            _Event(Step.SHIPPING, Disposition.IN_TRANSIT, _at(harvested + day, 5, 40, tz), Recorder.WAREHOUSE,
                   place=centre_place, point=centre, temperature=shipping_temp,
                   note=data.SHIPPING_NOTE_FRESH.format(city=point.county.city.name)),
            _Event(Step.RECEIVING, Disposition.SELLABLE, _at(harvested + day, 13, 20, tz), Recorder.PICKUP_POINT,
                   point=point, temperature=receiving_temp, note=data.RECEIVING_NOTE_FRESH),
        ]
    else:
        events = [
            _Event(Step.PACKING, Disposition.IN_PROGRESS, _at(harvested + 2 * day, 10, 0, tz), Recorder.COOPERATIVE,
                   place=packing_place, note=data.PACKING_NOTE),
            _Event(Step.STORING, Disposition.IN_PROGRESS, _at(harvested + 2 * day, 16, 0, tz), Recorder.WAREHOUSE,
                   place=f"{centre_place}仓库", point=centre, note=data.STORING_NOTE),
            _Event(Step.SHIPPING, Disposition.IN_TRANSIT, _at(harvested + 3 * day, 9, 0, tz), Recorder.WAREHOUSE,
                   place=centre_place, point=centre, note=data.SHIPPING_NOTE.format(city=point.county.city.name)),
            _Event(Step.RECEIVING, Disposition.SELLABLE, _at(harvested + 4 * day, 10, 30, tz), Recorder.PICKUP_POINT,
                   point=point, note=data.RECEIVING_NOTE),
        ]
    if batch.quantity >= 60:
        other_city = "440300" if point.county.city.code == "440100" else "440100"
        second = ctx.receiving_point(rng, fresh=fresh, city=other_city)
        later = (2 if fresh else 12) * day
        shipping, receiving = events[2], events[3]
        events += [
            replace(shipping, at=shipping.at + later,
                    temperature=_temperature(rng, season.cold[1]) if fresh else None,
                    note=(data.SHIPPING_NOTE_FRESH if fresh else data.SHIPPING_NOTE).format(
                        city=second.county.city.name)),
            replace(receiving, at=receiving.at + later, point=second,
                    temperature=_temperature(rng, season.cold[2]) if fresh else None),
        ]
    for event in events:
        if event.at > ctx.now:
            continue
        if event.recorder == Recorder.COOPERATIVE:
            by = user
        elif event.recorder == Recorder.PICKUP_POINT:
            by = ctx.point_staff.get(event.point.pk)
        else:
            by = None
        trace_event_record(batch=batch, business_step=event.step, disposition=event.disposition, occurred_at=event.at,
                           place=event.place, service_point=event.point, recorder=event.recorder,
                           temperature=event.temperature, note=event.note, user=by)


def _inspection(rng, *, product, batch_plan, serial):
    origin = product.origin
    county = origin.county
    if origin.is_fresh:
        agency = f"{county.name}农产品质量安全检测站"
        inspected_on = batch_plan.harvested_on
    else:
        agency = f"{county.city.name}农产品质量监督检验测试中心"
        inspected_on = batch_plan.harvested_on + datetime.timedelta(days=1)
    number = f"GDJC-{batch_plan.harvested_on.year}-{serial:04d}"
    return number, inspected_on, agency


def seed_harvest(progress=None) -> dict:
    created = {"HarvestBatch": 0, "BatchContribution": 0, "TraceEvent": 0}
    if history_exists():
        return created
    products = demo_products()
    plan = demo_plan(products)
    ctx = _Context()
    with_batches = set(HarvestBatch.objects.values_list("product_id", flat=True).distinct())
    events_before = TraceEvent.objects.count()
    serial_by_year = defaultdict(lambda: 100)
    for product, spec in products:
        plans = plan.batches.get(product.upc, ())
        if product.pk in with_batches or not plans:
            if progress:
                progress.update(1)
            continue
        origin = product.origin
        subject = origin.market_subject
        season = data.season_for(brand_slug=origin.brand.slug, line_name=spec.line_name, is_fresh=origin.is_fresh)
        price = product.stockrecords.all()[0].price
        user = ctx.users.get(subject.partner_id)
        for batch_plan in plans:
            rng = random.Random(f"batch-{product.upc}-{batch_plan.index}")
            year = batch_plan.harvested_on.year
            serial_by_year[year] += rng.randint(1, 9)
            number, inspected_on, agency = _inspection(rng, product=product, batch_plan=batch_plan,
                                                       serial=serial_by_year[year])
            contributions = _contributions(rng, batch_plan=batch_plan, quantity=batch_plan.quantity,
                                           members=ctx.members.get(subject.pk, []), subject=subject,
                                           price=price, season=season)
            batch = batch_create(
                product=product, harvested_on=batch_plan.harvested_on, quantity=batch_plan.quantity,
                inspection_report_number=number, inspected_on=inspected_on, inspection_agency=agency,
                contributions=contributions, user=user,
            )
            created["HarvestBatch"] += 1
            created["BatchContribution"] += len(contributions)
            _circulation(ctx, rng, batch=batch, product=product, season=season, user=user)
        if progress:
            progress.update(1)
    created["TraceEvent"] = TraceEvent.objects.count() - events_before
    return created
