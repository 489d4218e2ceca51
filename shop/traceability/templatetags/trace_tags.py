"""Batch links for product and order pages (each one query, see selectors)."""
from django import template

from .. import selectors

register = template.Library()


@register.simple_tag
def product_trace_batches(product):
    """The product's newest sellable batches (for links to their trace pages)."""
    if product is None or not getattr(product, "pk", None):
        return []
    return selectors.recent_batches_for_product(product_id=product.pk)


@register.simple_tag
def order_trace_lines(order):
    """Each line of the order with the batches it was allocated."""
    if order is None or not getattr(order, "pk", None):
        return []
    return selectors.order_line_batches(order=order)
