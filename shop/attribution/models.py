"""Which batches an order line came from, and the append-only attribution
ledger (收益归属台账) that says, to the fen, what each household sold and earned.

Ledger entries are never updated or deleted: cancellations and refunds append
reversing entries. The model refuses it, its queryset refuses it, and on
PostgreSQL a trigger refuses it (migration 0002)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Where a sale was made: this store, or an external pavilion (catalog_sync)."""

    STORE = "store", _("乡品通商城")
    JD = "jd", _("京东特产馆")
    TAOBAO = "taobao", _("淘宝/天猫特色馆")
    PINDUODUO = "pinduoduo", _("拼多多")
    WECHAT_SHOP = "wechat_shop", _("微信小店")
    PLATFORM_832 = "platform_832", _("832 平台")


class LineAllocation(models.Model):
    """Units of an order line taken from a batch (first harvested, first sold,
    unless the line came with its batch, e.g. from a pre-sale)."""

    line = models.ForeignKey("order.Line", on_delete=models.PROTECT, related_name="batch_allocations", verbose_name=_("订单行"))
    batch = models.ForeignKey("harvest.HarvestBatch", on_delete=models.PROTECT, related_name="line_allocations", verbose_name=_("批次"))
    quantity = models.PositiveIntegerField(_("数量"))
    # Set when the line was cancelled and its units went back to the batch.
    released_at = models.DateTimeField(_("释放时间"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["line", "pk"]
        verbose_name = _("批次分配")
        verbose_name_plural = _("批次分配")
        constraints = [
            models.UniqueConstraint(fields=["line", "batch"], name="unique_allocation_per_line_batch"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="allocation_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.line_id} ← {self.batch_id} × {self.quantity}"


class AppendOnlyError(Exception):
    pass


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("attribution ledger entries are never updated")

    def delete(self):
        raise AppendOnlyError("attribution ledger entries are never deleted")


class LedgerEntry(models.Model):
    """One movement of one order line for one household (or, with no household,
    the line's unattributed part). The region, brand and market subject are
    copied in at write time so reports group one table."""

    class Kind(models.TextChoices):
        SALE = "sale", _("销售")
        CANCELLATION = "cancellation", _("取消冲销")
        REFUND = "refund", _("退款冲销")

    line = models.ForeignKey("order.Line", on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("订单行"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.STORE)
    household = models.ForeignKey("producers.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries", verbose_name=_("农户"))
    batch = models.ForeignKey("harvest.HarvestBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries", verbose_name=_("批次"))
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("商品"))
    market_subject = models.ForeignKey("producers.MarketSubject", on_delete=models.PROTECT, null=True, related_name="ledger_entries", verbose_name=_("市场主体"))
    brand = models.ForeignKey("brands.Brand", on_delete=models.PROTECT, null=True, related_name="ledger_entries", verbose_name=_("区域公用品牌"))
    village = models.ForeignKey("regions.Village", on_delete=models.PROTECT, null=True, related_name="ledger_entries", verbose_name=_("行政村"))
    county = models.ForeignKey("regions.County", on_delete=models.PROTECT, null=True, related_name="ledger_entries", verbose_name=_("县（市、区）"))
    city = models.ForeignKey("regions.City", on_delete=models.PROTECT, null=True, related_name="ledger_entries", verbose_name=_("地级市"))
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)
    sales_amount = models.DecimalField(_("销售额（元）"), max_digits=12, decimal_places=2)
    income = models.DecimalField(_("农户收益（元）"), max_digits=12, decimal_places=2)
    occurred_at = models.DateTimeField(_("发生时间"))
    # First day of the month of ``occurred_at`` in Asia/Shanghai, for monthly reports.
    month = models.DateField(_("月份"))

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("收益归属台账")
        verbose_name_plural = _("收益归属台账")
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["month"], name="ledger_month"),
            models.Index(fields=["market_subject", "month"], name="ledger_subject_month"),
            models.Index(fields=["household", "month"], name="ledger_household_month"),
        ]

    def __str__(self):
        return f"{self.line_id} {self.kind} {self.sales_amount}"

    @property
    def is_attributed(self):
        return self.household_id is not None

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise AppendOnlyError("attribution ledger entries are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("attribution ledger entries are never deleted")
