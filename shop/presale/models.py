"""Pre-sales (预售 / 订单农业): a product sold before its harvest, by full
payment or by a deposit (定金) now and the balance (尾款) in a balance window.

- ``PreSale``: one product's pre-sale: mode, price, deposit, ``capacity`` (units)
  and ``sold`` (units held by live orders, pending payments included), kept
  ``sold ≤ capacity`` by a conditional UPDATE and a CHECK constraint; the order
  window, the balance window, the expected ship window; the deposit rule.
- ``PreSaleOrder``: one buyer's pre-sale purchase, from the capacity hold
  (待支付) to the Oscar order (placed once the deposit or full price is paid,
  without stock or batches: ``order_create(attribute=False)``), the balance,
  the harvest confirmation that allocates it to a batch, or its cancellation
  under the deposit rule.
- ``PreSalePayment``: every online payment made for a pre-sale order (its
  deposit or full payment, its balance attempts), so a payment that Stripe
  reports late still finds its order.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PreSale(models.Model):
    class Mode(models.TextChoices):
        FULL = "full", _("全款预售")
        DEPOSIT = "deposit", _("定金预售")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        # The seller cannot deliver (harvest failed or short): the orders left are refunded in full.
        CANCELLED = "cancelled", _("已取消（无法履约）")

    class State(models.TextChoices):
        """What a buyer sees at a moment (``state_at``)."""

        DRAFT = "draft", _("草稿")
        NOT_STARTED = "not_started", _("未开始")
        OPEN = "open", _("预订中")
        SOLD_OUT = "sold_out", _("已订满")
        CLOSED = "closed", _("预订已结束")
        CANCELLED = "cancelled", _("已取消")

    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="presales",
                                verbose_name=_("商品"))
    title = models.CharField(_("预售名称"), max_length=80)
    summary = models.CharField(_("简介"), max_length=200, blank=True)
    mode = models.CharField(_("付款方式"), max_length=10, choices=Mode.choices, default=Mode.DEPOSIT)
    price = models.DecimalField(_("预售价（元/件）"), max_digits=10, decimal_places=2)
    deposit = models.DecimalField(_("定金（元/件）"), max_digits=10, decimal_places=2, null=True, blank=True)
    capacity = models.PositiveIntegerField(_("预售数量（件）"))
    sold = models.PositiveIntegerField(_("已预订（件）"), default=0, editable=False)
    max_per_order = models.PositiveSmallIntegerField(_("每单限购（件）"), default=5)
    order_starts = models.DateTimeField(_("预订开始"))
    order_ends = models.DateTimeField(_("预订截止"))
    balance_starts = models.DateTimeField(_("尾款开始"), null=True, blank=True)
    balance_deadline = models.DateTimeField(_("尾款截止"), null=True, blank=True)
    ship_from = models.DateField(_("预计发货（起）"))
    ship_until = models.DateField(_("预计发货（止）"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    harvest_confirmed_at = models.DateTimeField(_("确认采收时间"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True, editable=False)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-order_starts", "-pk"]
        verbose_name = _("预售")
        verbose_name_plural = _("预售")
        constraints = [
            models.CheckConstraint(condition=Q(sold__lte=F("capacity")), name="presale_sold_lte_capacity"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="presale_capacity_positive"),
            models.CheckConstraint(condition=Q(order_ends__gt=F("order_starts")), name="presale_order_window"),
            models.CheckConstraint(condition=Q(ship_until__gte=F("ship_from")), name="presale_ship_window"),
            models.CheckConstraint(
                condition=Q(mode="full", deposit__isnull=True)
                | Q(mode="deposit", deposit__gt=0, deposit__lt=F("price"), balance_starts__isnull=False,
                    balance_deadline__gt=F("balance_starts")),
                name="presale_mode_fields",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_deposit(self):
        return self.mode == self.Mode.DEPOSIT

    @property
    def capacity_left(self):
        return max(self.capacity - self.sold, 0)

    @property
    def balance_per_unit(self):
        return self.price - self.deposit if self.is_deposit else Decimal("0.00")

    @property
    def upfront_per_unit(self):
        """What a buyer pays now per unit: the deposit, or the full price."""
        return self.deposit if self.is_deposit else self.price

    def state_at(self, now=None):
        now = now or timezone.now()
        if self.status == self.Status.CANCELLED:
            return self.State.CANCELLED
        if self.status == self.Status.DRAFT:
            return self.State.DRAFT
        if now < self.order_starts:
            return self.State.NOT_STARTED
        if now >= self.order_ends:
            return self.State.CLOSED
        if self.sold >= self.capacity:
            return self.State.SOLD_OUT
        return self.State.OPEN


class PreSaleOrder(models.Model):
    class Status(models.TextChoices):
        # Capacity held while the deposit (or full price) is being paid.
        PENDING = "pending", _("待支付")
        # Never paid: the hold ran out or the payment was cancelled; the units went back.
        EXPIRED = "expired", _("已失效")
        BALANCE_DUE = "balance_due", _("已付定金·待付尾款")
        # Paid in full, waiting for the harvest to be confirmed.
        PAID = "paid", _("已付清·待采收")
        # Allocated to the confirmed harvest batch and paid: with fulfilment (待发货 …).
        RELEASED = "released", _("已确认采收·待发货")
        # The buyer did not pay the balance by the deadline: cancelled, the deposit is kept.
        DEFAULTED = "defaulted", _("未付尾款·已取消（定金不退）")
        # The seller could not deliver: cancelled, everything paid refunded.
        SELLER_CANCELLED = "seller_cancelled", _("无法履约·已全额退款")

    # Statuses whose units count against the capacity.
    HOLDING = (Status.PENDING, Status.BALANCE_DUE, Status.PAID, Status.RELEASED)

    presale = models.ForeignKey(PreSale, on_delete=models.PROTECT, related_name="orders", verbose_name=_("预售"))
    number = models.CharField(_("订单号"), max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="presale_orders",
                             verbose_name=_("买家"))
    quantity = models.PositiveIntegerField(_("数量（件）"))
    unit_price = models.DecimalField(_("单价"), max_digits=10, decimal_places=2)
    shipping_charge = models.DecimalField(_("配送费"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(_("订单总额"), max_digits=12, decimal_places=2)
    # Paid now: the deposit for all units, or the whole total (full payment).
    upfront_amount = models.DecimalField(_("定金/首付金额"), max_digits=12, decimal_places=2)
    balance_amount = models.DecimalField(_("尾款金额"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    delivery = models.JSONField(_("配送选择"))
    # The deposit rule as shown to the buyer when they bought.
    deposit_rule = models.TextField(_("定金规则"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    basket = models.OneToOneField("basket.Basket", on_delete=models.PROTECT, related_name="presale_order")
    order = models.OneToOneField("order.Order", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="presale_order", verbose_name=_("订单"))
    hold_expires_at = models.DateTimeField(_("名额保留至"))
    # Set once, when the units went back to the capacity (exactly once).
    capacity_released_at = models.DateTimeField(null=True, blank=True)
    upfront_paid_at = models.DateTimeField(_("定金支付时间"), null=True, blank=True)
    balance_paid_at = models.DateTimeField(_("尾款支付时间"), null=True, blank=True)
    batch = models.ForeignKey("harvest.HarvestBatch", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="presale_orders", verbose_name=_("采收批次"))
    allocated_at = models.DateTimeField(_("分配批次时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # The deposit kept under the rule when the buyer did not pay the balance.
    deposit_kept = models.DecimalField(_("不退定金"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    balance_open_notified_at = models.DateTimeField(null=True, blank=True)
    balance_due_notified_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(_("异常说明"), max_length=255, blank=True)
    created = models.DateTimeField(_("下单时间"), auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("预售订单")
        verbose_name_plural = _("预售订单")
        indexes = [models.Index(fields=["presale", "status"], name="presale_order_status")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="presale_order_quantity_positive"),
            models.CheckConstraint(condition=Q(total=F("upfront_amount") + F("balance_amount")),
                                   name="presale_order_amounts_sum"),
        ]

    def __str__(self):
        return self.number

    @property
    def amount_paid(self):
        return self.upfront_amount + (self.balance_amount if self.balance_paid_at else Decimal("0.00"))


class PreSalePayment(models.Model):
    class Kind(models.TextChoices):
        UPFRONT = "upfront", _("定金/全款")
        BALANCE = "balance", _("尾款")

    presale_order = models.ForeignKey(PreSaleOrder, on_delete=models.PROTECT, related_name="payments")
    payment = models.OneToOneField("payments.OnlinePayment", on_delete=models.PROTECT, related_name="presale_link")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # When this payment's money was counted for the order (its deposit, or its
    # balance); a paid payment never counted (late, or a second balance) is refunded.
    applied_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("预售付款")
        verbose_name_plural = _("预售付款")
