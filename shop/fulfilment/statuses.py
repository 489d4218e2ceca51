"""Order statuses used by the pickup flow (Oscar stores the status as text)."""
from django.conf import settings

# "Awaiting shipment": placed, not yet delivered to the pickup point. Delivery
# waves and hand-over (later issues) move the order on from here.
AWAITING_SHIPMENT = "待发货"
# Cancelled: the attribution ledger is reversed and the units go back to their
# batches and to stock (shop.attribution.receivers).
CANCELLED = "已取消"

# Oscar's order status pipeline (settings.OSCAR_ORDER_STATUS_PIPELINE); the
# fulfilment issue adds shipping, arrival and collection.
ORDER_STATUS_PIPELINE = {
    AWAITING_SHIPMENT: (CANCELLED,),
    CANCELLED: (),
}


def initial_order_status():
    return getattr(settings, "OSCAR_INITIAL_ORDER_STATUS", None) or AWAITING_SHIPMENT
