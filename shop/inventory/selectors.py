"""Reads of stock reservations (see models.StockReservation)."""
from django.db.models import Sum
from django.utils import timezone

from .models import StockReservation


def reservations_active(*, now=None):
    """Reservations that still hold their units (not yet expired)."""
    return StockReservation.objects.filter(expires_at__gt=now or timezone.now())


def units_reserved_by_others(*, basket, stockrecord_ids, now=None):
    """{stockrecord_id: units} held by *other* baskets' unexpired reservations,
    for the given stock records (records nobody else holds are absent)."""
    rows = (
        reservations_active(now=now)
        .filter(stockrecord_id__in=list(stockrecord_ids))
        .exclude(basket_id=basket.pk)
        .values("stockrecord_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {row["stockrecord_id"]: row["units"] for row in rows}


def basket_reservations(*, basket):
    return StockReservation.objects.filter(basket_id=basket.pk).order_by("stockrecord_id")
