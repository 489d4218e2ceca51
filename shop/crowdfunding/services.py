"""Writes of crowdfunding projects and of pledging.

Projects: the campaign length rule (``deadline_validate``: at most
``MAX_CAMPAIGN_DAYS`` after launch), launch, tiers, households, updates and the
project's batch. Pledges: start (wallet: its OnlinePayment with its key; card:
nothing at Stripe yet), the card's SetupIntent (customer and intent created with
keys stored before the calls), confirmation of a saved card, and what a pledge
does when its payment changes (``pledge_payment_settle``, registered for
PaymentPurpose.PLEDGE). The settlement at the deadline is ``settlement``.
"""
import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.checkout.delivery import DeliveryChoice
from shop.fulfilment.selectors import fresh_product_ids, pickup_point_unavailable_reason
from shop.fulfilment.services import InvalidRecipient, recipient_phone_normalise
from shop.fulfilment.shipping import CommunityPickup, LockerPickup
from shop.harvest.models import HarvestBatch
from shop.payments import gateway
from shop.payments import services as payment_services
from shop.payments.models import OnlinePayment, PaymentMethodCode, PaymentPurpose
from shop.producers.models import Membership
from shop.regions.models import ServicePoint

from .models import MAX_CAMPAIGN_DAYS, BackerCustomer, Pledge, Project, ProjectHousehold, ProjectUpdate, RewardTier

logger = logging.getLogger(__name__)
State = Pledge.State

# Online methods a pledge can use: a card is saved, wallets pay at once.
ONLINE_PLEDGE_METHODS = (PaymentMethodCode.CARD, PaymentMethodCode.ALIPAY, PaymentMethodCode.WECHAT_PAY)
PICKUP_METHOD_BY_KIND = {ServicePoint.Kind.COMMUNITY_PICKUP: CommunityPickup.code,
                         ServicePoint.Kind.LOCKER: LockerPickup.code}
# Minutes a started, unpaid pledge holds its place in a limited tier.
PENDING_HOLD_MINUTES = 30


# -- projects --------------------------------------------------------------------

def deadline_validate(*, deadline, launched_at):
    """A deadline after the launch and at most MAX_CAMPAIGN_DAYS after it."""
    if deadline is None:
        raise ValidationError({"deadline": _("请填写截止时间")})
    if deadline <= launched_at:
        raise ValidationError({"deadline": _("截止时间须晚于上线时间")})
    if deadline - launched_at > datetime.timedelta(days=MAX_CAMPAIGN_DAYS):
        raise ValidationError({"deadline": _(
            "众筹期最长 %(days)d 天（支付宝只能在付款后 90 天内退款，须留出结算和退款时间）：截止时间最晚为 %(latest)s"
        ) % {"days": MAX_CAMPAIGN_DAYS,
             "latest": timezone.localtime(launched_at + datetime.timedelta(days=MAX_CAMPAIGN_DAYS)).strftime(
                 "%Y-%m-%d %H:%M")}})


def _product_validate(project):
    origin = getattr(project.product, "origin", None) if project.product_id else None
    if origin is None or origin.market_subject_id != project.market_subject_id:
        raise ValidationError({"product": _("回报商品须是发起合作社登记了产地的商品")})


# Fields a backer relied on: fixed once the project is live.
_TERMS = ("goal_amount", "deadline", "product_id", "market_subject_id")


@transaction.atomic
def project_save(*, project, user=None, now=None):
    """Create or edit a project. The terms (goal, deadline, product, cooperative)
    can change only while it is a draft; a draft's deadline is checked against
    now (the launch checks it again)."""
    now = now or timezone.now()
    if project.pk:
        stored = Project.objects.select_for_update().get(pk=project.pk)
        if stored.state != Project.State.DRAFT:
            changed = [field for field in _TERMS if getattr(stored, field) != getattr(project, field)]
            if changed:
                raise ValidationError(_("项目已上线，目标金额、截止时间、回报商品和发起合作社不能再修改"))
            project.state, project.launched_at = stored.state, stored.launched_at
    else:
        project.created_by = user
        project.state = Project.State.DRAFT
    _product_validate(project)
    if project.state == Project.State.DRAFT:
        deadline_validate(deadline=project.deadline, launched_at=now)
    if project.batch_id:
        batch_validate(project=project, batch=project.batch)
    project.save()
    return project


@transaction.atomic
def project_launch(*, project, now=None):
    """Draft → live: pledging opens now, until the deadline (≤ 80 days)."""
    now = now or timezone.now()
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.state != Project.State.DRAFT:
        raise ValidationError(_("只有草稿项目可以上线"))
    if not project.tiers.exists():
        raise ValidationError(_("请先添加至少一个回报档位"))
    deadline_validate(deadline=project.deadline, launched_at=now)
    project.state = Project.State.LIVE
    project.launched_at = now
    project.save(update_fields=["state", "launched_at", "updated"])
    return project


def batch_validate(*, project, batch):
    """The project's batch: of its product and cooperative, sellable, and supplied
    by exactly the project's households (so the ledger names exactly them)."""
    if batch.product_id != project.product_id or batch.market_subject_id != project.market_subject_id:
        raise ValidationError({"batch": _("项目批次须是发起合作社该回报商品的批次")})
    if batch.inspection_result != HarvestBatch.Inspection.PASSED:
        raise ValidationError({"batch": _("项目批次质检不合格，不能发货")})
    batch_households = set(batch.contributions.values_list("household_id", flat=True))
    project_households = set(ProjectHousehold.objects.filter(project_id=project.pk).values_list("household_id",
                                                                                                flat=True))
    if not batch_households or batch_households != project_households:
        raise ValidationError({"batch": _("项目批次的供货农户须与项目参与农户完全一致")})


def _not_decided(project):
    if project.is_decided:
        raise ValidationError(_("项目已结束，不能再修改"))


@transaction.atomic
def tier_save(*, tier):
    """A tier's amount must split evenly over its units to the fen (the order line
    of each backer carries exactly the amount pledged). Amount and units are
    fixed once someone pledged."""
    project = Project.objects.select_for_update().get(pk=tier.project_id)
    _not_decided(project)
    if tier.amount is None or tier.amount <= 0 or not tier.quantity:
        raise ValidationError(_("请填写支持金额和回报数量"))
    if int(tier.amount * 100) % tier.quantity:
        raise ValidationError({"amount": _("支持金额须能按回报件数均分到分（例如 5 件配 ¥298.00，每件 ¥59.60）")})
    if tier.pk:
        stored = RewardTier.objects.get(pk=tier.pk)
        if stored.pledges.exists() and (stored.amount, stored.quantity) != (tier.amount, tier.quantity):
            raise ValidationError(_("该档位已有人支持，金额和回报数量不能再修改"))
    tier.save()
    return tier


@transaction.atomic
def tier_delete(*, tier):
    if tier.pledges.exists():
        raise ValidationError(_("该档位已有人支持，不能删除"))
    tier.delete()


@transaction.atomic
def project_household_add(*, project, household, note=""):
    project = Project.objects.select_for_update().get(pk=project.pk)
    _not_decided(project)
    if not Membership.objects.filter(household=household, market_subject_id=project.market_subject_id).exists():
        raise ValidationError({"household": _("该农户不是发起合作社的成员")})
    if ProjectHousehold.objects.filter(project=project, household=household).exists():
        raise ValidationError({"household": _("该农户已在项目中")})
    return ProjectHousehold.objects.create(project=project, household=household, note=(note or "").strip())


@transaction.atomic
def project_household_remove(*, project_household):
    project = Project.objects.select_for_update().get(pk=project_household.project_id)
    _not_decided(project)
    if project.batch_id:
        raise ValidationError(_("项目已设置批次，参与农户不能再移除"))
    project_household.delete()


def update_post(*, project, title, body, user=None, published_at=None):
    return ProjectUpdate.objects.create(project=project, title=title.strip(), body=body.strip(), created_by=user,
                                        published_at=published_at or timezone.now())


# -- pledging --------------------------------------------------------------------

class PledgeRefused(ValidationError):
    """A pledge cannot be made; the messages are for the backer."""


def pledge_methods():
    """The online methods a pledge may use now, in display order (none without Stripe keys)."""
    enabled = gateway.online_methods_enabled()
    return [code for code in ONLINE_PLEDGE_METHODS if code in enabled]


def pledging_open(project, now=None):
    now = now or timezone.now()
    return project.state == Project.State.LIVE and project.launched_at <= now < project.deadline


def tier_taken(*, tier, now=None):
    """Backers holding the tier: committed pledges and ones started in the last half hour."""
    now = now or timezone.now()
    recent = now - datetime.timedelta(minutes=PENDING_HOLD_MINUTES)
    return tier.pledges.filter(state__in=Pledge.COMMITTED).count() + tier.pledges.filter(
        state=State.PENDING, created__gte=recent).count()


def pickup_choice(*, project, service_point, recipient_name, recipient_phone):
    """The DeliveryChoice of a pledge's fulfilment order, or PledgeRefused."""
    requires_cold = bool(fresh_product_ids(product_ids=[project.product_id]))
    reason = pickup_point_unavailable_reason(service_point=service_point, requires_cold_storage=requires_cold)
    if reason:
        raise PledgeRefused({"service_point": reason})
    name = (recipient_name or "").strip()
    if not name:
        raise PledgeRefused({"recipient_name": _("请填写取货人姓名")})
    try:
        phone = recipient_phone_normalise(recipient_phone)
    except InvalidRecipient as exc:
        raise PledgeRefused({"recipient_phone": str(exc)}) from exc
    return DeliveryChoice(method_code=PICKUP_METHOD_BY_KIND[service_point.kind], recipient_name=name,
                          recipient_phone=phone, service_point_id=service_point.pk)


def _number(pledge):
    return f"ZC{pledge.pk:08d}"


@transaction.atomic
def pledge_start(*, project, tier, user, method, delivery: DeliveryChoice, now=None):
    """Record a pledge (and, for a wallet, its payment with its idempotency key).
    Nothing is sent to Stripe here. Raises PledgeRefused."""
    now = now or timezone.now()
    tier = RewardTier.objects.select_for_update().select_related("project").get(pk=tier.pk)
    if tier.project_id != project.pk:
        raise PledgeRefused(_("回报档位不属于该项目"))
    project = tier.project
    if not pledging_open(project, now):
        raise PledgeRefused(_("该项目不在众筹期内，不能支持"))
    if method not in pledge_methods():
        raise PledgeRefused(_("在线支持暂未开通（未配置在线支付）"))
    if tier.limit is not None and tier_taken(tier=tier, now=now) >= tier.limit:
        raise PledgeRefused(_("「%(tier)s」已被认领完") % {"tier": tier.title})
    pledge = Pledge.objects.create(project=project, tier=tier, user=user, amount=tier.amount,
                                   quantity=tier.quantity, method=method, delivery=delivery.to_json(),
                                   payment=_wallet_payment(user=user, method=method, amount=tier.amount,
                                                           delivery=delivery))
    pledge.number = _number(pledge)
    Pledge.objects.filter(pk=pledge.pk).update(number=pledge.number)
    if pledge.payment is not None:
        OnlinePayment.objects.filter(pk=pledge.payment.pk).update(order_number=pledge.number)
        pledge.payment.order_number = pledge.number
    return pledge


def _wallet_payment(*, user, method, amount, delivery):
    if method == PaymentMethodCode.CARD:
        return None
    return OnlinePayment.objects.create(
        user=user, method=method, purpose=PaymentPurpose.PLEDGE, amount=amount, currency="CNY",
        delivery=delivery.to_json(), order_number=payment_services.new_key("zc"),  # the pledge number once known
        idempotency_key=payment_services.new_key("pi"),
    )


def pledge_record(*, project, tier, user, delivery: DeliveryChoice, paid_at=None):
    """A pledge recorded as paid outside Stripe (paid to the cooperative, or demo data)."""
    with transaction.atomic():
        pledge = Pledge.objects.create(project=project, tier=tier, user=user, amount=tier.amount,
                                       quantity=tier.quantity, method=Pledge.Method.RECORDED, state=State.PAID,
                                       delivery=delivery.to_json(), paid_at=paid_at or timezone.now())
        pledge.number = _number(pledge)
        Pledge.objects.filter(pk=pledge.pk).update(number=pledge.number)
    return pledge


def _stripe_data(obj):
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def backer_customer_ensure(*, user):
    """The user's Stripe Customer id, created once (key stored before the call)."""
    record, _created = BackerCustomer.objects.get_or_create(
        user=user, defaults={"idempotency_key": payment_services.new_key("cus")})
    if record.customer_id:
        return record.customer_id
    try:
        customer = gateway.customer_create(params={"metadata": {"user_id": str(user.pk)}},
                                           idempotency_key=record.idempotency_key)
    except gateway.stripe.StripeError as exc:
        logger.warning("Customer create failed for user %s: %s", user.pk, exc.__class__.__name__)
        raise payment_services.PaymentError(_("暂时无法保存银行卡，请稍后重试")) from exc
    BackerCustomer.objects.filter(pk=record.pk, customer_id__isnull=True).update(customer_id=customer.id)
    return BackerCustomer.objects.get(pk=record.pk).customer_id


def pledge_card_setup_ensure(*, pledge):
    """The client secret of the pledge's SetupIntent, created once: its key is
    stored before the call, a retry after a lost answer asks again with it."""
    pledge = Pledge.objects.get(pk=pledge.pk)
    if pledge.method != Pledge.Method.CARD or pledge.state != State.PENDING:
        raise payment_services.PaymentError(_("该支持无需绑卡"))
    if pledge.setup_intent_id and pledge.setup_client_secret:
        return pledge.setup_client_secret
    customer_id = backer_customer_ensure(user=pledge.user)
    if not pledge.setup_key:
        Pledge.objects.filter(pk=pledge.pk, setup_key__isnull=True).update(setup_key=payment_services.new_key("seti"))
        pledge.refresh_from_db()
    params = {"customer": customer_id, "usage": "off_session", "payment_method_types": [PaymentMethodCode.CARD],
              "metadata": {"pledge_reference": str(pledge.reference), "pledge_number": pledge.number}}
    try:
        intent = gateway.setup_intent_create(params=params, idempotency_key=pledge.setup_key)
    except gateway.stripe.StripeError as exc:
        logger.warning("SetupIntent create failed for %s: %s", pledge.number, exc.__class__.__name__)
        raise payment_services.PaymentError(_("暂时无法保存银行卡，请稍后重试")) from exc
    data = _stripe_data(intent)
    Pledge.objects.filter(pk=pledge.pk).update(setup_intent_id=data["id"], setup_client_secret=data["client_secret"],
                                               customer_id=customer_id)
    return data["client_secret"]


def pledge_card_sync(*, pledge, now=None):
    """Ask Stripe whether the pledge's card was saved; a saved card while the
    project takes pledges (or once the settlement job finds it) becomes
    CARD_SAVED. Returns the pledge."""
    pledge = Pledge.objects.get(pk=pledge.pk)
    if pledge.method != Pledge.Method.CARD or pledge.state != State.PENDING or not pledge.setup_intent_id:
        return pledge
    data = _stripe_data(gateway.setup_intent_retrieve(pledge.setup_intent_id))
    if data.get("status") != "succeeded" or not data.get("payment_method"):
        return pledge
    method_id = data["payment_method"]
    if isinstance(method_id, dict):
        method_id = method_id["id"]
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().select_related("project").get(pk=pledge.pk)
        if pledge.state == State.PENDING:
            pledge.state = State.CARD_SAVED
            pledge.payment_method_id = method_id
            pledge.customer_id = data.get("customer") or pledge.customer_id
            pledge.paid_at = now or timezone.now()
            pledge.save(update_fields=["state", "payment_method_id", "customer_id", "paid_at", "updated"])
    return pledge


def pledge_abandon(*, pledge):
    """The backer gives up a pledge not yet paid: cancel its PaymentIntent (a
    payment that went through after all is kept: the pledge becomes PAID)."""
    pledge = Pledge.objects.get(pk=pledge.pk)
    if pledge.state != State.PENDING:
        return pledge
    if pledge.payment_id:
        payment_services.payment_abandon(payment=pledge.payment)  # settles the pledge (PAID or CANCELED)
        return Pledge.objects.get(pk=pledge.pk)
    Pledge.objects.filter(pk=pledge.pk, state=State.PENDING).update(state=State.CANCELED, updated=timezone.now())
    return Pledge.objects.get(pk=pledge.pk)


def pledge_payment_settle(payment):
    """PaymentPurpose.PLEDGE: bring the pledge in line with its payment (called
    with the payment row locked, each time Stripe's news is merged; idempotent)."""
    pledge = Pledge.objects.select_for_update().filter(payment_id=payment.pk).first()
    if pledge is None:
        return
    Status = OnlinePayment.Status
    changes = {}
    if payment.is_paid and pledge.state in (State.PENDING, State.CANCELED, State.CHARGING):
        if payment.amount_received_fen != payment.amount_fen or (payment.currency_received or "cny") != "cny":
            changes["problem"] = _("金额或币种不符：收到 %(got)s %(currency)s，应为 ¥%(due)s") % {
                "got": f"{payment.amount_received_fen / 100:.2f}", "currency": payment.currency_received.upper(),
                "due": f"{pledge.amount:.2f}"}
        changes["state"] = State.PAID
        changes["paid_at"] = timezone.now()
    elif payment.status in (Status.FAILED, Status.CANCELED) and not payment.is_paid:
        if pledge.state == State.PENDING:
            changes["state"] = State.CANCELED
            changes["problem"] = _("支付未完成")
        elif pledge.state == State.CHARGING:
            changes["state"] = State.CHARGE_FAILED
            changes["problem"] = _("银行卡扣款未成功")
    if payment.amount_refunded_fen >= payment.amount_fen > 0 and pledge.state in (State.PAID, State.REFUNDING):
        if pledge.refund_id is None:
            changes["problem"] = _("已在 Stripe 后台全额退款")
        changes["state"] = State.REFUNDED
    if changes:
        for field, value in changes.items():
            setattr(pledge, field, value)
        pledge.save(update_fields=[*changes, "updated"])
