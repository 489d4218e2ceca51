"""Fulfilment records that hang off an Oscar order without forking the order app.

- ``OrderPickup``: where a pickup order is collected, its 6-digit pickup code and
  hand-over;
- ``DeliveryWave`` / ``WaveOrder``: 基地+城市社区直配 — a cooperative's paid
  orders for one pickup point and delivery date, packed and shipped together.

Tracking events the customer sees are Oscar ``ShippingEvent`` rows (with line
quantities); batch circulation events are ``shop.harvest.TraceEvent`` rows.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # Set when every wave carrying the order has reached the point (待取货).
    pickup_code = models.CharField(_("取货码"), max_length=6, blank=True)
    ready_at = models.DateTimeField(_("到达自提点时间"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("取货提醒时间"), null=True, blank=True)
    collected_at = models.DateTimeField(_("取货时间"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("交付人"),
    )
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # A code identifies one waiting order at its point.
            models.UniqueConstraint(
                fields=["service_point", "pickup_code"],
                condition=Q(collected_at__isnull=True, returned_at__isnull=True) & ~Q(pickup_code=""),
                name="orderpickup_open_code_unique_per_point",
            )
        ]
        verbose_name = _("订单自提信息")
        verbose_name_plural = _("订单自提信息")

    def __str__(self):
        return f"{self.order_id} → {self.service_point_id}"

    @property
    def masked_recipient_phone(self):
        return mask_phone(self.recipient_phone)


class DeliveryWave(models.Model):
    """A cooperative's shipment of paid orders to one pickup point for one delivery date."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("待发运")
        SHIPPED = "shipped", _("已发运")
        RECEIVED = "received", _("已到达")

    code = models.CharField(_("波次号"), max_length=32, unique=True)
    partner = models.ForeignKey(
        "partner.Partner", on_delete=models.PROTECT, related_name="delivery_waves", verbose_name=_("合作社")
    )
    service_point = models.ForeignKey(
        "regions.ServicePoint", on_delete=models.PROTECT, related_name="delivery_waves", verbose_name=_("自提点")
    )
    delivery_date = models.DateField(_("配送日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    cold_chain = models.BooleanField(_("冷链"), default=False)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("创建人"),
    )
    shipped_at = models.DateTimeField(_("发运时间"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("发运人"),
    )
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("签收人"),
    )

    class Meta:
        ordering = ["-delivery_date", "-pk"]
        verbose_name = _("配送波次")
        verbose_name_plural = _("配送波次")

    def __str__(self):
        return self.code


class WaveOrder(models.Model):
    """An order's lines from ``partner`` travel in ``wave``; once per order and cooperative."""

    wave = models.ForeignKey(DeliveryWave, on_delete=models.CASCADE, related_name="wave_orders", verbose_name=_("波次"))
    order = models.ForeignKey("order.Order", on_delete=models.CASCADE, related_name="wave_orders", verbose_name=_("订单"))
    partner = models.ForeignKey("partner.Partner", on_delete=models.PROTECT, related_name="+", verbose_name=_("合作社"))

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "partner"], name="waveorder_order_partner_unique"),
        ]
        verbose_name = _("波次订单")
        verbose_name_plural = _("波次订单")

    def __str__(self):
        return f"{self.wave_id} ∋ {self.order_id}"
