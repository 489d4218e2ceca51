"""Stock held for a basket's checkout, beside Oscar's partner app (not a fork).

Oscar's ``StockRecord`` counts units in stock and units allocated to placed
orders. A ``StockReservation`` holds units for an open basket for a few minutes
(``settings.XIANGPIN_RESERVATION_MINUTES``) so they cannot be sold to someone
else while its buyer pays. Units available to a basket are
``num_in_stock - num_allocated - units other baskets hold in unexpired
reservations``; an expired row blocks nothing, whether or not the housekeeping
job (``manage.py stock_reservations_expire``) has deleted it yet.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class StockReservation(models.Model):
    basket = models.ForeignKey(
        "basket.Basket", on_delete=models.CASCADE, related_name="stock_reservations", verbose_name=_("购物车")
    )
    stockrecord = models.ForeignKey(
        "partner.StockRecord", on_delete=models.CASCADE, related_name="reservations", verbose_name=_("库存记录")
    )
    quantity = models.PositiveIntegerField(_("预留数量"))
    expires_at = models.DateTimeField(_("预留截止时间"), db_index=True)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["basket", "stockrecord"], name="stockreservation_basket_stockrecord_unique")
        ]
        verbose_name = _("库存预留")
        verbose_name_plural = _("库存预留")

    def __str__(self):
        return f"{self.basket_id} × {self.stockrecord_id}: {self.quantity}"
