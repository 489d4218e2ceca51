"""Order statuses used by the pickup flow (Oscar stores the status as text)."""
from django.conf import settings

# "Awaiting shipment": placed, not yet delivered to the pickup point. Delivery
# waves and hand-over (later issues) move the order on from here.
AWAITING_SHIPMENT = "待发货"


def initial_order_status():
    return getattr(settings, "OSCAR_INITIAL_ORDER_STATUS", None) or AWAITING_SHIPMENT
