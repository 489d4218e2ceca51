"""All-or-nothing crowdfunding (众筹 / 认养, e.g. 认养一棵高州荔枝树, a season's fruit).

- ``Project``: a cooperative's (market subject's) campaign for one product, with
  a goal in CNY and a deadline at most ``MAX_CAMPAIGN_DAYS`` after launch (Alipay
  refunds are only possible for 90 days after payment). States: draft → live →
  succeeded / failed (decided once, at the deadline) → settled (every pledge done).
- ``RewardTier``: what a backer gets for an amount: units of the product, and
  an optional limit on how many backers may take it.
- ``ProjectHousehold``: the registered households behind the project (members of
  its market subject); shown publicly by consented alias only, others counted.
- ``ProjectUpdate``: news posted by the cooperative.
- ``Pledge``: one backer's support of one tier, with a per-pledge state machine
  (see ``Pledge.State``) that the settlement job advances one step at a time
  under row locks. Wallet pledges (Alipay, WeChat Pay) are paid at once: their
  ``OnlinePayment`` (purpose 众筹支持) exists from the start. A card is saved
  (Stripe SetupIntent) and charged off-session only when the goal is met; its
  ``OnlinePayment`` is written, with its idempotency key, just before that charge.
- ``BackerCustomer``: the Stripe Customer a consumer's saved cards belong to.
"""
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Alipay refunds are possible for 90 days after payment; a campaign is at most
# 80 days long, leaving ten days for settlement and refunds.
MAX_CAMPAIGN_DAYS = 80


class Project(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        LIVE = "live", _("众筹中")
        SUCCEEDED = "succeeded", _("众筹成功")
        FAILED = "failed", _("众筹未成功")
        SETTLED = "settled", _("已结算")

    slug = models.SlugField(_("网址标识"), max_length=80, unique=True)
    title = models.CharField(_("项目名称"), max_length=80)
    summary = models.CharField(_("一句话介绍"), max_length=200)
    story = models.TextField(_("项目故事"))
    market_subject = models.ForeignKey("producers.MarketSubject", on_delete=models.PROTECT,
                                       related_name="crowdfunding_projects", verbose_name=_("发起合作社"))
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="crowdfunding_projects",
                                verbose_name=_("回报商品"))
    goal_amount = models.DecimalField(_("目标金额（元）"), max_digits=12, decimal_places=2,
                                      validators=[MinValueValidator(1)])
    deadline = models.DateTimeField(_("截止时间"))
    delivery_note = models.CharField(_("发货说明"), max_length=200, blank=True,
                                     help_text=_("例如：2026年6月上旬采摘后统一冷链配送到自提点"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT)
    launched_at = models.DateTimeField(_("上线时间"), null=True, blank=True)
    # The project's harvest batch: the fulfilment orders' lines are allocated to
    # it, so the ledger names exactly its households.
    batch = models.ForeignKey("harvest.HarvestBatch", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="crowdfunding_projects", verbose_name=_("项目批次"))
    households = models.ManyToManyField("producers.Household", through="ProjectHousehold", related_name="+",
                                        verbose_name=_("参与农户"))
    # Decided once at the deadline: the committed total then, and whether it met the goal.
    decided_at = models.DateTimeField(_("结果判定时间"), null=True, blank=True)
    decided_total = models.DecimalField(_("判定时筹得金额"), max_digits=12, decimal_places=2, null=True, blank=True)
    goal_met = models.BooleanField(_("达成目标"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结算完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("众筹项目")
        verbose_name_plural = _("众筹项目")
        constraints = [
            models.CheckConstraint(condition=Q(goal_amount__gt=0), name="crowdfunding_goal_positive"),
            models.CheckConstraint(condition=Q(state="draft") | Q(launched_at__isnull=False),
                                   name="crowdfunding_launched_unless_draft"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crowdfunding:detail", kwargs={"slug": self.slug})

    @property
    def is_decided(self):
        return self.state in (self.State.SUCCEEDED, self.State.FAILED, self.State.SETTLED)


class RewardTier(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("项目"))
    title = models.CharField(_("档位名称"), max_length=60)
    amount = models.DecimalField(_("支持金额（元）"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(1)])
    description = models.CharField(_("回报内容"), max_length=300)
    quantity = models.PositiveIntegerField(_("回报商品数量（件）"), validators=[MinValueValidator(1)])
    limit = models.PositiveIntegerField(_("限量份数"), null=True, blank=True,
                                        help_text=_("留空表示不限量"))
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["project", "position", "amount", "pk"]
        verbose_name = _("回报档位")
        verbose_name_plural = _("回报档位")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="crowdfunding_tier_amount_positive"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="crowdfunding_tier_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.title}（¥{self.amount}）"


class ProjectHousehold(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="project_households",
                                verbose_name=_("项目"))
    household = models.ForeignKey("producers.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("农户"))
    note = models.CharField(_("说明"), max_length=100, blank=True, help_text=_("例如：认养果树 12 棵"))

    class Meta:
        ordering = ["project", "pk"]
        verbose_name = _("项目农户")
        verbose_name_plural = _("项目农户")
        constraints = [models.UniqueConstraint(fields=["project", "household"], name="crowdfunding_household_once")]

    def __str__(self):
        return f"{self.project_id} · {self.household_id}"


class ProjectUpdate(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates", verbose_name=_("项目"))
    title = models.CharField(_("标题"), max_length=80)
    body = models.TextField(_("内容"))
    published_at = models.DateTimeField(_("发布时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("项目动态")
        verbose_name_plural = _("项目动态")

    def __str__(self):
        return self.title


class BackerCustomer(models.Model):
    """The Stripe Customer of a consumer's saved cards: the key is stored before
    the create call, so a retry never makes a second customer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stripe_customer")
    idempotency_key = models.CharField(max_length=64, unique=True)
    customer_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)


class Pledge(models.Model):
    class Method(models.TextChoices):
        CARD = "card", _("银行卡（成功后扣款）")
        ALIPAY = "alipay", _("支付宝")
        WECHAT_PAY = "wechat_pay", _("微信支付")
        # Recorded as paid by staff (paid to the cooperative directly, or demo data):
        # no Stripe payment; a failed project leaves it for an offline refund.
        RECORDED = "recorded", _("线下登记")

    class State(models.TextChoices):
        PENDING = "pending", _("待支付")
        CARD_SAVED = "card_saved", _("已绑卡，成功后扣款")
        PAID = "paid", _("已支付")
        CHARGING = "charging", _("扣款中")
        CHARGE_FAILED = "charge_failed", _("扣款失败")
        FULFILLED = "fulfilled", _("已生成回报订单")
        REFUNDING = "refunding", _("退款中")
        REFUND_FAILED = "refund_failed", _("退款被拒，待人工处理")
        REFUNDED = "refunded", _("已退款")
        RELEASED = "released", _("未扣款（项目未成功）")
        OFFLINE_REFUND = "offline_refund", _("待线下退款")
        CANCELED = "canceled", _("已取消")

    # What counts towards the goal.
    COMMITTED = (State.CARD_SAVED, State.PAID, State.CHARGING, State.FULFILLED)
    # Nothing more happens to these.
    FINAL = (State.CHARGE_FAILED, State.FULFILLED, State.REFUNDED, State.RELEASED, State.OFFLINE_REFUND,
             State.CANCELED)

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # "ZC" + 8 digits: the payment's and the fulfilment order's number.
    number = models.CharField(_("支持编号"), max_length=20, unique=True, null=True, blank=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("项目"))
    tier = models.ForeignKey(RewardTier, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("回报档位"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledges",
                             verbose_name=_("支持者"))
    amount = models.DecimalField(_("支持金额"), max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField(_("回报数量（件）"))
    method = models.CharField(_("支付方式"), max_length=12, choices=Method.choices)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    # shop.checkout.delivery.DeliveryChoice (a pickup point) of the fulfilment order.
    delivery = models.JSONField(_("自提信息"))
    payment = models.OneToOneField("payments.OnlinePayment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="pledge")
    # Card: the SetupIntent (its create key stored before the call) and the saved card.
    setup_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    setup_intent_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    setup_client_secret = models.CharField(max_length=128, blank=True)
    payment_method_id = models.CharField(max_length=64, blank=True)
    customer_id = models.CharField(max_length=64, blank=True)
    refund = models.OneToOneField("payments.OnlineRefund", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="pledge")
    order = models.OneToOneField("order.Order", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="pledge")
    problem = models.CharField(_("异常说明"), max_length=255, blank=True)
    paid_at = models.DateTimeField(_("支付/绑卡时间"), null=True, blank=True)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("众筹支持")
        verbose_name_plural = _("众筹支持")
        indexes = [models.Index(fields=["project", "state"], name="pledge_project_state")]
        constraints = [
            # Never a charge for a saved card without the card, never a wallet pledge without its payment.
            models.CheckConstraint(condition=~Q(state="card_saved") | ~Q(payment_method_id=""),
                                   name="pledge_saved_card_known"),
            models.CheckConstraint(condition=~Q(method__in=["alipay", "wechat_pay"]) | Q(payment__isnull=False),
                                   name="pledge_wallet_has_payment"),
        ]

    def __str__(self):
        return self.number or str(self.reference)

    def get_absolute_url(self):
        return reverse("crowdfunding:pledge", kwargs={"reference": self.reference})

    @property
    def is_final(self):
        return self.state in self.FINAL
