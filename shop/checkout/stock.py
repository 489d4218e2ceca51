"""Stock re-check before an order is placed, so placement never oversells.

Oscar checks availability when a product is added to the basket; stock can run out
between then and "place order".  ``basket_stock_ensure(lock=True)`` runs inside the
place-order transaction and locks the stock records (in primary-key order, the order
Oscar allocates in) so two placements for the last units cannot both pass.

Units available to a basket are ``num_in_stock - num_allocated`` minus the units
*other* baskets hold in unexpired reservations (``shop.inventory``); the basket's
own reservation never counts against it.  ``basket_reservation_consume`` deletes the
basket's reservations once its order has allocated the units, in the same
transaction.  The database itself refuses ``num_allocated > num_in_stock``
(``shop/inventory/migrations/0002``); ``stock_placement_atomic`` turns that refusal,
should it ever fire, into the same sold-out message instead of an error page.

Lines sold in a live campaign are then checked against its flash quota and
per-customer limit (``shop.campaigns.limits``), under the same locks; their
shortfalls (已抢光, 每人限购 …) travel in the same ``BasketStockUnavailable``, and the
campaign's CHECK ``sold <= quota`` is translated like the stock constraint."""
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.campaigns.limits import basket_campaign_shortfalls, is_quota_constraint_violation
from shop.inventory.models import StockReservation
from shop.inventory.selectors import units_reserved_by_others

StockRecord = get_model("partner", "StockRecord")
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")

# The name of the database constraint (PostgreSQL CHECK, SQLite triggers) that keeps
# num_allocated <= num_in_stock on partner_stockrecord; it appears in the error text.
STOCK_CONSTRAINT = "stockrecord_allocated_lte_in_stock"


@dataclass(frozen=True)
class StockShortfall:
    title: str
    requested: int
    available: int

    @property
    def message(self):
        if self.available <= 0:
            return _("「%(title)s」已售罄，请从购物车中移除后再结算。") % {"title": self.title}
        return _("「%(title)s」库存不足：您要购买 %(requested)d 件，目前仅剩 %(available)d 件。") % {
            "title": self.title,
            "requested": self.requested,
            "available": self.available,
        }


class BasketStockUnavailable(UnableToPlaceOrder):
    def __init__(self, shortfalls):
        self.shortfalls = shortfalls
        super().__init__(" ".join(shortfall.message for shortfall in shortfalls))


def _stock_tracked_lines(basket):
    return [line for line in basket.all_lines() if line.product.get_product_class().track_stock]


def basket_stock_requested(*, basket):
    """{stockrecord_id: units} the basket's stock-tracked lines ask for."""
    requested = defaultdict(int)
    for line in _stock_tracked_lines(basket):
        if line.stockrecord_id is not None:
            requested[line.stockrecord_id] += line.quantity
    return dict(requested)


def basket_stock_shortfalls(*, basket, lock=False):
    """The basket's lines that stock, or a campaign's quota or per-customer limit,
    cannot cover.  With ``lock=True`` (inside a transaction) the stock records, then
    the campaign products, stay locked, in pk order, until it ends."""
    shortfalls, short_product_ids = _stock_shortfalls(basket=basket, lock=lock)
    return shortfalls + basket_campaign_shortfalls(basket=basket, lock=lock, skip_product_ids=short_product_ids)


def _stock_shortfalls(*, basket, lock):
    """([StockShortfall], ids of the products they are for)."""
    titles, products = {}, {}
    for line in _stock_tracked_lines(basket):
        if line.stockrecord_id is None:
            shortfall = StockShortfall(title=line.product.get_title(), requested=line.quantity, available=0)
            return [shortfall], {line.product_id}
        titles.setdefault(line.stockrecord_id, line.product.get_title())
        products.setdefault(line.stockrecord_id, line.product_id)
    requested = basket_stock_requested(basket=basket)
    if not requested:
        return [], set()
    records = StockRecord.objects.filter(pk__in=requested).order_by("pk")
    if lock:
        records = records.select_for_update()
    # Read the (locked) records first: reservations are read after the lock is held.
    available = {record.pk: record.net_stock_level for record in records}
    reserved = units_reserved_by_others(basket=basket, stockrecord_ids=available)
    for pk in available:
        available[pk] -= reserved.get(pk, 0)
    short = [pk for pk, quantity in requested.items() if quantity > available.get(pk, 0)]
    shortfalls = [
        StockShortfall(title=titles[pk], requested=requested[pk], available=max(available.get(pk, 0), 0))
        for pk in short
    ]
    return shortfalls, {products[pk] for pk in short}


def basket_stock_ensure(*, basket, lock=False):
    shortfalls = basket_stock_shortfalls(basket=basket, lock=lock)
    if shortfalls:
        raise BasketStockUnavailable(shortfalls)


def basket_reservation_consume(*, basket):
    """The basket's order has allocated its units: its reservations hold nothing more.
    Call inside the place-order transaction, right after the allocation."""
    StockReservation.objects.filter(basket_id=basket.pk).delete()


def is_stock_constraint_violation(error):
    return STOCK_CONSTRAINT in str(error)


@contextmanager
def stock_placement_atomic(*, basket):
    """``transaction.atomic()`` for placing the basket's order.  If the database
    refuses an allocation beyond the stock, or a campaign sale beyond its quota
    (which the locked re-check should make impossible), the transaction is rolled
    back and the customer gets the sold-out message for what is short now, never
    an error page."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if not (is_stock_constraint_violation(error) or is_quota_constraint_violation(error)):
            raise
        shortfalls = basket_stock_shortfalls(basket=basket)
        if shortfalls:
            raise BasketStockUnavailable(shortfalls) from error
        raise UnableToPlaceOrder(_("商品库存刚刚发生变化，请返回购物车确认后再结算。")) from error
