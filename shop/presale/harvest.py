"""The seller's side of a pre-sale: the cooperative confirms the harvest
against a registered batch, or says it cannot deliver.

Confirming allocates the paid (and deposit-paid) orders, first paid first, to
the batch: each line's units are taken from the batch (a ``LineAllocation``)
and from the stock the batch brought (the stock record's allocation and the
line's ``num_allocated``), then ``order_attribute`` writes the ledger for the
batch's households. A fully paid order is released to fulfilment (待发货, so
delivery waves pick it up); a deposit-paid one follows when its balance comes.

Cannot deliver: every order not yet allocated is cancelled and everything it
paid (deposit and balance) refunded in full. Each order is cancelled in its own
transaction, its refund rows written with their keys before Stripe is called;
running it again sends only the refunds that never got an answer."""
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from catalog_sync.outbox import outbox_mark
from shop.attribution.models import LineAllocation
from shop.attribution.services import order_attribute
from shop.core.cache import page_cache_invalidate
from shop.fulfilment.statuses import AWAITING_SHIPMENT, CANCELLED
from shop.harvest.models import HarvestBatch
from shop.payments import services as payment_services
from shop.payments.models import OnlinePayment, OnlineRefund

from . import notify, placement
from .models import PreSale, PreSaleOrder, PreSalePayment
from .services import IN_FLIGHT, PreSaleError, _refund_whole, capacity_release, refund_send_now

logger = logging.getLogger(__name__)
Order = get_model("order", "Order")
Line = get_model("order", "Line")
StockRecord = get_model("partner", "StockRecord")

Status = PreSaleOrder.Status
WAITING_FOR_HARVEST = (Status.BALANCE_DUE, Status.PAID)


@dataclass
class ConfirmResult:
    batch: object
    allocated: list = field(default_factory=list)  # order numbers
    released: list = field(default_factory=list)  # of those, sent to fulfilment now
    left: list = field(default_factory=list)  # not covered by the batch


def batches_for(presale):
    """The batches a pre-sale may be confirmed against: its product's, passed, with units left."""
    return (HarvestBatch.objects.filter(product_id=presale.product_id, inspection_result=HarvestBatch.Inspection.PASSED,
                                        quantity_allocated__lt=F("quantity"))
            .order_by("harvested_on", "pk"))


def orders_waiting_for_harvest(presale):
    return PreSaleOrder.objects.filter(presale=presale, status__in=WAITING_FOR_HARVEST, allocated_at__isnull=True)


def _allocate(presale_order, batch, now) -> bool:
    """Allocate one order to ``batch`` (locked by the caller); False if the stock is short."""
    order = Order.objects.select_for_update().get(pk=presale_order.order_id)
    line = Line.objects.get(order=order)
    quantity = line.quantity
    if line.stockrecord_id != batch.stockrecord_id:
        return False
    with transaction.atomic():
        allocated = Coalesce(F("num_allocated"), 0)
        taken = (StockRecord.objects.alias(allocated_now=allocated)
                 .filter(pk=line.stockrecord_id, num_in_stock__gte=F("allocated_now") + quantity)
                 .update(num_allocated=allocated + quantity))
        if not taken:
            return False
        Line.objects.filter(pk=line.pk).update(num_allocated=quantity)
        outbox_mark([batch.product_id], "stock")  # update() sends no post_save: tell the channels
        HarvestBatch.objects.filter(pk=batch.pk).update(quantity_allocated=F("quantity_allocated") + quantity)
        LineAllocation.objects.create(line=line, batch=batch, quantity=quantity)
        order_attribute(order=order, occurred_at=now)
    released = presale_order.status == Status.PAID
    PreSaleOrder.objects.filter(pk=presale_order.pk).update(
        allocated_at=now, batch=batch, status=Status.RELEASED if released else presale_order.status)
    if released:
        order.set_status(AWAITING_SHIPMENT)
        notify.send_on_commit(presale_order, notify.RELEASED)
    return True


def harvest_confirm(*, presale, batch, user=None, now=None) -> ConfirmResult:
    """The cooperative confirms the harvest of ``presale`` with ``batch``: the
    orders waiting for it are allocated to the batch, first paid first, as far
    as its units go. Raises PreSaleError."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = HarvestBatch.objects.select_for_update().get(pk=batch.pk)
        presale = PreSale.objects.get(pk=presale.pk)
        if presale.status != PreSale.Status.PUBLISHED:
            raise PreSaleError(_("只有已发布的预售可以确认采收"))
        if batch.product_id != presale.product_id:
            raise PreSaleError(_("批次 %(code)s 不是该预售商品的批次") % {"code": batch.code})
        if not batch.is_sellable:
            raise PreSaleError(_("批次 %(code)s 质检不合格，不能发货") % {"code": batch.code})
        result = ConfirmResult(batch=batch)
        remaining = batch.quantity_remaining
        waiting = (orders_waiting_for_harvest(presale).filter(order__isnull=False).select_for_update()
                   .order_by("upfront_paid_at", "pk"))
        for presale_order in waiting:
            if presale_order.quantity > remaining or not _allocate(presale_order, batch, now):
                result.left.append(presale_order.number)
                continue
            remaining -= presale_order.quantity
            result.allocated.append(presale_order.number)
            if presale_order.status == Status.PAID:
                result.released.append(presale_order.number)
        PreSale.objects.filter(pk=presale.pk, harvest_confirmed_at__isnull=True).update(harvest_confirmed_at=now)
        page_cache_invalidate()  # stock allocated
    logger.info("Pre-sale %s confirmed with batch %s: %d allocated, %d left", presale.pk, batch.code,
                len(result.allocated), len(result.left))
    return result


# -- the seller cannot deliver ---------------------------------------------------
@dataclass
class CancelResult:
    cancelled: list = field(default_factory=list)  # order numbers cancelled by this run
    refunds_sent: int = 0
    refunds_waiting: int = 0  # no answer from Stripe yet, or refused: sent again by the next run / for staff


def _payments_locked(presale_order_id):
    ids = list(PreSalePayment.objects.filter(presale_order_id=presale_order_id).values_list("payment_id", flat=True))
    return list(OnlinePayment.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _sources_refund_all(order, reference):
    total = placement.ZERO
    for source in order.sources.select_for_update().order_by("pk"):
        left = source.amount_debited - source.amount_refunded
        if left > 0:
            source.refund(left, reference=reference[:128])
            total += left
    return total


def _seller_cancel(presale_order_id, *, reason, now):
    """Cancel one order that the seller cannot deliver and record the refund of
    every payment it counted; the refunds are sent after the commit. Returns the
    order number, or None if there was nothing to do (already cancelled, or
    allocated to a batch)."""
    in_flight = []
    with transaction.atomic():
        payments = _payments_locked(presale_order_id)
        presale_order = PreSaleOrder.objects.select_for_update().select_related("presale").get(pk=presale_order_id)
        if presale_order.status not in (Status.PENDING, *WAITING_FOR_HARVEST) or presale_order.allocated_at:
            return None
        PreSaleOrder.objects.filter(pk=presale_order.pk).update(status=Status.SELLER_CANCELLED, cancelled_at=now)
        presale_order.status = Status.SELLER_CANCELLED
        capacity_release(presale_order=presale_order, now=now)
        applied = set(PreSalePayment.objects.filter(presale_order=presale_order, applied_at__isnull=False)
                      .values_list("payment_id", flat=True))
        for payment in payments:
            if payment.pk in applied:
                _refund_whole(payment=payment, reason=reason)
            elif payment.status in IN_FLIGHT:
                in_flight.append(payment)
        if presale_order.order_id:
            order = Order.objects.select_for_update().get(pk=presale_order.order_id)
            refunded = _sources_refund_all(order, reason)
            if refunded:
                placement.payment_event(order=order, name=placement.REFUND_EVENT, amount=refunded, reference=reason)
            order.set_status(CANCELLED)
            notify.send_on_commit(presale_order, notify.SELLER_CANCELLED)
        else:
            basket = presale_order.basket
            if basket.status == basket.FROZEN:
                basket.submit()
    for payment in in_flight:  # so an abandoned payment can no longer be paid
        try:
            payment_services.payment_abandon(payment=payment)
        except Exception:  # Stripe unreachable: a late payment is refused and refunded when it lands
            logger.warning("Could not cancel pre-sale payment %s", payment.pk)
    return presale_order.number


def presale_refunds_unsent(presale=None):
    refunds = OnlineRefund.objects.filter(payment__presale_link__isnull=False, refund_id__isnull=True,
                                          status=OnlineRefund.Status.PENDING)
    if presale is not None:
        refunds = refunds.filter(payment__presale_link__presale_order__presale=presale)
    return refunds.order_by("pk")


def presale_cancel(*, presale, reason, user=None, now=None) -> CancelResult:
    """The seller cannot deliver (harvest failed or short): close the pre-sale,
    cancel every order not allocated to a batch and refund all it paid, in full.
    Safe to run again: what is done is not done twice."""
    now = now or timezone.now()
    reason = (reason or "").strip() or _("卖家无法履约")
    refund_reason = _("预售无法履约：%(reason)s") % {"reason": reason}
    with transaction.atomic():
        # Committed first: from now on no purchase can claim the capacity (capacity_claim needs PUBLISHED).
        for row in PreSale.objects.filter(pk=presale.pk).exclude(status=PreSale.Status.CANCELLED):
            row.status, row.cancelled_at, row.cancel_reason = PreSale.Status.CANCELLED, now, reason[:200]
            row.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated"])
    result = CancelResult()
    ids = list(PreSaleOrder.objects.filter(presale=presale, status__in=(Status.PENDING, *WAITING_FOR_HARVEST),
                                           allocated_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    for presale_order_id in ids:
        number = _seller_cancel(presale_order_id, reason=refund_reason, now=now)
        if number:
            result.cancelled.append(number)
    for refund in presale_refunds_unsent(presale):
        if refund_send_now(refund):
            result.refunds_sent += 1
        else:
            result.refunds_waiting += 1
    return result
