"""Fulfilment records that hang off an Oscar order without forking the order app.

- ``OrderPickup``: where a pickup order is collected, its 6-digit pickup code and
  hand-over;
- ``DeliveryWave`` / ``WaveOrder``: 基地+城市社区直配 — a cooperative's paid
  orders for one pickup point and delivery date, packed and shipped together;
- ``DeliveryRate``: the configurable price of each delivery method by city and weight;
- ``HomeDelivery``: an order delivered to the door (送货上门 / 冷链到家).

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


class DeliveryRate(models.Model):
    """The price of a delivery method to a city, edited in the back office.

    Charge = ``first_price`` for the first ``first_weight_kg`` plus
    ``additional_kg_price`` for each further kilogram or part of one; nothing
    when the order subtotal reaches ``free_over``. A rate without a city applies
    to every city that has no rate of its own; a city's own rate, active or not,
    decides for that city (an inactive one stops the method there).
    Home delivery and cold chain go only where an active rate applies; pickup
    points and lockers are free where none does (shop.fulfilment.rates).
    """

    class Method(models.TextChoices):
        HOME = "home", _("送货上门")
        COLD_CHAIN = "cold_chain", _("冷链到家")
        # The same values as ServicePoint.Kind for pickup points and lockers.
        COMMUNITY_PICKUP = "community_pickup", _("社区自提点")
        LOCKER = "locker", _("提货柜")

    method = models.CharField(_("配送方式"), max_length=20, choices=Method.choices)
    city = models.ForeignKey(
        "regions.City", on_delete=models.PROTECT, null=True, blank=True, related_name="delivery_rates",
        verbose_name=_("目的城市"), help_text=_("留空表示其他所有城市"),
    )
    first_weight_kg = models.DecimalField(_("首重（千克）"), max_digits=6, decimal_places=2, default=1)
    first_price = models.DecimalField(_("首重价格（元）"), max_digits=8, decimal_places=2)
    additional_kg_price = models.DecimalField(
        _("续重每千克价格（元）"), max_digits=8, decimal_places=2, default=0,
        help_text=_("超出首重的部分按千克计费，不足 1 千克按 1 千克计"),
    )
    free_over = models.DecimalField(
        _("满额包邮（元）"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("商品金额达到此数免运费；留空表示不包邮"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("更新人"),
    )

    class Meta:
        ordering = ["method", "city__code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["method", "city"], name="deliveryrate_method_city_unique",
                violation_error_message=_("该配送方式在这个城市已有运费标准，请编辑原有的标准"),
            ),
            models.UniqueConstraint(
                fields=["method"], condition=Q(city__isnull=True), name="deliveryrate_method_default_unique",
                violation_error_message=_("该配送方式已有适用于其他城市的运费标准，请编辑原有的标准"),
            ),
            models.CheckConstraint(
                condition=Q(first_weight_kg__gte=0) & Q(first_price__gte=0) & Q(additional_kg_price__gte=0)
                & (Q(free_over__isnull=True) | Q(free_over__gte=0)),
                name="deliveryrate_amounts_not_negative",
                violation_error_message=_("重量和金额不能为负数"),
            ),
        ]
        verbose_name = _("运费标准")
        verbose_name_plural = _("运费标准")

    def __str__(self):
        city = self.city.name if self.city_id else _("其他城市")
        return f"{self.get_method_display()} · {city}"


class HomeDelivery(models.Model):
    """An order delivered to the customer's door (送货上门 or 冷链到家).

    The address itself is the order's Oscar ShippingAddress; this keeps what the
    courier needs besides it (the recipient's phone, shown masked to staff), the
    destination city, the weight charged, and the delivery: 待发货 → 配送中 (shipped,
    with the courier's tracking number) → 已送达.
    """

    class Method(models.TextChoices):
        HOME = "home", _("送货上门")
        COLD_CHAIN = "cold_chain", _("冷链到家")

    order = models.OneToOneField(
        "order.Order", on_delete=models.CASCADE, related_name="home_delivery", verbose_name=_("订单")
    )
    method = models.CharField(_("配送方式"), max_length=20, choices=Method.choices)
    city = models.ForeignKey(
        "regions.City", on_delete=models.PROTECT, related_name="home_deliveries", verbose_name=_("目的城市")
    )
    recipient_name = models.CharField(_("收货人"), max_length=64)
    recipient_phone = models.CharField(_("收货人手机号"), max_length=20)
    weight_kg = models.DecimalField(_("计费重量（千克）"), max_digits=8, decimal_places=3)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    tracking_number = models.CharField(_("运单号"), max_length=64, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("发货人"),
    )
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("确认送达人"),
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = _("送货上门信息")
        verbose_name_plural = _("送货上门信息")

    def __str__(self):
        return f"{self.order_id} → {self.city_id}"

    @property
    def masked_recipient_phone(self):
        return mask_phone(self.recipient_phone)

    @property
    def is_cold_chain(self):
        return self.method == self.Method.COLD_CHAIN
