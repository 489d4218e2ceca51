"""Pickup notices to the customer: ``send_pickup_notice(order, kind)``.

Kinds: ``ready`` (arrived at the point: the 6-digit code and its QR), ``reminder``
(still waiting after ``XIANGPIN_PICKUP_REMINDER_DAYS``) and ``returned`` (sent back
after ``XIANGPIN_PICKUP_RETURN_DAYS``). Each goes out on every channel:

- e-mail, through Oscar's order dispatcher with the communication event types
  PICKUP_READY / PICKUP_REMINDER / PICKUP_RETURNED (templates in
  ``oscar/communication/emails/commtype_pickup_*``), so an order
  ``CommunicationEvent`` records what was sent; the QR code (a PNG, inline by
  Content-ID) opens the hand-over page with the code filled in;
- SMS (``shop.fulfilment.sms``) to the recipient's phone, from the
  ``oscar/communication/sms/commtype_pickup_*_body.txt`` template.

The phone number appears masked in the e-mail and never in a subject or a log.
A failing channel is logged and does not stop the other.
"""
import io
import logging
from email.mime.image import MIMEImage

import segno
from django.conf import settings
from django.contrib.sites.models import Site
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from shop.core.masking import mask_name, mask_phone

from .sms import sms_send

logger = logging.getLogger(__name__)

OrderDispatcher = get_class("order.utils", "OrderDispatcher")
CommunicationEventType = get_model("communication", "CommunicationEventType")
Order = get_model("order", "Order")

READY = "ready"
REMINDER = "reminder"
RETURNED = "returned"

# kind -> (Oscar communication event type code, its name in the dashboard)
EVENT_TYPES = {
    READY: ("PICKUP_READY", "自提点取货通知"),
    REMINDER: ("PICKUP_REMINDER", "自提点取货提醒"),
    RETURNED: ("PICKUP_RETURNED", "逾期未取货退回通知"),
}

QR_CONTENT_ID = "pickup-code-qr"


def _absolute(path) -> str:
    return f"{settings.OSCAR_URL_SCHEMA}://{Site.objects.get_current().domain}{path}"


def hand_over_url(code) -> str:
    """The staff hand-over page with ``code`` filled in (what the QR encodes)."""
    return _absolute(reverse("backoffice:pickup-hand-over") + f"?code={code}")


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def _qr_attachment(code) -> MIMEImage:
    image = MIMEImage(qr_png(hand_over_url(code)), "png")
    image.add_header("Content-ID", f"<{QR_CONTENT_ID}>")
    image.add_header("Content-Disposition", "inline", filename=f"pickup-code-{code}.png")
    return image


def _event_type(kind):
    code, name = EVENT_TYPES[kind]
    event_type, _created = CommunicationEventType.objects.get_or_create(
        code=code, defaults={"name": name, "category": CommunicationEventType.ORDER_RELATED}
    )
    return event_type


def notice_context(order, kind) -> dict:
    """What the templates see. The recipient only masked."""
    from . import pickup_selectors

    pickup = order.pickup
    point = pickup.service_point
    ready_at = timezone.localtime(pickup.ready_at) if pickup.ready_at else None
    context = {
        "kind": kind,
        "order": order,
        "code": pickup.pickup_code,
        "point": point,
        "recipient_name": mask_name(pickup.recipient_name),
        "recipient_phone": mask_phone(pickup.recipient_phone),
        "lines": pickup_selectors.order_lines_to_hand_over(order=order),
        "amount_due": pickup_selectors.order_amount_due(order=order),
        "ready_at": ready_at,
        "collect_by": pickup_selectors.pickup_return_date(pickup=pickup),
        "qr_content_id": QR_CONTENT_ID,
        "days_waiting": (timezone.localdate(pickup.reminder_sent_at or timezone.now()) - ready_at.date()).days
        if ready_at else 0,
        "return_days": settings.XIANGPIN_PICKUP_RETURN_DAYS,
        "order_url": (_absolute(reverse("customer:order", kwargs={"order_number": order.number}))
                      if order.user_id else ""),
    }
    if kind == RETURNED:
        context["refund_amount"] = pickup_selectors.order_return_refund_amount(order=order)
    return context


def _email_send(order, kind, context, messages):
    if order.user_id is None and not order.guest_email:
        logger.warning("Order %s has no e-mail address: no pickup %s e-mail", order.number, kind)
        return
    attachments = [_qr_attachment(context["code"])] if kind != RETURNED and context["code"] else None
    messages = dict(messages, sms="")  # the SMS goes to the recipient's phone, below
    OrderDispatcher(logger=logger).dispatch_order_messages(order, messages, EVENT_TYPES[kind][0],
                                                           attachments=attachments)


def send_pickup_notice(order, kind) -> None:
    """Tell the customer about their pickup order (``kind``: ready / reminder /
    returned) by e-mail and SMS. Call it after the transaction has committed."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown pickup notice kind: {kind}")
    order = Order.objects.select_related("pickup__service_point__county__city", "user").get(pk=order.pk)
    event_type = _event_type(kind)
    context = notice_context(order, kind)
    dispatcher = OrderDispatcher(logger=logger).dispatcher
    messages = dispatcher.get_messages(event_type.code, context)
    try:
        _email_send(order, kind, context, messages)
    except Exception:  # one channel failing never stops the other
        logger.exception("Pickup %s e-mail failed for order %s", kind, order.number)
    if messages.get("sms", "").strip():
        try:
            sms_send(phone=order.pickup.recipient_phone, text=messages["sms"])
        except Exception:
            logger.exception("Pickup %s SMS failed for order %s", kind, order.number)


def send_pickup_notice_on_commit(order, kind) -> None:
    from django.db import transaction

    transaction.on_commit(lambda: send_pickup_notice(order, kind))
