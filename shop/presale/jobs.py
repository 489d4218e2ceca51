"""The pre-sale's timed work, idempotent, in one run (``presale_jobs_run``;
``manage.py presale_run`` from cron or Celery beat, or in process on the
embedded default — the order page applies its own deadline when it is shown):

- holds that ran out unpaid give their units back (the intent is cancelled at
  Stripe first, so it can no longer be paid; one that turns out paid is placed);
- reminders: the balance window has opened; the deadline is near (once each);
- deadlines: a deposit-paid order whose balance is not in by the deadline is
  cancelled, its units go back to the capacity (and, if it was allocated, to
  its batch and the stock), and the deposit is kept under the rule: no refund.
  The kept deposit is not a sale of goods, so it is not in the attribution
  ledger (which attributes goods sold to the households of their batch): it is
  recorded on the cancelled order as a 定金不退 payment event, the order's
  source stays debited by it, and ``PreSaleOrder.deposit_kept`` holds it;
- refunds recorded but never answered by Stripe are sent again with their key.
"""
import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from shop.fulfilment.statuses import CANCELLED
from shop.payments import services as payment_services

from . import notify, placement
from .harvest import _payments_locked, presale_refunds_unsent
from .models import PreSaleOrder, PreSalePayment
from .services import IN_FLIGHT, _hold_end, capacity_release, refund_send_now

logger = logging.getLogger(__name__)
Order = get_model("order", "Order")
Source = get_model("payment", "Source")
Status = PreSaleOrder.Status


def reminder_hours() -> int:
    return int(getattr(settings, "XIANGPIN_PRESALE_REMINDER_HOURS", 24))


@dataclass
class JobResult:
    expired: list = field(default_factory=list)
    reminded_open: list = field(default_factory=list)
    reminded_due: list = field(default_factory=list)
    defaulted: list = field(default_factory=list)
    refunds_sent: int = 0


# -- holds ------------------------------------------------------------------------
def hold_expire(presale_order_id, now=None) -> bool:
    """End one unpaid hold whose time is up. True if its units went back."""
    now = now or timezone.now()
    link = (PreSalePayment.objects.filter(presale_order_id=presale_order_id, kind=PreSalePayment.Kind.UPFRONT)
            .select_related("payment").first())
    if link is not None:
        try:
            payment_services.payment_abandon(payment=link.payment)  # settles: a paid one is placed
        except Exception:
            logger.warning("Could not cancel pre-sale payment %s at Stripe; the hold ends here", link.payment_id)
    with transaction.atomic():
        _payments_locked(presale_order_id)
        presale_order = PreSaleOrder.objects.select_for_update().get(pk=presale_order_id)
        if presale_order.status != Status.PENDING:
            return presale_order.status == Status.EXPIRED
        if presale_order.hold_expires_at > now:
            return False
        _hold_end(presale_order, now)
    return True


def holds_expire(now=None) -> list:
    now = now or timezone.now()
    ids = PreSaleOrder.objects.filter(status=Status.PENDING, hold_expires_at__lte=now).values_list("pk", "number")
    return [number for pk, number in ids if hold_expire(pk, now)]


# -- reminders --------------------------------------------------------------------
def _remind(queryset, field_name, kind, now):
    sent = []
    for presale_order in queryset.select_related("presale"):
        # Marked first, by a conditional update: one reminder even if two runs overlap.
        if PreSaleOrder.objects.filter(pk=presale_order.pk, status=Status.BALANCE_DUE,
                                       **{f"{field_name}__isnull": True}).update(**{field_name: now}):
            notify.send(presale_order, kind)
            sent.append(presale_order.number)
    return sent


def reminders_send(now=None):
    """The balance window has opened; the deadline is within the reminder hours."""
    now = now or timezone.now()
    due = PreSaleOrder.objects.filter(status=Status.BALANCE_DUE, presale__balance_starts__lte=now,
                                      presale__balance_deadline__gt=now)
    opened = _remind(due.filter(balance_open_notified_at__isnull=True), "balance_open_notified_at",
                     notify.BALANCE_OPEN, now)
    soon = now + datetime.timedelta(hours=reminder_hours())
    closing = _remind(due.filter(balance_due_notified_at__isnull=True, presale__balance_deadline__lte=soon),
                      "balance_due_notified_at", notify.BALANCE_DUE, now)
    return opened, closing


# -- deadlines --------------------------------------------------------------------
def order_default(presale_order_id, now=None) -> bool:
    """Apply the deposit rule to an order whose balance missed its deadline:
    cancel it, give its units back, keep the deposit (no refund). True the one
    time it happens."""
    now = now or timezone.now()
    in_flight = []
    with transaction.atomic():
        payments = _payments_locked(presale_order_id)
        presale_order = PreSaleOrder.objects.select_for_update().select_related("presale").get(pk=presale_order_id)
        presale = presale_order.presale
        if presale_order.status != Status.BALANCE_DUE or not presale.is_deposit or presale.balance_deadline > now:
            return False
        PreSaleOrder.objects.filter(pk=presale_order.pk).update(status=Status.DEFAULTED, cancelled_at=now,
                                                                deposit_kept=presale_order.upfront_amount)
        presale_order.status = Status.DEFAULTED
        capacity_release(presale_order=presale_order, now=now)
        order = Order.objects.select_for_update().get(pk=presale_order.order_id)
        placement.payment_event(order=order, name=placement.DEPOSIT_KEPT_EVENT, amount=presale_order.upfront_amount,
                                reference=presale_order.number)
        # Nothing more is due: the source is allocated what it keeps.
        for source in order.sources.order_by("pk"):
            Source.objects.filter(pk=source.pk).update(amount_allocated=source.amount_debited)
        order.set_status(CANCELLED)  # units back to their batch and stock, ledger reversed (if allocated)
        notify.send_on_commit(presale_order, notify.DEFAULTED)
        in_flight = [payment for payment in payments if payment.status in IN_FLIGHT]
    for payment in in_flight:  # a balance payment still open can no longer be paid (one that lands is refunded)
        try:
            payment_services.payment_abandon(payment=payment)
        except Exception:
            logger.warning("Could not cancel pre-sale balance payment %s", payment.pk)
    return True


def deadlines_apply(now=None) -> list:
    now = now or timezone.now()
    ids = PreSaleOrder.objects.filter(status=Status.BALANCE_DUE, presale__balance_deadline__lte=now).values_list(
        "pk", "number")
    return [number for pk, number in ids if order_default(pk, now)]


def order_deadline_check(presale_order, now=None):
    """The deadline of one order, applied when it is looked at (the order page)."""
    now = now or timezone.now()
    presale = presale_order.presale
    if presale_order.status == Status.BALANCE_DUE and presale.is_deposit and presale.balance_deadline <= now:
        order_default(presale_order.pk, now)
        presale_order.refresh_from_db()
    return presale_order


def refunds_retry(now=None) -> int:
    """Send again the refunds that never got Stripe's answer (their stored key: never twice)."""
    now = now or timezone.now()
    sent = 0
    for refund in presale_refunds_unsent().filter(created__lte=now - datetime.timedelta(minutes=1)):
        sent += refund_send_now(refund)
    return sent


def presale_jobs_run(now=None) -> JobResult:
    now = now or timezone.now()
    result = JobResult()
    result.expired = holds_expire(now)
    result.reminded_open, result.reminded_due = reminders_send(now)
    result.defaulted = deadlines_apply(now)
    result.refunds_sent = refunds_retry(now)
    return result
