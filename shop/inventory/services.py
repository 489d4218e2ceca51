"""Writes of stock reservations (see models.StockReservation).

``basket_reserve`` runs the same locked availability check as order placement
(``shop.checkout.stock.basket_stock_ensure(lock=True)``: the basket's stock records
``SELECT … FOR UPDATE`` in pk order, so concurrent reservers and placements queue on
the rows instead of deadlocking), then writes the basket's reservations while the
rows are still locked.  Two baskets can therefore never both hold the last units."""
import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.checkout.stock import basket_stock_ensure, basket_stock_requested

from .models import StockReservation


def basket_reserve(*, basket, minutes=None):
    """Hold the units the basket's lines ask for, for ``minutes`` (default
    ``settings.XIANGPIN_RESERVATION_MINUTES``) from now.  Raises
    ``shop.checkout.stock.BasketStockUnavailable`` (with its sold-out messages) when
    stock, less allocations and other baskets' unexpired reservations, is short, or
    when a live campaign's quota or per-customer limit is (``shop.campaigns.limits``:
    已抢光, 每人限购 …); then nothing changes.  Re-reserving refreshes quantities and expiry, and drops
    reservations for stock records no longer in the basket."""
    if minutes is None:
        minutes = settings.XIANGPIN_RESERVATION_MINUTES
    with transaction.atomic():
        basket_stock_ensure(basket=basket, lock=True)
        expires_at = timezone.now() + datetime.timedelta(minutes=minutes)
        requested = basket_stock_requested(basket=basket)
        StockReservation.objects.filter(basket_id=basket.pk).exclude(stockrecord_id__in=list(requested)).delete()
        reservations = []
        for stockrecord_id, quantity in sorted(requested.items()):
            reservation, _created = StockReservation.objects.update_or_create(
                basket_id=basket.pk,
                stockrecord_id=stockrecord_id,
                defaults={"quantity": quantity, "expires_at": expires_at},
            )
            reservations.append(reservation)
        return reservations


def basket_reservation_release(*, basket):
    """Give back whatever the basket holds (checkout abandoned, payment failed)."""
    deleted, _by_model = StockReservation.objects.filter(basket_id=basket.pk).delete()
    return deleted


def reservations_expire(*, now=None):
    """Housekeeping: delete expired reservations; returns how many.  Availability
    already ignores expired rows, so nothing depends on this running on time."""
    deleted, _by_model = StockReservation.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
