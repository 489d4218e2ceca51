"""Reads for the public trace pages (一品一码 / 一村一码) and for the batch links
on product and order pages.

Households are public only as a consented alias or in a count: these reads
select ``alias_consent`` and ``public_alias`` and never a household's
personal (encrypted) fields.

Queries: a trace page 3 (batch with product, origin, brand, village chain
and market subject; its households; its events), a village page 4 (village
chain, products, batches, household counts), a QR code 1, a product page's
batch list 1, an order's batch list 1 (for all its lines).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from oscar.core.loading import get_model

from shop.attribution.models import LineAllocation
from shop.brands.models import ProductOrigin
from shop.harvest.models import BatchContribution, HarvestBatch, TraceEvent
from shop.harvest.services import batch_code_normalise
from shop.producers.models import Household
from shop.regions.models import Village

from . import qr

Product = get_model("catalogue", "Product")

MAX_CODE_LENGTH = 20  # HarvestBatch.code
VILLAGE_CODE_LENGTH = 12
PRODUCT_PAGE_BATCHES = 5
VILLAGE_PAGE_BATCHES = 20


@dataclass(frozen=True)
class PublicHouseholds:
    """Who supplied a batch, as the public may see it."""

    aliases: tuple[str, ...]  # consented aliases, in contribution order
    others: int  # households without a consented alias: counted, never named

    @property
    def total(self):
        return len(self.aliases) + self.others


@dataclass(frozen=True)
class Place:
    village: Village | None
    township: object | None
    county: object | None
    city: object | None


@dataclass(frozen=True)
class BatchTrace:
    batch: HarvestBatch
    product: object  # catalogue.Product
    origin: ProductOrigin | None
    place: Place
    households: PublicHouseholds
    events: list[TraceEvent]
    qr_path: str  # what the QR code encodes (GS1 Digital Link path, or the short URL)

    @property
    def gtin(self):
        return qr.gtin14(self.origin.gtin) if self.origin else ""


def _origin(product):
    try:
        return product.origin
    except ProductOrigin.DoesNotExist:
        return None


def _place(batch, origin) -> Place:
    village = batch.village or (origin.village if origin else None)
    if village is not None:
        county = village.township.county
        return Place(village=village, township=village.township, county=county, city=county.city)
    county = origin.county if origin else None
    return Place(village=None, township=None, county=county, city=county.city if county else None)


def _public_households(rows) -> PublicHouseholds:
    aliases, others = [], 0
    for consent, alias in rows:
        if consent and alias:
            aliases.append(alias)
        else:
            others += 1
    return PublicHouseholds(aliases=tuple(aliases), others=others)


def _batch_by_code(code, *related):
    code = batch_code_normalise(code)
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    return HarvestBatch.objects.select_related(*related).filter(code=code).first()


def batch_trace(*, code: str) -> BatchTrace | None:
    """Everything a batch's public trace page shows, or None for an unknown
    code (any case, look-alikes allowed: see ``batch_code_normalise``). 3 queries."""
    batch = _batch_by_code(
        code,
        "product__parent",
        "product__origin__brand",
        "product__origin__county__city",
        "product__origin__village__township__county__city",
        "village__township__county__city",
        "market_subject",
    )
    if batch is None:
        return None
    origin = _origin(batch.product)
    households = _public_households(
        BatchContribution.objects.filter(batch=batch).order_by("pk")
        .values_list("household__alias_consent", "household__public_alias")
    )
    events = list(TraceEvent.objects.filter(batch=batch).select_related("service_point").order_by("occurred_at", "pk"))
    return BatchTrace(
        batch=batch, product=batch.product, origin=origin, place=_place(batch, origin),
        households=households, events=events,
        qr_path=qr.batch_qr_path(code=batch.code, gtin=origin.gtin if origin else ""),
    )


def gtin_matches(trace: BatchTrace, gtin: str) -> bool:
    """Whether a GS1 Digital Link's GTIN (8/12/13/14 digits, zero padding
    allowed) is the batch's product's."""
    wanted = qr.gtin14(gtin)
    return bool(wanted) and wanted == trace.gtin


def batch_qr_path(*, code: str) -> str | None:
    """The path a batch's QR code encodes, or None for an unknown code. 1 query."""
    batch = _batch_by_code(code, "product__origin")
    if batch is None:
        return None
    origin = _origin(batch.product)
    return qr.batch_qr_path(code=batch.code, gtin=origin.gtin if origin else "")


# --- village code (一村一码) --------------------------------------------------


@dataclass(frozen=True)
class VillageHouseholds:
    total: int
    lifted: int  # 已脱贫


@dataclass(frozen=True)
class VillageTrace:
    village: Village
    products: list
    batches: list[HarvestBatch]  # the newest VILLAGE_PAGE_BATCHES
    has_more_batches: bool
    households: VillageHouseholds


def village_by_code(code: str) -> Village | None:
    code = (code or "").strip()
    if len(code) != VILLAGE_CODE_LENGTH or not code.isascii() or not code.isdigit():
        return None
    return Village.objects.select_related("township__county__city").filter(code=code).first()


def village_trace(*, code: str) -> VillageTrace | None:
    """A village's public page: its place, its browsable products, its newest
    batches and how many registered households it has. 4 queries."""
    village = village_by_code(code)
    if village is None:
        return None
    products = list(
        Product.objects.browsable().filter(origin__village=village)
        .select_related("origin__brand").order_by("title", "pk")
    )
    batches = list(
        HarvestBatch.objects.filter(village=village).select_related("product")
        .order_by("-harvested_on", "-pk")[: VILLAGE_PAGE_BATCHES + 1]
    )
    counts = Household.objects.filter(village=village).aggregate(
        total=Count("pk"), lifted=Count("pk", filter=Q(status=Household.Status.LIFTED))
    )
    return VillageTrace(
        village=village, products=products,
        batches=batches[:VILLAGE_PAGE_BATCHES], has_more_batches=len(batches) > VILLAGE_PAGE_BATCHES,
        households=VillageHouseholds(total=counts["total"], lifted=counts["lifted"]),
    )


# --- links from product and order pages ---------------------------------------


def recent_batches_for_product(*, product_id, limit=PRODUCT_PAGE_BATCHES) -> list[HarvestBatch]:
    """The product's newest batches that passed inspection (sellable). 1 query."""
    return list(
        HarvestBatch.objects.filter(product_id=product_id, inspection_result=HarvestBatch.Inspection.PASSED)
        .only("code", "harvested_on", "quantity", "product_id")
        .order_by("-harvested_on", "-pk")[:limit]
    )


@dataclass(frozen=True)
class AllocatedBatch:
    code: str
    harvested_on: object  # date
    quantity: int
    url: str


@dataclass(frozen=True)
class LineBatches:
    line_id: int
    title: str
    quantity: int
    batches: list[AllocatedBatch]


def order_line_batches(*, order) -> list[LineBatches]:
    """Each line of ``order`` with the batches it was allocated (released
    allocations of a cancelled line left out), in line order. 1 query."""
    allocations = (
        LineAllocation.objects.filter(line__order_id=order.pk, released_at__isnull=True)
        .select_related("line", "batch")
        .only("quantity", "line__title", "line__quantity", "batch__code", "batch__harvested_on")
        .order_by("line_id", "batch__harvested_on", "pk")
    )
    lines, by_line = {}, defaultdict(list)
    for allocation in allocations:
        lines.setdefault(allocation.line_id, allocation.line)
        batch = allocation.batch
        by_line[allocation.line_id].append(
            AllocatedBatch(code=batch.code, harvested_on=batch.harvested_on, quantity=allocation.quantity,
                           url=batch.get_absolute_url())
        )
    return [
        LineBatches(line_id=line_id, title=line.title, quantity=line.quantity, batches=by_line[line_id])
        for line_id, line in lines.items()
    ]
