"""Thin receivers: a cancelled order reverses its attribution."""
from django.dispatch import receiver
from oscar.apps.order.signals import order_status_changed

from shop.fulfilment.statuses import CANCELLED

from .services import order_cancel_attribution


@receiver(order_status_changed, dispatch_uid="attribution_order_cancelled")
def order_cancelled(sender, order, old_status, new_status, **kwargs):
    if new_status == CANCELLED and old_status != CANCELLED:
        order_cancel_attribution(order=order)
