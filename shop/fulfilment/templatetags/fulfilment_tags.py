from django import template

from shop.fulfilment.selectors import order_item_counts, order_pickup_for_order, order_pickups_by_order_id

register = template.Library()


@register.simple_tag
def orders_with_pickups(orders):
    """[(order, pickup-or-None, number of items), ...] for a page of orders, in two
    queries whatever the page size (Oscar's ``order.num_items`` costs one per order)."""
    orders = list(orders)
    order_ids = [order.pk for order in orders]
    pickups = order_pickups_by_order_id(order_ids=order_ids)
    item_counts = order_item_counts(order_ids=order_ids)
    return [(order, pickups.get(order.pk), item_counts.get(order.pk, 0)) for order in orders]


@register.simple_tag
def order_pickup(order):
    return order_pickup_for_order(order=order)


@register.simple_tag
def order_tracking(order):
    """Status steps, pickup code and QR (while waiting), tracking events, payment (shop.fulfilment.tracking)."""
    from shop.fulfilment.tracking import order_tracking as tracking_for

    return tracking_for(order=order)
