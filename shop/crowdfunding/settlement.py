"""Settlement at the deadline: all or nothing.

``project_settle`` first asks Stripe about pledges still pending, then decides
the project once (under its row lock): the committed total (paid wallets, saved
cards, recorded pledges) meets the goal → 众筹成功, else 众筹未成功. Then it moves
each pledge on, one pledge at a time, each step in its own transaction under
the pledge's row lock (its payment's first, the order the webhooks lock in):

goal met
    CARD_SAVED → CHARGING (its OnlinePayment and idempotency key written and
    committed) → off-session PaymentIntent with that key → PAID (or CHARGE_FAILED);
    PAID → FULFILLED (one fulfilment order, ``orders.pledge_order_place``).
goal missed
    PAID → REFUNDING (the refund row and its key written and committed) → the
    Stripe refund with that key → REFUNDED; a saved card → RELEASED (never
    charged); a recorded pledge → OFFLINE_REFUND.
either way
    PENDING → CANCELED (its PaymentIntent cancelled; if it was paid after all it
    becomes PAID and is handled as above).

Every Stripe call carries a key stored before it, and a pledge's state says
which call is due, so running it twice, or crashing anywhere and running it
again, charges and refunds each pledge at most once: a retried call replays
Stripe's first answer. The project is 已结算 once every pledge is final.
"""
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_class

from shop.payments import gateway
from shop.payments import services as payment_services
from shop.payments.models import OnlinePayment, PaymentMethodCode, PaymentPurpose

from . import services
from .models import Pledge, Project
from .orders import pledge_order_place

logger = logging.getLogger(__name__)
State = Pledge.State
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")


@dataclass
class SettlementResult:
    project: Project
    decided_now: bool = False
    # Pledge numbers by what happened to them in this run.
    charged: list = field(default_factory=list)
    charge_failed: list = field(default_factory=list)
    fulfilled: list = field(default_factory=list)
    refunded: list = field(default_factory=list)
    released: list = field(default_factory=list)
    canceled: list = field(default_factory=list)
    # Left for the next run (Stripe's answer lost, the project's batch missing, …): number → reason.
    waiting: dict = field(default_factory=dict)

    @property
    def settled(self):
        return self.project.state == Project.State.SETTLED


def committed_total(project):
    total = project.pledges.filter(state__in=Pledge.COMMITTED).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def _pending_sync(project):
    """Ask Stripe about pledges still pending (a webhook or return may be late)."""
    for pledge in project.pledges.filter(state=State.PENDING).select_related("payment").order_by("pk"):
        try:
            if pledge.payment_id and pledge.payment.intent_id:
                payment_services.payment_sync(payment=pledge.payment)
            elif pledge.method == Pledge.Method.CARD:
                services.pledge_card_sync(pledge=pledge)
        except gateway.stripe.StripeError as exc:
            logger.warning("Pending pledge %s not synced: %s", pledge.number, exc.__class__.__name__)


@transaction.atomic
def project_decide(*, project, now=None):
    """Live and past the deadline → succeeded or failed, once. Returns (project, decided now)."""
    now = now or timezone.now()
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.state != Project.State.LIVE or now < project.deadline:
        return project, False
    total = committed_total(project)
    project.decided_total = total
    project.goal_met = total >= project.goal_amount
    project.decided_at = now
    project.state = Project.State.SUCCEEDED if project.goal_met else Project.State.FAILED
    project.save(update_fields=["decided_total", "goal_met", "decided_at", "state", "updated"])
    return project, True


def project_settle(*, project, now=None) -> SettlementResult:
    """Decide the project if its deadline has passed, then move every pledge on
    as far as it can go. Safe to run any number of times."""
    now = now or timezone.now()
    project = Project.objects.get(pk=project.pk)
    if project.state == Project.State.LIVE and now >= project.deadline:
        _pending_sync(project)
    project, decided_now = project_decide(project=project, now=now)
    result = SettlementResult(project=project, decided_now=decided_now)
    if project.state not in (Project.State.SUCCEEDED, Project.State.FAILED):
        return result
    for pledge_id in project.pledges.exclude(state__in=Pledge.FINAL).order_by("pk").values_list("pk", flat=True):
        pledge_advance(pledge_id=pledge_id, result=result)
    result.project = _settled_mark(project)
    return result


@transaction.atomic
def _settled_mark(project):
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.state in (Project.State.SUCCEEDED, Project.State.FAILED) and not project.pledges.exclude(
            state__in=Pledge.FINAL).exists():
        project.state = Project.State.SETTLED
        project.settled_at = timezone.now()
        project.save(update_fields=["state", "settled_at", "updated"])
    return project


def projects_settle_due(*, now=None) -> list[SettlementResult]:
    """Every project past its deadline and not yet settled (the daily job)."""
    now = now or timezone.now()
    due = Project.objects.filter(state=Project.State.LIVE, deadline__lte=now) | Project.objects.filter(
        state__in=(Project.State.SUCCEEDED, Project.State.FAILED))
    return [project_settle(project=project, now=now) for project in due.order_by("deadline", "pk")]


# -- one pledge, one step at a time ------------------------------------------------

def _locked(pledge_id):
    """The pledge and its payment, locked payment first (as the webhooks lock them)."""
    payment_id = Pledge.objects.filter(pk=pledge_id).values_list("payment_id", flat=True).first()
    payment = OnlinePayment.objects.select_for_update().get(pk=payment_id) if payment_id else None
    pledge = Pledge.objects.select_for_update().select_related("project", "tier", "user").get(pk=pledge_id)
    if pledge.payment_id != payment_id:  # a charge payment was attached meanwhile: lock that one too
        payment = OnlinePayment.objects.select_for_update().get(pk=pledge.payment_id)
    return pledge, payment


def pledge_advance(*, pledge_id, result):
    """Move one pledge on until it is final or must wait for a later run."""
    for _step in range(6):  # PENDING → PAID → REFUNDING → REFUNDED is the longest path
        pledge = Pledge.objects.select_related("project").get(pk=pledge_id)
        if pledge.is_final or not pledge.project.is_decided:
            return
        goal_met = pledge.project.goal_met
        step = _STEPS.get((goal_met, pledge.state)) or _STEPS.get((None, pledge.state))
        if step is None or not step(pledge_id, result):
            return


def _pending_cancel(pledge_id, result):
    pledge = Pledge.objects.select_related("payment").get(pk=pledge_id)
    try:
        if pledge.method == Pledge.Method.CARD:
            pledge = services.pledge_card_sync(pledge=pledge)
            if pledge.state == State.PENDING:
                Pledge.objects.filter(pk=pledge_id, state=State.PENDING).update(
                    state=State.CANCELED, problem=_("截止时未完成绑卡"), updated=timezone.now())
        else:
            services.pledge_abandon(pledge=pledge)
    except (gateway.stripe.StripeError, payment_services.PaymentError) as exc:
        result.waiting[pledge.number] = str(exc)
        return False
    state = Pledge.objects.get(pk=pledge_id).state
    if state == State.CANCELED:
        result.canceled.append(pledge.number)
    return state != State.PENDING


def _charge_start(pledge_id, result):
    """CARD_SAVED → CHARGING: the charge's payment row and key, committed before any call."""
    with transaction.atomic():
        pledge, _payment = _locked(pledge_id)
        if pledge.state != State.CARD_SAVED:
            return True
        payment = OnlinePayment.objects.create(
            user=pledge.user, method=PaymentMethodCode.CARD, purpose=PaymentPurpose.PLEDGE, amount=pledge.amount,
            currency="CNY", delivery=pledge.delivery, order_number=pledge.number,
            idempotency_key=payment_services.new_key("pi"),
        )
        pledge.payment = payment
        pledge.state = State.CHARGING
        pledge.save(update_fields=["payment", "state", "updated"])
    return True


def _charge_send(pledge_id, result):
    """CHARGING: the off-session PaymentIntent with the stored key (a retry
    replays Stripe's first answer), then its outcome merged into the payment."""
    pledge = Pledge.objects.select_related("payment").get(pk=pledge_id)
    payment = pledge.payment
    try:
        if payment.intent_id:
            intent = gateway.intent_retrieve(payment.intent_id)
        else:
            params = gateway.off_session_intent_params(payment=payment, customer_id=pledge.customer_id,
                                                       payment_method_id=pledge.payment_method_id)
            intent = gateway.intent_create(params=params, idempotency_key=payment.idempotency_key)
    except gateway.stripe.StripeError as exc:
        if gateway.answer_lost(exc):
            result.waiting[pledge.number] = _("扣款结果暂未确认，下次结算时以同一幂等键重试")
            return False
        _charge_refused(pledge_id, getattr(exc, "user_message", None) or _("银行卡扣款被拒绝"))
        result.charge_failed.append(pledge.number)
        return False
    data = intent.to_dict()
    OnlinePayment.objects.filter(pk=payment.pk, intent_id__isnull=True).update(intent_id=data["id"])
    if data.get("status") in ("requires_action", "requires_payment_method", "requires_confirmation"):
        # The bank wants the card holder (3-D Secure): an off-session charge cannot go on.
        try:
            gateway.intent_cancel(data["id"])
        except gateway.stripe.StripeError:
            logger.info("Cancel of %s refused", data["id"])
        _charge_refused(pledge_id, _("发卡行要求持卡人验证，无法自动扣款"))
        result.charge_failed.append(pledge.number)
        return False
    payment_services.payment_observe_intent(payment=payment, intent=intent)  # settles the pledge
    state = Pledge.objects.get(pk=pledge_id).state
    if state == State.PAID:
        result.charged.append(pledge.number)
        return True
    if state == State.CHARGE_FAILED:
        result.charge_failed.append(pledge.number)
    else:
        result.waiting[pledge.number] = _("扣款处理中")
    return False


@transaction.atomic
def _charge_refused(pledge_id, reason):
    pledge, payment = _locked(pledge_id)
    if pledge.state != State.CHARGING:
        return
    if payment is not None and not payment.is_paid:
        payment.status = OnlinePayment.Status.FAILED
        payment.problem = reason[:255]
        payment.save(update_fields=["status", "problem", "updated"])
    pledge.state = State.CHARGE_FAILED
    pledge.problem = reason[:255]
    pledge.save(update_fields=["state", "problem", "updated"])


def _fulfil(pledge_id, result):
    """PAID (goal met) → FULFILLED: one order, placed in the transaction that records it."""
    try:
        with transaction.atomic():
            pledge, payment = _locked(pledge_id)
            if pledge.state != State.PAID or pledge.order_id is not None:
                return True
            order = pledge_order_place(pledge=pledge, payment=payment)
            pledge.order = order
            pledge.state = State.FULFILLED
            pledge.problem = ""
            pledge.save(update_fields=["order", "state", "problem", "updated"])
            if payment is not None:
                OnlinePayment.objects.filter(pk=payment.pk, order__isnull=True).update(order=order)
    except UnableToPlaceOrder as exc:
        Pledge.objects.filter(pk=pledge_id).update(problem=str(exc)[:255], updated=timezone.now())
        result.waiting[pledge.number] = str(exc)
        return False
    from shop.checkout.placement import order_placed_email_send

    transaction.on_commit(lambda: order_placed_email_send(order=order))
    result.fulfilled.append(pledge.number)
    return True


def _refund_start(pledge_id, result):
    """PAID (goal missed) → REFUNDING with the refund row and its key committed,
    or, with no Stripe payment, OFFLINE_REFUND."""
    with transaction.atomic():
        pledge, payment = _locked(pledge_id)
        if pledge.state != State.PAID:
            return True
        if payment is None:
            pledge.state = State.OFFLINE_REFUND
            pledge.save(update_fields=["state", "updated"])
            return False
        amount = Decimal(payment.amount_received_fen - payment.amount_refunded_fen) / 100
        if amount <= 0:  # refunded already (e.g. in Stripe's dashboard)
            pledge.state = State.REFUNDED
            pledge.save(update_fields=["state", "updated"])
            return False
        refund = payment_services.refund_record(
            payment=payment, amount=amount,
            reason=_("众筹未达成目标，全额退款（%(project)s）") % {"project": pledge.project.title})
        pledge.refund = refund
        pledge.state = State.REFUNDING
        pledge.save(update_fields=["refund", "state", "updated"])
    return True


def _refund_send(pledge_id, result):
    """REFUNDING: the Stripe refund with the stored key (a retry replays the first answer)."""
    pledge = Pledge.objects.select_related("refund__payment").get(pk=pledge_id)
    refund = pledge.refund
    if not refund.refund_id:
        try:
            payment_services.refund_send(refund=refund)
        except payment_services.StripeRefused as exc:
            with transaction.atomic():
                pledge, _payment = _locked(pledge_id)
                if pledge.state == State.REFUNDING:
                    pledge.state = State.REFUND_FAILED
                    pledge.problem = str(exc)[:255]
                    pledge.save(update_fields=["state", "problem", "updated"])
            result.waiting[pledge.number] = str(exc)
            return False
        except payment_services.PaymentError as exc:  # no answer: the same key next time
            result.waiting[pledge.number] = str(exc)
            return False
    with transaction.atomic():
        pledge, _payment = _locked(pledge_id)
        if pledge.state == State.REFUNDING:
            pledge.state = State.REFUNDED
            pledge.save(update_fields=["state", "updated"])
    result.refunded.append(pledge.number)
    return False


@transaction.atomic
def _release(pledge_id, result):
    """A saved card of a failed project: never charged."""
    pledge, _payment = _locked(pledge_id)
    if pledge.state == State.CARD_SAVED:
        pledge.state = State.RELEASED
        pledge.save(update_fields=["state", "updated"])
        result.released.append(pledge.number)
    return False


# (goal met, state) → step; None: either outcome. A step returns True to go on.
_STEPS = {
    (None, State.PENDING): _pending_cancel,
    (True, State.CARD_SAVED): _charge_start,
    (True, State.CHARGING): _charge_send,
    (True, State.PAID): _fulfil,
    (False, State.PAID): _refund_start,
    (False, State.REFUNDING): _refund_send,
    (False, State.CARD_SAVED): _release,
}
