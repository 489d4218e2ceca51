"""Fulfilment records that hang off an Oscar order without forking the order app."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.core.masking import mask_phone


class OrderPickup(models.Model):
    """The community pickup point or locker an order is collected from.

    Written atomically with the order by ``services.order_pickup_create``.
    Later issues grow it (pickup code, arrival in a delivery wave, hand-over);
    the recipient phone is customer data: show ``masked_recipient_phone`` to staff.
    """

    order = models.OneToOneField("order.Order", on_delete=models.CASCADE, related_name="pickup", verbose_name=_("订单"))
    service_point = models.ForeignKey(
        "regions.ServicePoint", on_delete=models.PROTECT, related_name="order_pickups", verbose_name=_("自提点")
    )
    recipient_name = models.CharField(_("收货人"), max_length=64)
    recipient_phone = models.CharField(_("收货人手机号"), max_length=20)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("订单自提信息")
        verbose_name_plural = _("订单自提信息")

    def __str__(self):
        return f"{self.order_id} → {self.service_point_id}"

    @property
    def masked_recipient_phone(self):
        return mask_phone(self.recipient_phone)
