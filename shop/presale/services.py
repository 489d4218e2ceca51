"""Buying in a pre-sale: hold the capacity, pay the deposit (or the full price)
online, place the order when the money is in; pay the balance; refund what
cannot be kept.

Capacity is taken by one conditional UPDATE (``sold + n ≤ capacity``), which
PostgreSQL re-evaluates on the latest row under concurrency, and the database
refuses ``sold > capacity`` besides (CHECK). It is given back exactly once per
order (``capacity_released_at`` is set by a conditional UPDATE first).

``upfront_payment_settle`` and ``balance_payment_settle`` are the
``shop.payments.purposes`` settle functions: called with the payment row locked
each time Stripe's news about it is merged, they read the state of the payment
and of the pre-sale order (locked after it) and do what is still to be done,
so a duplicate or late event changes nothing twice."""
import datetime
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.checkout.delivery import DeliveryChoice
from shop.core.cache import page_cache_invalidate
from shop.fulfilment.statuses import AWAITING_SHIPMENT, PRESALE_AWAITING_HARVEST
from shop.payments import gateway
from shop.payments import services as payment_services
from shop.payments.models import OnlinePayment, OnlineRefund, PaymentPurpose

from . import notify, placement
from .models import PreSale, PreSaleOrder, PreSalePayment
from .rules import deposit_rule

logger = logging.getLogger(__name__)
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")
Order = get_model("order", "Order")

Status = PreSaleOrder.Status
PaymentStatus = OnlinePayment.Status


class PreSaleError(Exception):
    """A pre-sale step was refused; ``str(exc)`` is for the customer (or staff)."""


class SoldOut(PreSaleError):
    pass


def hold_minutes() -> int:
    return int(getattr(settings, "XIANGPIN_PRESALE_HOLD_MINUTES", 30))


def _fen(amount) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def _yuan(fen) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


# -- capacity -------------------------------------------------------------------
def capacity_claim(*, presale_id, quantity) -> bool:
    """Take ``quantity`` units of the capacity, or nothing (False)."""
    return PreSale.objects.filter(pk=presale_id, status=PreSale.Status.PUBLISHED,
                                  sold__lte=F("capacity") - quantity).update(sold=F("sold") + quantity) == 1


def capacity_release(*, presale_order, now=None) -> bool:
    """Give the order's units back, once (True the one time it happens)."""
    now = now or timezone.now()
    released = PreSaleOrder.objects.filter(pk=presale_order.pk, capacity_released_at__isnull=True).update(
        capacity_released_at=now)
    if not released:
        return False
    PreSale.objects.filter(pk=presale_order.presale_id).update(sold=F("sold") - presale_order.quantity)
    presale_order.capacity_released_at = now
    page_cache_invalidate()  # the capacity left on the product page
    return True


def _capacity_take_back(presale_order) -> bool:
    """A hold that was released comes back (a payment arrived late), if the
    capacity still has the units."""
    if presale_order.capacity_released_at is None:
        return True
    with transaction.atomic():
        if not capacity_claim(presale_id=presale_order.presale_id, quantity=presale_order.quantity):
            return False
        PreSaleOrder.objects.filter(pk=presale_order.pk).update(capacity_released_at=None)
        presale_order.capacity_released_at = None
    page_cache_invalidate()
    return True


# -- buying ---------------------------------------------------------------------
@dataclass(frozen=True)
class PurchaseRequest:
    quantity: int
    service_point: object
    recipient_name: str
    recipient_phone: str
    method: str


def _new_number(presale):
    return f"YS{presale.pk:04d}{secrets.randbelow(10 ** 8):08d}"


def _purchase_check(presale, request, now):
    state = presale.state_at(now)
    if state == PreSale.State.NOT_STARTED:
        raise PreSaleError(_("预售尚未开始"))
    if state in (PreSale.State.CLOSED, PreSale.State.CANCELLED, PreSale.State.DRAFT):
        raise PreSaleError(_("预售已结束"))
    if not 1 <= request.quantity <= presale.max_per_order:
        raise PreSaleError(_("每单可预订 1 至 %(max)d 件") % {"max": presale.max_per_order})
    if request.method not in gateway.online_methods_enabled():
        raise PreSaleError(_("该付款方式暂不可用"))


@transaction.atomic
def purchase_start(*, presale, user, request: PurchaseRequest, now=None):
    """Hold ``quantity`` units of the capacity, freeze the order's basket and
    record the deposit (or full) payment with its idempotency key, before any
    call to Stripe. Raises SoldOut or PreSaleError. Returns the OnlinePayment."""
    now = now or timezone.now()
    presale = PreSale.objects.select_related("product").get(pk=presale.pk)
    _purchase_check(presale, request, now)
    presale_order = hold_create(presale=presale, user=user, request=request, now=now)
    payment = _payment_create(presale_order=presale_order, kind=PreSalePayment.Kind.UPFRONT, method=request.method,
                              amount=presale_order.upfront_amount, order_number=presale_order.number)
    page_cache_invalidate()  # the capacity left on the product page
    return payment


def hold_create(*, presale, user, request: PurchaseRequest, now):
    """The capacity hold and its pre-sale order (待支付), with its frozen basket."""
    if not capacity_claim(presale_id=presale.pk, quantity=request.quantity):
        left = PreSale.objects.filter(pk=presale.pk).values_list("capacity", "sold").get()
        if left[0] - left[1] <= 0:
            raise SoldOut(_("预售名额已订满"))
        raise SoldOut(_("预售名额不足：仅剩 %(left)d 件") % {"left": left[0] - left[1]})
    basket = placement.basket_build(presale=presale, user=user, quantity=request.quantity, unit_price=presale.price)
    method, shipping = placement.pickup_charge(basket=basket, service_point=request.service_point)
    if method is None:
        raise PreSaleError(_("该网点不提供自提服务"))
    choice = DeliveryChoice(method_code=method.code, recipient_name=request.recipient_name,
                            recipient_phone=request.recipient_phone, service_point_id=request.service_point.pk)
    goods = presale.price * request.quantity
    total = goods + shipping
    upfront = presale.deposit * request.quantity if presale.is_deposit else total
    presale_order = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                presale_order = PreSaleOrder.objects.create(
                    presale=presale, number=_new_number(presale), user=user, quantity=request.quantity,
                    unit_price=presale.price, shipping_charge=shipping, total=total, upfront_amount=upfront,
                    balance_amount=total - upfront, delivery=choice.to_json(), deposit_rule=deposit_rule(presale),
                    basket=basket, hold_expires_at=now + datetime.timedelta(minutes=hold_minutes()),
                )
            break
        except IntegrityError:  # an order number drawn twice: draw again
            continue
    if presale_order is None:
        raise PreSaleError(_("下单失败，请重试"))
    return presale_order


def _payment_create(*, presale_order, kind, method, amount, order_number):
    purpose = PaymentPurpose.PRESALE if kind == PreSalePayment.Kind.UPFRONT else PaymentPurpose.PRESALE_BALANCE
    payment = OnlinePayment.objects.create(
        basket=None, user=presale_order.user, order_number=order_number, method=method, purpose=purpose,
        amount=amount, currency="CNY", delivery=presale_order.delivery, idempotency_key=payment_services.new_key("pi"),
    )
    PreSalePayment.objects.create(presale_order=presale_order, payment=payment, kind=kind)
    return payment


def payment_page_url(payment):
    """Where the pay views send the customer for a pre-sale payment."""
    link = PreSalePayment.objects.select_related("presale_order").filter(payment=payment).first()
    if link is None:
        return reverse("presale:order-list")
    return reverse("presale:order-detail", kwargs={"number": link.presale_order.number})


# -- refunds --------------------------------------------------------------------
def _refund_whole(*, payment, reason):
    """Record the refund of everything ``payment`` took, once: None when it was
    already recorded (or nothing was received). Send it with ``refund_send_now``
    (after the commit: the row and its key exist before Stripe is called)."""
    if not payment.is_paid or payment.amount_received_fen <= 0:
        return None
    if OnlineRefund.objects.filter(payment=payment).exclude(status=OnlineRefund.Status.FAILED).exists():
        return None
    amount = _yuan(payment.amount_received_fen)
    refund = payment_services.refund_record(payment=payment, amount=amount, reason=reason[:200])
    OnlinePayment.objects.filter(pk=payment.pk).update(
        amount_refund_applied_fen=F("amount_refund_applied_fen") + _fen(amount))
    return refund


def refund_send_now(refund) -> bool:
    """Send a recorded refund (its stored key) and bring the payment in line.
    False when it is left for a retry (no answer) or Stripe refused it."""
    refund = OnlineRefund.objects.select_related("payment").get(pk=refund.pk)
    if refund.refund_id or refund.status == OnlineRefund.Status.FAILED:
        return refund.status != OnlineRefund.Status.FAILED
    try:
        payment_services.refund_send(refund=refund)
    except payment_services.PaymentError:
        logger.warning("Pre-sale refund %s left for a retry", refund.pk)
        return False
    with transaction.atomic():
        payment = OnlinePayment.objects.select_for_update().get(pk=refund.payment_id)
        sent = sum(_fen(row.amount) for row in payment.refunds.exclude(status=OnlineRefund.Status.FAILED)
                   .exclude(refund_id__isnull=True))
        changes = {}
        if sent > payment.amount_refunded_fen:
            payment.amount_refunded_fen = sent
            changes["amount_refunded_fen"] = sent
        status = payment_services.refund_status(payment)
        if status and OnlinePayment.RANK[status] > OnlinePayment.RANK[payment.status]:
            payment.status = status
            changes["status"] = status
        if changes:
            payment.save(update_fields=[*changes, "updated"])
    return True


def _refund_after_commit(refund):
    if refund is not None:
        transaction.on_commit(lambda: refund_send_now(refund))


def _problem(presale_order, text):
    PreSaleOrder.objects.filter(pk=presale_order.pk).update(problem=text[:255])
    presale_order.problem = text[:255]


def _amount_problem(payment, expected):
    if payment.currency_received and payment.currency_received != "cny":
        return _("币种不符：收到 %(got)s，应为 CNY") % {"got": payment.currency_received.upper()}
    if payment.amount_received_fen != _fen(expected) or payment.amount_fen != _fen(expected):
        return _("金额不符：收到 ¥%(got)s，应付 ¥%(due)s") % {
            "got": f"{payment.amount_received_fen / 100:.2f}", "due": f"{expected:.2f}"}
    return ""


# -- settle: the deposit (or full payment) ---------------------------------------
def _link_locked(payment):
    link = PreSalePayment.objects.filter(payment=payment).first()
    if link is None:
        return None, None
    presale_order = PreSaleOrder.objects.select_for_update().select_related("presale").get(pk=link.presale_order_id)
    return PreSalePayment.objects.get(pk=link.pk), presale_order


def upfront_payment_settle(payment):
    """Settle function of PRESALE payments (the payment row is locked)."""
    link, presale_order = _link_locked(payment)
    if presale_order is None:
        return
    if payment.is_paid:
        if link.applied_at is None:
            _upfront_paid(link=link, presale_order=presale_order, payment=payment)
        return
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED) and presale_order.status == Status.PENDING:
        _hold_end(presale_order)


def _hold_end(presale_order, now=None):
    """A hold that will not be paid: its units go back."""
    now = now or timezone.now()
    capacity_release(presale_order=presale_order, now=now)
    PreSaleOrder.objects.filter(pk=presale_order.pk, status=Status.PENDING).update(status=Status.EXPIRED)
    presale_order.status = Status.EXPIRED
    basket = presale_order.basket
    if basket.status == basket.FROZEN:
        basket.submit()  # never anybody's open basket


def _upfront_paid(*, link, presale_order, payment):
    now = timezone.now()
    presale = presale_order.presale
    refusal = ""
    if presale_order.order_id is not None:
        refusal = _("该预售订单已付款，本笔重复付款全额退回")
    elif presale.status == PreSale.Status.CANCELLED or presale_order.status not in (Status.PENDING, Status.EXPIRED):
        refusal = _("预售已取消，款项全额退回")
    else:
        refusal = _amount_problem(payment, presale_order.upfront_amount)
        if refusal:
            refusal = _("%(problem)s，款项全额退回") % {"problem": refusal}
        elif not _capacity_take_back(presale_order):
            refusal = _("付款到账时预售名额已订满，款项全额退回")
    if refusal:
        _refuse(presale_order=presale_order, payment=payment, reason=refusal)
        PreSalePayment.objects.filter(pk=link.pk).update(applied_at=now)
        return
    try:
        with transaction.atomic():
            order = placement.order_place(presale_order=presale_order, payment=payment)
    except UnableToPlaceOrder as exc:
        _refuse(presale_order=presale_order, payment=payment,
                reason=_("无法下单（%(reason)s），款项全额退回") % {"reason": str(exc)})
        if presale_order.status == Status.PENDING:
            _hold_end(presale_order)
        PreSalePayment.objects.filter(pk=link.pk).update(applied_at=now)
        return
    status = Status.BALANCE_DUE if presale.is_deposit else Status.PAID
    PreSaleOrder.objects.filter(pk=presale_order.pk).update(status=status, order=order, upfront_paid_at=now)
    presale_order.status, presale_order.order, presale_order.upfront_paid_at = status, order, now
    PreSalePayment.objects.filter(pk=link.pk).update(applied_at=now)
    OnlinePayment.objects.filter(pk=payment.pk).update(order=order)
    payment.order = order
    notify.send_on_commit(presale_order, notify.PLACED)


def _refuse(*, presale_order, payment, reason):
    OnlinePayment.objects.filter(pk=payment.pk).update(problem=reason[:255])
    _problem(presale_order, reason)
    _refund_after_commit(_refund_whole(payment=payment, reason=reason))


# -- the balance ----------------------------------------------------------------
def balance_window_state(presale_order, now=None):
    """"not_open", "open" or "closed" for a pre-sale order's balance."""
    now = now or timezone.now()
    presale = presale_order.presale
    if not presale.is_deposit:
        return "closed"
    if now < presale.balance_starts:
        return "not_open"
    if now >= presale.balance_deadline:
        return "closed"
    return "open"


IN_FLIGHT = (PaymentStatus.CREATED, PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING)


@transaction.atomic
def balance_payment_start(*, presale_order, user, method, now=None, check_method=True):
    """The balance payment of ``presale_order`` (its customer, in the balance
    window): the one in flight with this method, or a new one recorded with its
    key before any call to Stripe. Raises PreSaleError."""
    now = now or timezone.now()
    presale_order = PreSaleOrder.objects.select_for_update().select_related("presale").get(pk=presale_order.pk)
    if presale_order.user_id != user.pk:
        raise PreSaleError(_("订单不存在"))
    if presale_order.status != Status.BALANCE_DUE:
        raise PreSaleError(_("该订单无需支付尾款"))
    window = balance_window_state(presale_order, now)
    if window == "not_open":
        raise PreSaleError(_("尾款支付将于 %(start)s 开始") % {
            "start": timezone.localtime(presale_order.presale.balance_starts).strftime("%Y-%m-%d %H:%M")})
    if window == "closed":
        raise PreSaleError(_("尾款支付已截止"))
    if check_method and method not in gateway.online_methods_enabled():
        raise PreSaleError(_("该付款方式暂不可用"))
    current = (PreSalePayment.objects.filter(presale_order=presale_order, kind=PreSalePayment.Kind.BALANCE,
                                             payment__method=method, payment__status__in=IN_FLIGHT)
               .select_related("payment").order_by("-pk").first())
    if current is not None:
        return current.payment
    attempts = PreSalePayment.objects.filter(presale_order=presale_order, kind=PreSalePayment.Kind.BALANCE).count()
    return _payment_create(presale_order=presale_order, kind=PreSalePayment.Kind.BALANCE, method=method,
                           amount=presale_order.balance_amount,
                           order_number=f"{presale_order.number}-W{attempts + 1}")


def balance_payment_settle(payment):
    """Settle function of PRESALE_BALANCE payments (the payment row is locked)."""
    link, presale_order = _link_locked(payment)
    if presale_order is None or not payment.is_paid or link.applied_at is not None:
        return
    now = timezone.now()
    refusal = ""
    if presale_order.balance_paid_at is not None:
        refusal = _("尾款已付，本笔重复付款全额退回")
    elif presale_order.status != Status.BALANCE_DUE:
        refusal = _("订单已取消（%(status)s），尾款全额退回") % {"status": presale_order.get_status_display()}
    else:
        refusal = _amount_problem(payment, presale_order.balance_amount)
        if refusal:
            refusal = _("%(problem)s，尾款全额退回") % {"problem": refusal}
    PreSalePayment.objects.filter(pk=link.pk).update(applied_at=now)
    if refusal:
        _refuse(presale_order=presale_order, payment=payment, reason=refusal)
        return
    placement.balance_record(presale_order=presale_order, payment=payment)
    status = Status.RELEASED if presale_order.allocated_at else Status.PAID
    PreSaleOrder.objects.filter(pk=presale_order.pk).update(status=status, balance_paid_at=now)
    presale_order.status, presale_order.balance_paid_at = status, now
    order = Order.objects.select_for_update().get(pk=presale_order.order_id)
    order.set_status(AWAITING_SHIPMENT if presale_order.allocated_at else PRESALE_AWAITING_HARVEST)
    notify.send_on_commit(presale_order, notify.BALANCE_PAID)
