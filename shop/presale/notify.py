"""E-mails to pre-sale buyers, through Oscar's communication event types (so
each sent message is an order CommunicationEvent): placed, balance window
open, balance deadline near, balance paid, released to delivery, cancelled for
an unpaid balance (deposit kept), cancelled because the seller cannot deliver
(refunded). Templates: ``oscar/communication/emails/commtype_presale_*``.
A failing e-mail is logged and never undoes what it reports."""
import logging
import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.sites.models import Site
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_class, get_model

logger = logging.getLogger(__name__)

OrderDispatcher = get_class("order.utils", "OrderDispatcher")
CommunicationEventType = get_model("communication", "CommunicationEventType")

PLACED = "placed"
BALANCE_OPEN = "balance_open"
BALANCE_DUE = "balance_due"
BALANCE_PAID = "balance_paid"
RELEASED = "released"
DEFAULTED = "defaulted"
SELLER_CANCELLED = "seller_cancelled"

EVENT_TYPES = {
    PLACED: ("PRESALE_PLACED", "预售下单成功"),
    BALANCE_OPEN: ("PRESALE_BALANCE_OPEN", "预售尾款开始支付"),
    BALANCE_DUE: ("PRESALE_BALANCE_DUE", "预售尾款即将截止"),
    BALANCE_PAID: ("PRESALE_BALANCE_PAID", "预售尾款已付"),
    RELEASED: ("PRESALE_RELEASED", "预售已采收待发货"),
    DEFAULTED: ("PRESALE_DEFAULTED", "预售未付尾款已取消"),
    SELLER_CANCELLED: ("PRESALE_SELLER_CANCELLED", "预售无法履约已退款"),
}


def _event_type(kind):
    code, name = EVENT_TYPES[kind]
    event_type, _created = CommunicationEventType.objects.get_or_create(
        code=code, defaults={"name": name, "category": CommunicationEventType.ORDER_RELATED})
    return event_type


def _absolute(path):
    return f"{settings.OSCAR_URL_SCHEMA}://{Site.objects.get_current().domain}{path}"


def notice_context(presale_order, kind):
    presale = presale_order.presale
    return {
        "kind": kind,
        "presale_order": presale_order,
        "presale": presale,
        "order": presale_order.order,
        "balance_starts": timezone.localtime(presale.balance_starts) if presale.balance_starts else None,
        "balance_deadline": timezone.localtime(presale.balance_deadline) if presale.balance_deadline else None,
        "order_url": _absolute(reverse("presale:order-detail", kwargs={"number": presale_order.number})),
    }


def send(presale_order, kind):
    """Send the ``kind`` e-mail of a pre-sale order that has its Oscar order."""
    from .models import PreSaleOrder

    presale_order = PreSaleOrder.objects.select_related("presale__product", "order__user").get(pk=presale_order.pk)
    order = presale_order.order
    if order is None:
        return
    try:
        event_type = _event_type(kind)
        dispatcher = OrderDispatcher(logger=logger)
        messages = dispatcher.dispatcher.get_messages(event_type.code, notice_context(presale_order, kind))
        dispatcher.dispatch_order_messages(order, dict(messages, sms=""), event_type.code)
    except Exception:  # an e-mail never undoes what it tells
        logger.exception("Pre-sale %s e-mail failed for %s", kind, presale_order.number)


_muted = threading.local()


@contextmanager
def muted():
    """No e-mail inside the block (the demo seeding its history)."""
    _muted.on = True
    try:
        yield
    finally:
        _muted.on = False


def send_on_commit(presale_order, kind):
    if getattr(_muted, "on", False):
        return
    transaction.on_commit(lambda: send(presale_order, kind))
