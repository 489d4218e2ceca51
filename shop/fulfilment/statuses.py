"""Order statuses (Oscar stores the status as text) and the pipeline between them.

Orders paid online only exist once paid (payment first, see shop.checkout.placement);
pay-at-pickup orders are placed unpaid and paid at hand-over. So every order in
AWAITING_SHIPMENT is ready for the cooperative to pack into a delivery wave.
"""
from django.conf import settings

# Placed (and paid, or to be paid at pickup); waiting for the cooperative to ship.
AWAITING_SHIPMENT = "待发货"
# An online payment whose amount or currency did not match the order: held for staff.
PAYMENT_HELD = "支付待核实"
# In a shipped delivery wave (pickup) or handed to a courier (home delivery).
IN_TRANSIT = "配送中"
# Received at the pickup point; the customer has been sent the 6-digit pickup code.
READY_FOR_PICKUP = "待取货"
# Handed over at the pickup point against the pickup code.
COLLECTED = "已取货"
# Home delivery: delivered to the door.
DELIVERED = "已送达"
# Never collected: sent back to the cooperative and refunded.
RETURNED = "已退回"
# Cancelled: the attribution ledger is reversed and the units go back to their
# batches and to stock (shop.attribution.receivers).
CANCELLED = "已取消"
# Pre-sale (shop.presale), before the harvest is confirmed: the deposit is paid
# and the balance is due; or everything is paid and the order waits for the harvest.
PRESALE_BALANCE_DUE = "预售·待付尾款"
PRESALE_AWAITING_HARVEST = "预售·待发货"

# Oscar's order status pipeline (settings.OSCAR_ORDER_STATUS_PIPELINE). No status
# goes backwards.
ORDER_STATUS_PIPELINE = {
    PAYMENT_HELD: (AWAITING_SHIPMENT, CANCELLED),
    PRESALE_BALANCE_DUE: (PRESALE_AWAITING_HARVEST, AWAITING_SHIPMENT, CANCELLED),
    PRESALE_AWAITING_HARVEST: (AWAITING_SHIPMENT, CANCELLED),
    AWAITING_SHIPMENT: (IN_TRANSIT, CANCELLED),
    IN_TRANSIT: (READY_FOR_PICKUP, DELIVERED),
    READY_FOR_PICKUP: (COLLECTED, RETURNED),
    COLLECTED: (),
    DELIVERED: (),
    RETURNED: (),
    CANCELLED: (),
}

# Statuses after which nothing more happens to the order.
FINAL_STATUSES = frozenset({COLLECTED, DELIVERED, RETURNED, CANCELLED})


def initial_order_status():
    return getattr(settings, "OSCAR_INITIAL_ORDER_STATUS", None) or AWAITING_SHIPMENT
