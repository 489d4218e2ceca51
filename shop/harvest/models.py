"""Harvest batches (批次), each supplying household's contribution to a batch,
and the circulation events of a batch (EPCIS-like: what, when, where, why).

A batch adds its quantity to the market subject's stock record; order lines
are allocated to batches (``shop.attribution``), and the attribution ledger
turns each allocation into household sales and income."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class HarvestBatch(models.Model):
    class Inspection(models.TextChoices):
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")

    # Short public code: the lot number (GS1 AI 10) and the trace URL /t/<code>/.
    code = models.CharField(_("批次码"), max_length=20, unique=True, editable=False)
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="harvest_batches", verbose_name=_("商品"))
    market_subject = models.ForeignKey("producers.MarketSubject", on_delete=models.PROTECT, related_name="harvest_batches", verbose_name=_("市场主体"))
    stockrecord = models.ForeignKey("partner.StockRecord", on_delete=models.PROTECT, related_name="harvest_batches", verbose_name=_("库存记录"))
    village = models.ForeignKey("regions.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="harvest_batches", verbose_name=_("产地行政村"))
    harvested_on = models.DateField(_("采收/生产日期"))
    quantity = models.PositiveIntegerField(_("数量（件）"), validators=[MinValueValidator(1)])
    # Units of this batch already allocated to order lines (first harvested, first sold).
    quantity_allocated = models.PositiveIntegerField(_("已分配数量"), default=0, editable=False)
    inspection_report_number = models.CharField(_("质检报告编号"), max_length=64)
    inspection_result = models.CharField(_("质检结论"), max_length=12, choices=Inspection.choices, default=Inspection.PASSED)
    inspected_on = models.DateField(_("质检日期"))
    inspection_agency = models.CharField(_("检测机构"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False)

    class Meta:
        ordering = ["-harvested_on", "-pk"]
        verbose_name = _("采收批次")
        verbose_name_plural = _("采收批次")
        indexes = [models.Index(fields=["product", "harvested_on", "id"], name="batch_fifo")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_allocated__lte=F("quantity")), name="batch_allocated_lte_quantity"),
        ]

    def __str__(self):
        return self.code

    @property
    def quantity_remaining(self):
        return self.quantity - self.quantity_allocated

    @property
    def is_sellable(self):
        return self.inspection_result == self.Inspection.PASSED

    def get_absolute_url(self):
        return reverse("trace:batch", kwargs={"code": self.code})


class IncomeRule(models.TextChoices):
    """How a household earns from its contribution (its purchase contract)."""

    PURCHASE_PRICE = "purchase_price", _("按收购单价")
    SALES_SHARE = "sales_share", _("按销售额分成")


class BatchContribution(models.Model):
    """One household's part of a batch, with the income rule of its contract.

    ``quantity`` is in the batch's units; the contributions of a batch sum to at
    most its quantity (the rest is the market subject's own, unattributed)."""

    batch = models.ForeignKey(HarvestBatch, on_delete=models.CASCADE, related_name="contributions", verbose_name=_("批次"))
    household = models.ForeignKey("producers.Household", on_delete=models.PROTECT, related_name="contributions", verbose_name=_("农户"))
    quantity = models.DecimalField(_("供货数量（件）"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))])
    income_rule = models.CharField(_("收益方式"), max_length=16, choices=IncomeRule.choices)
    # Yuan per unit sold, for PURCHASE_PRICE.
    purchase_price = models.DecimalField(_("收购单价（元/件）"), max_digits=10, decimal_places=2, null=True, blank=True)
    # Percent of the sales amount, for SALES_SHARE.
    sales_share = models.DecimalField(
        _("分成比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["batch", "pk"]
        verbose_name = _("农户供货")
        verbose_name_plural = _("农户供货")
        constraints = [
            models.UniqueConstraint(fields=["batch", "household"], name="unique_contribution_per_batch"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="contribution_quantity_positive"),
            models.CheckConstraint(
                condition=Q(income_rule="purchase_price", purchase_price__gte=0, sales_share__isnull=True)
                | Q(income_rule="sales_share", sales_share__gt=0, sales_share__lte=100, purchase_price__isnull=True),
                name="contribution_rule_fields",
            ),
        ]

    def __str__(self):
        return f"{self.batch_id} · {self.household_id}"


class TraceEvent(models.Model):
    """A circulation event of a batch, after GS1 EPCIS 2.0: what (the batch),
    when (``occurred_at``), where (``place`` / service point), why (business
    step and disposition), and the temperature for cold-chain steps."""

    class EventType(models.TextChoices):
        OBJECT = "object", _("对象事件")
        AGGREGATION = "aggregation", _("聚合事件")
        TRANSACTION = "transaction", _("交易事件")
        TRANSFORMATION = "transformation", _("转换事件")

    class BusinessStep(models.TextChoices):
        COMMISSIONING = "commissioning", _("采收赋码")
        INSPECTING = "inspecting", _("质量检测")
        PACKING = "packing", _("分拣包装")
        STORING = "storing", _("入库冷藏")
        SHIPPING = "shipping", _("发货")
        RECEIVING = "receiving", _("到货签收")
        RETAIL_SELLING = "retail_selling", _("门店/自提点交付")

    class Disposition(models.TextChoices):
        ACTIVE = "active", _("已赋码")
        IN_PROGRESS = "in_progress", _("处理中")
        IN_TRANSIT = "in_transit", _("运输中")
        SELLABLE = "sellable_accessible", _("可销售")
        CONFORMANT = "conformant", _("检测合格")
        COMPLETED = "completed", _("已交付")

    class Recorder(models.TextChoices):
        COOPERATIVE = "cooperative", _("合作社")
        WAREHOUSE = "warehouse", _("仓储/服务中心")
        PICKUP_POINT = "pickup_point", _("自提点")

    # Steps where goods sit in a cold chain: a fresh product's event there needs a temperature.
    COLD_CHAIN_STEPS = (BusinessStep.STORING, BusinessStep.SHIPPING, BusinessStep.RECEIVING)

    batch = models.ForeignKey(HarvestBatch, on_delete=models.CASCADE, related_name="events", verbose_name=_("批次"))
    event_type = models.CharField(_("事件类型"), max_length=16, choices=EventType.choices, default=EventType.OBJECT)
    business_step = models.CharField(_("业务环节"), max_length=20, choices=BusinessStep.choices)
    disposition = models.CharField(_("状态"), max_length=24, choices=Disposition.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    place = models.CharField(_("地点"), max_length=120)
    service_point = models.ForeignKey("regions.ServicePoint", on_delete=models.PROTECT, null=True, blank=True, related_name="trace_events", verbose_name=_("服务网点"))
    temperature = models.DecimalField(_("温度（℃）"), max_digits=4, decimal_places=1, null=True, blank=True,
                                      validators=[MinValueValidator(Decimal("-40")), MaxValueValidator(Decimal("60"))])
    recorder = models.CharField(_("记录方"), max_length=16, choices=Recorder.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("流通事件")
        verbose_name_plural = _("流通事件")

    def __str__(self):
        return f"{self.batch_id} {self.business_step} {self.occurred_at:%Y-%m-%d}"
