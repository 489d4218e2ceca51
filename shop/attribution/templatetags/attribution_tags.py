from django import template

from ..selectors import order_attribution

register = template.Library()


@register.simple_tag(takes_context=True)
def order_attribution_for(context, order):
    """``{% order_attribution_for order as attribution %}`` (masked, the viewer's lines only).
    Read once per order and request: the order page asks in two of its blocks."""
    cached = getattr(order, "_attribution_shown", None)
    if cached is None:
        cached = order._attribution_shown = order_attribution(order, context["request"].user)
    return cached
