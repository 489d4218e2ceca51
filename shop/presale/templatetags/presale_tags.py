from django import template

from ..rules import deposit_rule
from ..selectors import presale_for_product

register = template.Library()


@register.inclusion_tag("presale/box.html")
def presale_box(product):
    """The pre-sale box of a product page (nothing without a pre-sale). The
    same for every visitor: it may sit in a cached fragment (a purchase bumps the
    page-cache generation, a window boundary the time epoch)."""
    from shop.payments import gateway

    presale = presale_for_product(product.pk)
    if presale is None:
        return {"presale": None}
    state = presale.state_at()
    return {"presale": presale, "state": state, "state_label": state.label, "deposit_rule": deposit_rule(presale),
            "online": bool(gateway.online_methods_enabled())}


@register.simple_tag
def presale_order_for(order):
    """The pre-sale order of an Oscar order, or None."""
    from ..models import PreSaleOrder

    if order is None:
        return None
    return PreSaleOrder.objects.filter(order=order).select_related("presale").first()
