"""Oscar's analytics counters (a product's purchases, a customer's orders) are
updated after the order's transaction commits, not inside it: the product's
counter row is one every buyer of the product writes, and holding its lock
until the order commits would queue a flash sale's buyers behind each other.
A counter is a statistic; the order does not depend on it."""
from django.db import transaction
from oscar.apps.analytics import receivers as oscar_analytics
from oscar.apps.order.signals import order_placed


def _order_placed_counted_after_commit(sender, order, user, **kwargs):
    transaction.on_commit(lambda: oscar_analytics.receive_order_placed(sender, order=order, user=user, **kwargs))


def connect():
    order_placed.disconnect(oscar_analytics.receive_order_placed)
    order_placed.connect(_order_placed_counted_after_commit, dispatch_uid="xp_analytics_order_placed")
