"""Festival campaigns (年货节, 扶贫日 on 17 October, 双11): a window, a theme that
re-skins the store while the campaign runs, and the products sold in it at a
campaign price, each with an optional flash quota and an optional per-customer
limit.

- ``Campaign``: the window (``starts_at`` ≤ t < ``ends_at``), the theme (a folder
  under ``themes/``), published or draft. Its state at a moment is
  ``state_at(now)``: draft / not started / live / ended.
- ``CampaignProduct``: one product in one campaign: campaign price, ``quota``
  (units sold in the campaign at most; null = only the stock limits it) and
  ``sold`` (units in placed orders), kept ``sold ≤ quota`` by a CHECK constraint,
  and ``per_customer_limit`` (units one customer may buy across all of their
  orders and sessions; null = no limit).
- ``CustomerPurchase``: the units one customer has bought of one campaign
  product, across all their orders (one row per customer and product).
- ``CampaignOrderLine``: which order line was sold in which campaign, at what
  price and when: the source of the live chart, the results export and of
  giving quota back when an order is cancelled.

While a campaign is live, its products are sold only through it (at the
campaign price, against its quota and limits); once the quota is used up the
product shows 已抢光 until the campaign ends.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        NOT_STARTED = "not_started", _("未开始")
        LIVE = "live", _("进行中")
        ENDED = "ended", _("已结束")

    name = models.CharField(_("活动名称"), max_length=80)
    slug = models.SlugField(_("网址标识"), max_length=80, unique=True, allow_unicode=False)
    theme = models.CharField(_("主题"), max_length=40, default="default")
    summary = models.CharField(_("活动简介"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"), db_index=True)
    is_published = models.BooleanField(_("已发布"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("创建人"),
    )
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="campaign_ends_after_start"),
        ]
        verbose_name = _("节庆活动")
        verbose_name_plural = _("节庆活动")

    def __str__(self):
        return self.name

    def state_at(self, now=None):
        now = now or timezone.now()
        if not self.is_published:
            return self.State.DRAFT
        if now < self.starts_at:
            return self.State.NOT_STARTED
        if now < self.ends_at:
            return self.State.LIVE
        return self.State.ENDED

    @property
    def state(self):
        return self.state_at()


class CampaignProduct(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("活动"))
    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="campaign_items", verbose_name=_("商品")
    )
    price = models.DecimalField(_("活动价（元）"), max_digits=10, decimal_places=2)
    quota = models.PositiveIntegerField(_("限量（件）"), null=True, blank=True,
                                        help_text=_("活动期间最多售出的件数；留空则只受库存限制"))
    sold = models.PositiveIntegerField(_("已售（件）"), default=0)
    per_customer_limit = models.PositiveIntegerField(_("每人限购（件）"), null=True, blank=True,
                                                     help_text=_("每位顾客在本活动中累计最多购买的件数；留空则不限"))
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["campaign", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "product"], name="campaignproduct_campaign_product_unique"),
            models.CheckConstraint(condition=Q(quota__isnull=True) | Q(sold__lte=F("quota")),
                                   name="campaignproduct_sold_lte_quota"),
            models.CheckConstraint(condition=Q(price__gt=0), name="campaignproduct_price_positive"),
        ]
        verbose_name = _("活动商品")
        verbose_name_plural = _("活动商品")

    def __str__(self):
        return f"{self.campaign} · {self.product_id}"

    @property
    def quota_left(self):
        return None if self.quota is None else max(self.quota - self.sold, 0)

    @property
    def is_sold_out(self):
        return self.quota is not None and self.sold >= self.quota


class CustomerPurchase(models.Model):
    item = models.ForeignKey(CampaignProduct, on_delete=models.CASCADE, related_name="customer_purchases",
                             verbose_name=_("活动商品"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_purchases",
                             verbose_name=_("顾客"))
    quantity = models.PositiveIntegerField(_("已购（件）"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="customerpurchase_item_user_unique"),
        ]
        verbose_name = _("顾客活动购买数")
        verbose_name_plural = _("顾客活动购买数")


class CampaignOrderLine(models.Model):
    item = models.ForeignKey(CampaignProduct, on_delete=models.PROTECT, related_name="order_lines",
                             verbose_name=_("活动商品"))
    line = models.OneToOneField("order.Line", on_delete=models.CASCADE, related_name="campaign_line",
                                verbose_name=_("订单行"))
    quantity = models.PositiveIntegerField(_("数量"))
    unit_price = models.DecimalField(_("成交单价（元）"), max_digits=10, decimal_places=2)
    sold_at = models.DateTimeField(_("成交时间"), db_index=True)
    released_at = models.DateTimeField(_("退回限量时间"), null=True, blank=True,
                                       help_text=_("订单取消后限量与限购退回的时间"))

    class Meta:
        ordering = ["sold_at", "pk"]
        verbose_name = _("活动成交记录")
        verbose_name_plural = _("活动成交记录")
