"""Channels (one per external pavilion), their listings, the transactional
outbox that marks listings dirty, dead letters, order-import cursors and the
orders brought home."""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField


class Platform(models.TextChoices):
    JD = "jd", _("京东（JOS）")
    TAOBAO = "taobao", _("淘宝/天猫（TOP）")
    PINDUODUO = "pinduoduo", _("拼多多")
    WECHAT_SHOP = "wechat_shop", _("微信小店")
    PLATFORM_832 = "platform_832", _("832 平台（文件）")
    MERCHANT_FEED = "merchant_feed", _("商品 Feed（Google Merchant 格式）")


class Channel(models.Model):
    """One pavilion we sell in.  Credentials come from the environment
    (``CATALOG_SYNC_<CODE>_APP_SECRET`` …) or, failing that, the encrypted fields here
    (NULL when empty: the encrypted field stores an empty value as NULL)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    platform = models.CharField(_("平台"), max_length=20, choices=Platform.choices)
    is_enabled = models.BooleanField(_("启用"), default=True)
    base_url = models.URLField(_("网关地址"), max_length=300, blank=True)
    app_key = models.CharField(_("App Key"), max_length=120, blank=True)
    app_secret = EncryptedCharField(_("App Secret"), max_length=200, blank=True, null=True)
    access_token = EncryptedCharField(_("Access Token"), max_length=400, blank=True, null=True)
    refresh_token = EncryptedCharField(_("Refresh Token"), max_length=400, blank=True, null=True)
    shop_id = models.CharField(_("店铺 ID"), max_length=64, blank=True)
    # Set when a connector refreshed the tokens: from then on the tokens here win
    # over the environment's (which still hold the first, now spent, ones).
    tokens_refreshed_at = models.DateTimeField(_("令牌刷新时间"), null=True, blank=True)
    stock_buffer = models.PositiveIntegerField(_("库存缓冲（件）"), default=0,
                                               help_text=_("每个 SKU 留在本店、不推给该渠道的件数"))
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试次数"), default=6)
    products = models.ManyToManyField("catalogue.Product", through="ChannelProduct", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("渠道")
        verbose_name_plural = _("渠道")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ChannelProduct(models.Model):
    """A product enabled on a channel (what the cooperative chose to list there)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="channel_products")
    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, related_name="channel_products")
    is_enabled = models.BooleanField(_("上架到该渠道"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "product"], name="channel_product_once")]


class ChannelListing(models.Model):
    """Our product as the channel has it: the remote id, its state, and the hashes
    of what was last pushed (content, price and stock apart)."""

    class State(models.TextChoices):
        PENDING = "pending", _("待推送")
        DRAFT = "draft", _("草稿")
        IN_REVIEW = "in_review", _("审核中")
        LIVE = "live", _("在售")
        REJECTED = "rejected", _("审核未通过")
        FAILED = "failed", _("失败")
        DELISTED = "delisted", _("已下架")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="listings")
    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, related_name="channel_listings")
    key = models.CharField(_("本店商品编码"), max_length=64)
    remote_id = models.CharField(_("渠道商品 ID"), max_length=64, blank=True)   # a string: ids exceed 2**53
    remote_sku_ids = models.JSONField(default=dict, blank=True)               # our SKU key → remote sku id (strings)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    content_hash = models.CharField(max_length=64, blank=True)
    price_hash = models.CharField(max_length=64, blank=True)
    stock_hash = models.CharField(max_length=64, blank=True)
    outcome_unknown = models.BooleanField(default=False,
                                          help_text="a create timed out: look it up by key before creating again")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error_kind = models.CharField(max_length=20, blank=True)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("渠道商品")
        verbose_name_plural = _("渠道商品")
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="channel_listing_key_once"),
            models.UniqueConstraint(fields=["channel", "product"], name="channel_listing_product_once"),
        ]


class OutboxEntry(models.Model):
    """Written in the same transaction as the change it reports; the relay
    claims entries with ``SKIP LOCKED`` and marks them done."""

    class Kind(models.TextChoices):
        CONTENT = "content", _("内容")
        PRICE = "price", _("价格")
        STOCK = "stock", _("库存")
        DELIST = "delist", _("下架")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="outbox")
    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    available_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "available_at"], condition=Q(processed_at__isnull=True),
                                name="outbox_pending")]


class DeadLetter(models.Model):
    """A listing the relay gave up on (N attempts, or an error no retry can fix)."""

    listing = models.ForeignKey(ChannelListing, on_delete=models.CASCADE, related_name="dead_letters")
    operation = models.CharField(max_length=20)
    error_kind = models.CharField(max_length=20)
    error_code = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("死信")
        verbose_name_plural = _("死信")
        ordering = ["-created_at"]


class SyncCall(models.Model):
    """One call to a channel (for the error rate and the dashboard's chart)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="calls")
    operation = models.CharField(max_length=30)
    items = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error_kind = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class OrderCursor(models.Model):
    """How far a channel's orders have been imported (advanced only after the
    orders up to it are durably written)."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="order_cursor")
    imported_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)


class ImportedOrder(models.Model):
    """An order made on a pavilion, stored once (channel + external id) and
    turned into an order of this store for stock and attribution."""

    class State(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("待付款")
        IMPORTED = "imported", _("已生成订单")
        CANCELLED = "cancelled", _("已取消")
        FAILED = "failed", _("无法生成订单")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="imported_orders")
    external_id = models.CharField(_("渠道订单号"), max_length=64)   # a string, always
    order = models.OneToOneField("order.Order", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="channel_import")
    status = models.CharField(_("渠道状态"), max_length=40)
    total = models.DecimalField(_("实付（元）"), max_digits=12, decimal_places=2)
    placed_at = models.DateTimeField(_("下单时间"))
    remote_updated_at = models.DateTimeField()
    imported_at = models.DateTimeField(auto_now_add=True)
    mapping_version = models.PositiveIntegerField(default=1)   # SKU→household mapping version used
    payload = models.JSONField(default=dict)                    # the platform's order, personal data removed
    state = models.CharField(_("导入状态"), max_length=20, choices=State.choices, default=State.AWAITING_PAYMENT)
    # What staff must look at: an unknown SKU (no order made), stock short of a
    # sale already made on the platform, a cancellation the order can no longer take.
    problem = models.TextField(_("待处理问题"), blank=True)

    class Meta:
        verbose_name = _("渠道订单")
        verbose_name_plural = _("渠道订单")
        ordering = ["-placed_at"]
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], name="imported_order_once")]


class PushReceipt(models.Model):
    """A push message already processed (de-duplication by the platform's event id)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="push_receipts")
    event_id = models.CharField(max_length=128)
    topic = models.CharField(max_length=60)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "event_id"], name="push_receipt_once")]


class RemoteDelist(models.Model):
    """A listing whose product was deleted here: it must come off the channel too.
    The listing row goes with its product, so its key and remote id are kept here
    until the channel has confirmed the delisting (``done_at``)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="remote_delists")
    key = models.CharField(_("本店商品编码"), max_length=64)
    remote_id = models.CharField(_("渠道商品 ID"), max_length=64, blank=True)
    title = models.CharField(_("商品"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("已删除商品的下架")
        verbose_name_plural = _("已删除商品的下架")
        indexes = [models.Index(fields=["channel", "next_attempt_at"], condition=Q(done_at__isnull=True),
                                name="remote_delist_pending")]
