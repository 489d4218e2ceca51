"""Stock re-check before an order is placed, so placement never oversells.

Oscar checks availability when a product is added to the basket; stock can run out
between then and "place order".  ``basket_stock_ensure(lock=True)`` runs inside the
place-order transaction and locks the stock records (in primary-key order, the order
Oscar allocates in) so two placements for the last units cannot both pass.
Reservations at add-to-basket time belong to a later issue."""
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

StockRecord = get_model("partner", "StockRecord")
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")


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


def basket_stock_shortfalls(*, basket, lock=False):
    requested = defaultdict(int)
    titles = {}
    for line in basket.all_lines():
        if not line.product.get_product_class().track_stock:
            continue
        if line.stockrecord_id is None:
            return [StockShortfall(title=line.product.get_title(), requested=line.quantity, available=0)]
        requested[line.stockrecord_id] += line.quantity
        titles.setdefault(line.stockrecord_id, line.product.get_title())
    if not requested:
        return []
    records = StockRecord.objects.filter(pk__in=requested).order_by("pk")
    if lock:
        records = records.select_for_update()
    available = {record.pk: record.net_stock_level for record in records}
    return [
        StockShortfall(title=titles[pk], requested=quantity, available=max(available.get(pk, 0), 0))
        for pk, quantity in requested.items()
        if quantity > available.get(pk, 0)
    ]


def basket_stock_ensure(*, basket, lock=False):
    shortfalls = basket_stock_shortfalls(basket=basket, lock=lock)
    if shortfalls:
        raise BasketStockUnavailable(shortfalls)
