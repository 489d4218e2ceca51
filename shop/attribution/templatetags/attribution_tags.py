from django import template

from ..selectors import order_attribution

register = template.Library()


@register.simple_tag(takes_context=True)
def order_attribution_for(context, order):
    """``{% order_attribution_for order as attribution %}`` (masked, the viewer's lines only)."""
    return order_attribution(order, context["request"].user)
