"""The pickup point's side of fulfilment: receive a delivery wave, make its orders
ready with a 6-digit pickup code, hand an order over against its code (taking
the payment of a pay-at-pickup order), and the sweep that reminds and then
returns what nobody collects. Reads are in ``pickup_selectors``.

Each step is recorded for the customer as an Oscar ``ShippingEvent`` (已到达自提点,
已取货, 已退回) and, on every harvest batch the units come from, as a
``TraceEvent`` at the service point (到货签收, 门店/自提点交付) through
``shop.harvest.services.trace_event_record`` (a fresh product's receipt needs a
temperature).

Locks are taken in one order everywhere: wave, then orders (by id), then their
pickup records; so receiving, hand-over, refunds and the sweep queue instead of
deadlocking. Every refusal is a ``ValidationError`` with a message for staff,
raised before anything is written.
"""
import datetime
import logging
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.attribution.services import order_cancel_attribution
from shop.checkout.placement import PAID_EVENT
from shop.harvest.models import TraceEvent
from shop.harvest.services import trace_event_record

from . import notify
from . import pickup_selectors as selectors
from .models import DeliveryWave, OrderPickup
from .statuses import COLLECTED, IN_TRANSIT, READY_FOR_PICKUP, RETURNED
from .wave_selectors import batch_units, line_shipments, wave_shipments
from .waves import shipping_event_type, shipping_events_record

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")
Line = get_model("order", "Line")
PaymentEventType = get_model("order", "PaymentEventType")
Source = get_model("payment", "Source")
EventHandler = get_class("order.processing", "EventHandler")

# Oscar shipping event types the customer sees: (code, name).
ARRIVED_EVENT = ("arrived", "已到达自提点")
COLLECTED_EVENT = ("collected", "已取货")
RETURNED_EVENT = ("returned", "已退回")

RETURN_REASON = selectors.RETURN_REASON
TEMPERATURE_RANGE = (Decimal("-40"), Decimal("60"))
CODE_ATTEMPTS = 20
# Wrong codes a staff user may enter in FAILURE_WINDOW before hand-over is refused.
FAILURE_WINDOW_SECONDS = 600
# A code handed over less than this long ago is reported as such, not as invalid.
RECENT_HAND_OVER = datetime.timedelta(hours=24)


class PickupCodeInvalid(ValidationError):
    """No order waits at this point under this code (also: another point's code)."""


class TooManyAttempts(ValidationError):
    pass


class AlreadyHandedOver(ValidationError):
    pass


class PaymentNotCollected(ValidationError):
    pass


def max_code_failures() -> int:
    return int(getattr(settings, "XIANGPIN_PICKUP_CODE_MAX_FAILURES", 5))


# -- records ------------------------------------------------------------------------

def _trace_events_record(*, shipments, service_point, step, disposition, user, message, values, temperature=None,
                         at=None):
    """One event per batch the units come from, at ``service_point``; ``message``
    is formatted with ``values`` and the batch's ``units``."""
    occurred_at = at or timezone.now()
    for batch, units in batch_units(shipments):
        trace_event_record(
            batch=batch, business_step=step, disposition=disposition, occurred_at=occurred_at,
            place=service_point.name, service_point=service_point, recorder=TraceEvent.Recorder.PICKUP_POINT,
            user=user, temperature=temperature, note=message % dict(values, units=units),
        )


def _order_shipments(order):
    return [shipment for shipment in line_shipments(Line.objects.filter(order=order).select_related("order", "product")
                                                    .order_by("pk")) if shipment.quantity > 0]


# -- receiving a wave ------------------------------------------------------------------

def _temperature_check(wave, temperature):
    """A cold-chain wave needs the arrival temperature; any wave may record one."""
    if temperature is None:
        if wave.cold_chain:
            raise ValidationError({"temperature": _("冷链波次须填写到货温度")})
        return None
    low, high = TEMPERATURE_RANGE
    if not low <= temperature <= high:
        raise ValidationError({"temperature": _("温度须在 -40 至 60 ℃ 之间")})
    return temperature


@transaction.atomic
def wave_receive(*, wave, user, temperature=None, at=None, notify_customers=True) -> DeliveryWave:
    """Sign for a shipped wave at its pickup point (the caller checks that
    ``user`` staffs it): 已到达自提点 for the customer, 到货签收 on each batch (with
    ``temperature`` for a cold-chain wave), and every order of the wave whose
    cooperatives have all delivered becomes ready for pickup. ``at`` (default
    now) and ``notify_customers=False`` are for the demo's history."""
    wave = DeliveryWave.objects.select_for_update().select_related("service_point").get(pk=wave.pk)
    if wave.status == DeliveryWave.Status.RECEIVED:
        raise ValidationError(_("波次 %(code)s 已于 %(when)s 签收，不能重复签收") % {
            "code": wave.code, "when": f"{timezone.localtime(wave.received_at):%Y-%m-%d %H:%M}"})
    if wave.status != DeliveryWave.Status.SHIPPED:
        raise ValidationError(_("波次 %(code)s 尚未发运，不能签收") % {"code": wave.code})
    temperature = _temperature_check(wave, temperature)
    point = wave.service_point
    orders = list(Order.objects.select_for_update().filter(wave_orders__wave=wave).order_by("pk"))
    shipments = [shipment for shipment in wave_shipments(wave=wave) if shipment.quantity > 0]
    shipping_events_record(event=ARRIVED_EVENT, shipments=shipments, user=user, reference=wave.code)
    _trace_events_record(shipments=shipments, service_point=point, step=TraceEvent.BusinessStep.RECEIVING,
                         disposition=TraceEvent.Disposition.SELLABLE, user=user, temperature=temperature,
                         message=_("配送波次 %(code)s 到达%(point)s：%(units)d 件"),
                         values={"code": wave.code, "point": point.name}, at=at)
    wave.status = DeliveryWave.Status.RECEIVED
    wave.received_at = at or timezone.now()
    wave.received_by = user
    wave.save(update_fields=["status", "received_at", "received_by"])
    for order in orders:
        if order.status == IN_TRANSIT and selectors.order_waves_complete(order=order):
            order_ready_for_pickup(order, at=at, notify_customer=notify_customers)
    return wave


def pickup_code_generate() -> str:
    return f"{secrets.randbelow(10 ** 6):06d}"


def _code_assign(pickup, *, now):
    """A fresh code, unique among the point's open codes (the partial unique
    constraint backs the check against a concurrent assignment)."""
    for _attempt in range(CODE_ATTEMPTS):
        code = pickup_code_generate()
        if selectors.code_is_open(service_point=pickup.service_point, code=code):
            continue
        try:
            with transaction.atomic():
                OrderPickup.objects.filter(pk=pickup.pk).update(pickup_code=code, ready_at=now)
        except IntegrityError:
            continue
        pickup.pickup_code, pickup.ready_at = code, now
        return code
    raise ValidationError(_("取货码生成失败，请重试"))


@transaction.atomic
def order_ready_for_pickup(order, *, at=None, notify_customer=True) -> OrderPickup:
    """配送中 → 待取货: a random 6-digit pickup code, ``ready_at`` (``at``, default
    now), and (after commit, unless ``notify_customer`` is False) the customer's
    notice by e-mail and SMS. Already ready: nothing more."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    pickup = OrderPickup.objects.select_for_update().select_related("service_point").filter(order=order).first()
    if pickup is None:
        raise ValidationError(_("订单 %(number)s 不是自提订单") % {"number": order.number})
    if order.status == READY_FOR_PICKUP and pickup.pickup_code:
        return pickup
    if order.status != IN_TRANSIT:
        raise ValidationError(_("订单 %(number)s 当前状态为「%(status)s」，不能转为待取货") % {
            "number": order.number, "status": order.status})
    _code_assign(pickup, now=at or timezone.now())
    order.set_status(READY_FOR_PICKUP)
    if notify_customer:
        notify.send_pickup_notice_on_commit(order, notify.READY)
    return pickup


# -- hand-over ---------------------------------------------------------------------------

def _failures_key(user):
    return f"pickup-code-failures:{user.pk}"


def code_failures(*, user) -> int:
    return cache.get(_failures_key(user), 0)


def _failure_count(*, user, service_point):
    key = _failures_key(user)
    cache.add(key, 0, FAILURE_WINDOW_SECONDS)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, FAILURE_WINDOW_SECONDS)
        failures = 1
    logger.warning("Wrong pickup code: user=%s point=%s failures=%d", user.pk, service_point.pk, failures)


def _refuse_when_locked_out(user):
    if code_failures(user=user) >= max_code_failures():
        raise TooManyAttempts(_("取货码错误次数过多，请 10 分钟后再试"))


def _already_handed_over(pickup):
    when = timezone.localtime(pickup.collected_at)
    return AlreadyHandedOver(_("订单 %(number)s 已于 %(when)s 交付，不能重复交付") % {
        "number": pickup.order.number, "when": f"{when:%Y-%m-%d %H:%M}"})


def pickup_for_code(*, service_point, code, user) -> OrderPickup:
    """The order waiting at ``service_point`` under ``code``, for the hand-over
    page; a wrong code (or another point's) counts against ``user``."""
    _refuse_when_locked_out(user)
    pickup = selectors.open_pickup_for_code(service_point=service_point, code=code)
    if pickup is not None:
        return pickup
    code = selectors.code_normalise(code)
    if selectors.code_is_well_formed(code):
        done = selectors.collected_pickup_for_code(service_point=service_point, code=code)
        if done is not None and done.collected_at >= timezone.now() - RECENT_HAND_OVER:
            raise _already_handed_over(done)
    _failure_count(user=user, service_point=service_point)
    raise PickupCodeInvalid(_("取货码无效"))


def _payment_collect(*, order, amount, service_point, user):
    """Record the money taken at the point: a debit on the pay-at-pickup source
    and Oscar's 已支付 payment event, on the units handed over."""
    source = Source.objects.select_for_update().get(pk=selectors.pay_at_pickup_source(order=order).pk)
    reference = _("自提点收款：%(point)s") % {"point": service_point.code}
    source.debit(amount=amount, reference=reference)
    event_type, _created = PaymentEventType.objects.get_or_create(name=PAID_EVENT)
    shipments = _order_shipments(order)
    EventHandler(user).handle_payment_event(order, event_type, amount, [s.line for s in shipments],
                                            [s.quantity for s in shipments], reference=reference)


def order_hand_over(*, service_point, code, user, payment_collected=False, amount_expected=None) -> OrderPickup:
    """Hand the order waiting at ``service_point`` under ``code`` to the customer:
    待取货 → 已取货, collected_at/by, 已取货 for the customer and 门店/自提点交付 on
    each batch. An unpaid pay-at-pickup order needs ``payment_collected`` (and,
    if given, ``amount_expected`` must still be what is due); the payment is
    recorded. A wrong code, another point's code, too many wrong codes or a
    second hand-over are refused, writing nothing."""
    pickup = pickup_for_code(service_point=service_point, code=code, user=user)
    return pickup_hand_over(pickup=pickup, service_point=service_point, code=code, user=user,
                            payment_collected=payment_collected, amount_expected=amount_expected)


def pickup_hand_over(*, pickup, service_point, code, user, payment_collected=False, amount_expected=None,
                     at=None) -> OrderPickup:
    """The hand-over of ``order_hand_over`` once ``pickup`` was found under ``code``
    (wrong codes are counted there, not here), at ``at`` (default now; the demo
    seeds its history with it, ``user`` None where a point has no staff account)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=pickup.order_id)
        pickup = OrderPickup.objects.select_for_update().select_related("order").get(pk=pickup.pk)
        if pickup.collected_at is not None:
            raise _already_handed_over(pickup)
        if (pickup.returned_at is not None or order.status != READY_FOR_PICKUP
                or pickup.service_point_id != service_point.pk
                or pickup.pickup_code != selectors.code_normalise(code)):
            raise PickupCodeInvalid(_("取货码无效"))
        due = selectors.order_amount_due(order=order)
        if due > 0:
            if not payment_collected:
                raise PaymentNotCollected(_("该订单须在自提点付款 ¥%(amount)s，请收款后勾选「已收款」") % {
                    "amount": f"{due:.2f}"})
            if amount_expected is not None and Decimal(amount_expected) != due:
                raise PaymentNotCollected(_("应收金额已变为 ¥%(amount)s，请核对后重新确认") % {"amount": f"{due:.2f}"})
            _payment_collect(order=order, amount=due, service_point=service_point, user=user)
        shipments = _order_shipments(order)
        order.set_status(COLLECTED)
        pickup.collected_at = at or timezone.now()
        pickup.collected_by = user
        pickup.save(update_fields=["collected_at", "collected_by"])
        shipping_events_record(event=COLLECTED_EVENT, shipments=shipments, user=user, reference=service_point.name)
        _trace_events_record(shipments=shipments, service_point=service_point,
                             step=TraceEvent.BusinessStep.RETAIL_SELLING, disposition=TraceEvent.Disposition.COMPLETED,
                             user=user, message=_("订单 %(number)s 在%(point)s交付顾客：%(units)d 件"),
                             values={"number": order.number, "point": service_point.name}, at=at)
    return pickup


# -- reminders and returns ---------------------------------------------------------------

@dataclass
class SweepResult:
    reminded: list = field(default_factory=list)  # order numbers
    returned: list = field(default_factory=list)
    refunded: list = field(default_factory=list)
    refund_failed: list = field(default_factory=list)


def _reminder_claim(*, pickup_id, now) -> str | None:
    with transaction.atomic():
        pickup = OrderPickup.objects.select_for_update().select_related("order").get(pk=pickup_id)
        if (pickup.reminder_sent_at is not None or pickup.collected_at is not None or pickup.returned_at is not None
                or pickup.order.status != READY_FOR_PICKUP):
            return None
        pickup.reminder_sent_at = now
        pickup.save(update_fields=["reminder_sent_at"])
        notify.send_pickup_notice_on_commit(pickup.order, notify.REMINDER)
        return pickup.order.number


def _return_claim(*, pickup, now) -> str | None:
    """Close an overdue order: 已退回, returned_at (its code no longer opens it),
    已退回 for the customer, and the notice. An order nothing was paid for has its
    ledger reversed and its units given back to their batches and to stock here;
    a paid one is refunded after commit (``_return_refund``)."""
    cutoff = now - datetime.timedelta(days=settings.XIANGPIN_PICKUP_RETURN_DAYS)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=pickup.order_id)
        pickup = OrderPickup.objects.select_for_update().get(pk=pickup.pk)
        if (pickup.collected_at is not None or pickup.returned_at is not None or order.status != READY_FOR_PICKUP
                or pickup.ready_at is None or pickup.ready_at > cutoff):
            return None
        shipments = _order_shipments(order)
        pickup.returned_at = now
        pickup.save(update_fields=["returned_at"])
        order.set_status(RETURNED)
        shipping_events_record(event=RETURNED_EVENT, shipments=shipments, user=None, reference=RETURN_REASON)
        if selectors.order_amount_taken(order=order) <= 0:
            order_cancel_attribution(order=order)
        notify.send_pickup_notice_on_commit(order, notify.RETURNED)
        return order.number


def _return_refund(*, order):
    """Give a returned order's money back in full (Stripe or the point's cash, and
    the ledger), then its units back to their batches and to stock."""
    from shop.payments.refunds import order_refund, refundable_quantities

    if any(quantity > 0 for quantity in refundable_quantities(order=order).values()):
        order_refund(order=order, reason=RETURN_REASON, user=None)
    order_cancel_attribution(order=order)


def pickups_sweep(*, now=None) -> SweepResult:
    """Remind once the orders waiting longer than XIANGPIN_PICKUP_REMINDER_DAYS;
    return (and refund) those waiting longer than XIANGPIN_PICKUP_RETURN_DAYS; retry
    refunds that failed. Running it again does nothing more."""
    from shop.payments.refunds import RefundRefused
    from shop.payments.services import PaymentError

    now = now or timezone.now()
    result = SweepResult()
    for pickup in list(selectors.pickups_due_return(now=now)):
        number = _return_claim(pickup=pickup, now=now)
        if number:
            result.returned.append(number)
    for pickup in list(selectors.returns_awaiting_refund()):
        try:
            _return_refund(order=pickup.order)
        except (RefundRefused, PaymentError, ValidationError):
            logger.exception("Refund of returned order %s failed; the next sweep retries", pickup.order.number)
            result.refund_failed.append(pickup.order.number)
        else:
            result.refunded.append(pickup.order.number)
    for pickup in list(selectors.pickups_due_reminder(now=now)):
        number = _reminder_claim(pickup_id=pickup.pk, now=now)
        if number:
            result.reminded.append(number)
    return result
