"""Online payments through Stripe (card, Alipay, WeChat Pay).

Payment comes first: the basket is frozen and its stock reserved, an
``OnlinePayment`` row is written with its idempotency key, *then* the PaymentIntent
is created. The order is placed when the payment is known to have succeeded,
by whichever of the return URL and the webhook gets there first: the payment row
is locked and ``order`` is one-to-one, so one PaymentIntent makes one order.
"""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethodCode(models.TextChoices):
    CARD = "card", _("银行卡")
    ALIPAY = "alipay", _("支付宝")
    WECHAT_PAY = "wechat_pay", _("微信支付")


class PaymentPurpose(models.TextChoices):
    """What a payment is for. An ORDER payment places its order when it succeeds;
    the others belong to another app, which registers what to do on success in
    ``shop.payments.purposes``."""

    ORDER = "order", _("订单付款")
    PRESALE = "presale", _("预售付款（定金或全款）")
    PRESALE_BALANCE = "presale_balance", _("预售尾款")
    PLEDGE = "pledge", _("众筹支持")


class OnlinePayment(models.Model):
    class Status(models.TextChoices):
        # Ranked: a status never moves to a lower rank (see RANK).
        CREATED = "created", _("待支付")
        REQUIRES_ACTION = "requires_action", _("待验证")
        PROCESSING = "processing", _("处理中")
        FAILED = "failed", _("支付失败")
        CANCELED = "canceled", _("已取消")
        SUCCEEDED = "succeeded", _("已支付")
        PARTIALLY_REFUNDED = "partially_refunded", _("部分退款")
        REFUNDED = "refunded", _("已全额退款")

    RANK = {
        Status.CREATED: 0,
        Status.REQUIRES_ACTION: 1,
        Status.PROCESSING: 2,
        Status.FAILED: 3,
        Status.CANCELED: 3,
        Status.SUCCEEDED: 4,
        Status.PARTIALLY_REFUNDED: 5,
        Status.REFUNDED: 6,
    }

    reference = models.UUIDField(_("支付编号"), default=uuid.uuid4, unique=True, editable=False)
    basket = models.ForeignKey("basket.Basket", on_delete=models.SET_NULL, null=True, related_name="online_payments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="online_payments")
    guest_email = models.EmailField(_("游客邮箱"), blank=True)
    order_number = models.CharField(_("订单号"), max_length=128, unique=True)
    method = models.CharField(_("支付方式"), max_length=20, choices=PaymentMethodCode.choices)
    purpose = models.CharField(_("用途"), max_length=20, choices=PaymentPurpose.choices, default=PaymentPurpose.ORDER)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    delivery = models.JSONField(_("配送选择"))
    # The key of the current attempt at creating the PaymentIntent, stored before
    # the call. An attempt Stripe answered "no" to (a declined card) is closed and
    # the next one gets a new key; an attempt with no answer (timeout) is asked
    # again with the same key and the same parameters (``attempt_card``).
    idempotency_key = models.CharField(max_length=64, unique=True)
    attempt_card = models.CharField(max_length=64, blank=True)
    intent_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    client_secret = models.CharField(max_length=128, blank=True)
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.CREATED)
    amount_received_fen = models.PositiveBigIntegerField(default=0)
    currency_received = models.CharField(max_length=3, blank=True)
    amount_refunded_fen = models.PositiveBigIntegerField(default=0)
    # Refunds already applied to the order (ledger reversed), in fen.
    amount_refund_applied_fen = models.PositiveBigIntegerField(default=0)
    order = models.OneToOneField("order.Order", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="online_payment")
    problem = models.CharField(_("异常说明"), max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("在线支付")
        verbose_name_plural = _("在线支付")

    def __str__(self):
        return f"{self.order_number} {self.method} {self.status}"

    @property
    def amount_fen(self):
        return int(self.amount * 100)

    @property
    def is_paid(self):
        return self.RANK[self.status] >= self.RANK[self.Status.SUCCEEDED]


class WebhookEvent(models.Model):
    """A Stripe event processed once: its id is unique."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    intent_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_created = models.DateTimeField()
    received = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received"]


class OnlineRefund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("退款中")
        SUCCEEDED = "succeeded", _("已退款")
        FAILED = "failed", _("退款失败")

    payment = models.ForeignKey(OnlinePayment, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(max_length=64, unique=True)
    refund_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The order's refund (units claimed, Oscar "退款" event) this money goes with,
    # and when the order was brought in line with it (ledger reversed): until then
    # a retry sends the same key instead of refunding again.
    payment_event = models.ForeignKey("order.PaymentEvent", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created"]
