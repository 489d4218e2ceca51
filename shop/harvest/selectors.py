"""Reads for harvest batches: list annotations, a batch's contributions and
events, the batches that reached given pickup points, the households a file
of contributions may name, and the batch labels (trace URL and QR code)."""
from dataclasses import dataclass
import datetime

import segno
from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch
from django.utils.safestring import mark_safe
from oscar.core.loading import get_model

from shop.attribution.models import LineAllocation
from shop.producers.models import Household
from shop.regions.models import ServicePoint

from .models import BatchContribution, HarvestBatch, TraceEvent

Product = get_model("catalogue", "Product")

LABELS_PER_PAGE = 12  # an A4 sheet: 3 columns × 4 rows


def batches_with_counts(queryset):
    """Batches annotated with ``household_count`` (households supplying each)."""
    return queryset.annotate(household_count=Count("contributions", distinct=True))


def batch_contributions(batch) -> list[BatchContribution]:
    return list(batch.contributions.select_related("household").order_by("pk"))


def batch_events(batch) -> list[TraceEvent]:
    return list(batch.events.select_related("service_point").order_by("occurred_at", "pk"))


def batch_is_sold(batch) -> bool:
    """Whether any unit of the batch went to an order line (its contributions are then fixed)."""
    return bool(batch.quantity_allocated) or batch.line_allocations.exists()


def registration_key(value) -> str:
    """The form in which registration numbers (建档立卡编号) are compared."""
    return str(value or "").strip().upper()


def member_households_by_registration(market_subject) -> dict[str, Household]:
    """The households of ``market_subject`` keyed by registration number: the
    only ones a file of contributions to its batches may name."""
    households = Household.objects.filter(memberships__market_subject=market_subject).distinct()
    return {registration_key(household.registration_number): household for household in households}


def products_for_batches(subjects):
    """Products a batch can be registered for: those whose origin names one of ``subjects``."""
    return (
        Product.objects.filter(origin__market_subject__in=subjects)
        .select_related("origin__market_subject")
        .order_by("title", "pk")
    )


# -- pickup points -------------------------------------------------------------

def _live_allocations_at(points):
    return Q(
        line_allocations__line__order__pickup__service_point__in=points,
        line_allocations__released_at__isnull=True,
    )


def batches_at_points(points):
    """Batches with units allocated (and not released) to orders collected at
    ``points`` (a ServicePoint queryset), with ``orders_here`` and ``units_here``."""
    allocated = LineAllocation.objects.filter(
        line__order__pickup__service_point__in=points, released_at__isnull=True
    ).values("batch_id")
    here = _live_allocations_at(points)
    return HarvestBatch.objects.filter(pk__in=allocated).annotate(
        orders_here=Count("line_allocations__line__order", filter=here, distinct=True),
        units_here=Sum("line_allocations__quantity", filter=here),
    )


def batch_points(batch, points):
    """Those of ``points`` that orders with units of ``batch`` are collected at."""
    allocated = LineAllocation.objects.filter(batch=batch, released_at__isnull=True).values(
        "line__order__pickup__service_point"
    )
    return points.filter(pk__in=allocated).order_by("name", "pk")


def points_staffed_by(user):
    return ServicePoint.objects.filter(staff=user)


# -- trace URL and labels ------------------------------------------------------

def batch_trace_path(batch) -> str:
    """The path a batch's QR code opens: its GS1 Digital Link ``/01/<GTIN-14>/10/<lot>``
    when the product has a GTIN, else the short ``/t/<code>/`` (``shop.traceability.qr``)."""
    from shop.traceability import qr

    origin = getattr(batch.product, "origin", None)
    gtin = origin.gtin if origin is not None else ""
    try:
        return qr.batch_qr_path(code=batch.code, gtin=gtin)
    except NoReverseMatch:  # the public trace URLs are not mounted
        gtin = qr.gtin14(gtin)
        return f"/01/{gtin}/10/{batch.code}" if gtin else f"/t/{batch.code}/"


def batch_public_url(batch) -> str:
    """The public trace page of a batch."""
    try:
        return batch.get_absolute_url()
    except NoReverseMatch:
        return f"/t/{batch.code}/"


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no size: the page's CSS sizes it)."""
    return mark_safe(segno.make(data, error="m").svg_inline(scale=1, border=2, omitsize=True, svgclass="label-qr"))


@dataclass(frozen=True)
class BatchLabel:
    code: str
    product_title: str
    brand: str
    place: str
    harvested_on: datetime.date
    url: str
    qr_svg: str


def _place(batch) -> str:
    if batch.village_id:
        village = batch.village
        return f"{village.township.county.name} {village.township.name} {village.name}"
    origin = getattr(batch.product, "origin", None)
    return origin.county.name if origin is not None else ""


def batch_label(batch, *, absolute_url) -> BatchLabel:
    """The label of one batch; ``absolute_url`` turns a path into an absolute URL."""
    origin = getattr(batch.product, "origin", None)
    url = absolute_url(batch_trace_path(batch))
    return BatchLabel(
        code=batch.code, product_title=batch.product.get_title(), brand=origin.brand.name if origin else "",
        place=_place(batch), harvested_on=batch.harvested_on, url=url, qr_svg=qr_svg(url),
    )


def label_batches(queryset):
    return queryset.select_related(
        "product__origin__brand", "product__origin__county", "village__township__county"
    ).order_by("harvested_on", "code")


def label_pages(batches, *, count: int, absolute_url) -> list[list[BatchLabel]]:
    """``count`` labels of each batch, in A4 pages of ``LABELS_PER_PAGE``."""
    labels = []
    for batch in batches:
        labels += [batch_label(batch, absolute_url=absolute_url)] * count
    return [labels[start:start + LABELS_PER_PAGE] for start in range(0, len(labels), LABELS_PER_PAGE)]
