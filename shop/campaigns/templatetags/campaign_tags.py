"""Template tags for campaign offers and countdowns on storefront pages."""
import datetime
import math

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from shop.campaigns.flash import flash_form_defaults
from shop.campaigns.offers import offer_for_product

register = template.Library()


@register.inclusion_tag("campaigns/flash_form.html", takes_context=True)
def flash_form(context, offer):
    """立即抢购 for a live offer: the form for a signed-in customer (their last
    pickup point and recipient filled in), a sign-in link for anyone else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "offer": offer, "signed_in": signed_in, "request": request,
        "csrf_token": context.get("csrf_token"),
        **(flash_form_defaults(user=user) if signed_in else {}),
    }


@register.simple_tag
def campaign_offer(product, purchase_info):
    """The product's campaign offer (live, sold out or not started), or None."""
    if product is None or purchase_info is None:
        return None
    return offer_for_product(product, purchase_info)


def countdown_text(target, now=None) -> str:
    """'2天 03:04:05', or '03:04:05' under a day; '00:00:00' once passed.
    (static/xiangpin/js/countdown.js writes the same format every second.)"""
    now = now or timezone.now()
    seconds = max(math.ceil((target - now).total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return _("%(days)d天 %(clock)s") % {"days": days, "clock": clock} if days else clock


@register.simple_tag
def countdown(target, reload=False):
    """A countdown to ``target``: the text as of now, rendered by the server,
    then counted down each second by countdown.js (``data-countdown``). With
    ``reload`` the page reloads once when it reaches zero (the state changes)."""
    if not isinstance(target, datetime.datetime):
        return ""
    return format_html(
        '<time class="xp-countdown" datetime="{}" data-countdown data-day-label="{}"{}>{}</time>',
        target.isoformat(), _("天"), format_html(" data-countdown-reload") if reload else "",
        countdown_text(target),
    )
