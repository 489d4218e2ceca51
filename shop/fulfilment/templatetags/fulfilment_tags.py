from django import template

from shop.fulfilment.selectors import order_pickup_for_order, order_pickups_by_order_id

register = template.Library()


@register.simple_tag
def orders_with_pickups(orders):
    """[(order, pickup-or-None), ...] for a page of orders, in one query."""
    orders = list(orders)
    pickups = order_pickups_by_order_id(order_ids=[order.pk for order in orders])
    return [(order, pickups.get(order.pk)) for order in orders]


@register.simple_tag
def order_pickup(order):
    return order_pickup_for_order(order=order)
