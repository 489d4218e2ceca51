"""Template tags for the storefront layout and listings."""
from django import template
from django.conf import settings
from django.core.signing import BadSignature, Signer
from django.db.models import Sum
from django.urls import translate_url
from django.utils.http import urlencode
from oscar.core.loading import get_model

from shop.core.cache import PAGE_QUERY_PARAMETERS, normalized_query

register = template.Library()


@register.simple_tag(takes_context=True)
def basket_item_count(context):
    """Items in the visitor's open basket: no query for an anonymous visitor
    without a basket cookie (every cacheable page), else one SUM, instead of
    loading the basket with its lines and offers the way ``request.basket`` does."""
    request = context.get("request")
    if request is None:
        return 0
    loaded = getattr(request, "_basket_cache", None)
    if loaded is not None:
        return loaded.num_items if loaded.id else 0
    Basket = get_model("basket", "Basket")
    Line = get_model("basket", "Line")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        lines = Line.objects.filter(basket__owner=user, basket__status=Basket.OPEN)
    else:
        cookie = request.COOKIES.get(settings.OSCAR_BASKET_COOKIE_OPEN)
        if not cookie:
            return 0
        try:
            basket_id = Signer().unsign(cookie)
        except BadSignature:
            return 0
        lines = Line.objects.filter(basket_id=basket_id, basket__owner=None, basket__status=Basket.OPEN)
    return lines.aggregate(total=Sum("quantity"))["total"] or 0


@register.simple_tag(takes_context=True)
def url_with_params(context, base=None, **changes):
    """The current path (or ``base``) with the current query parameters changed:
    ``name=value`` sets, ``name=""`` (or None) removes. The page number is
    always dropped unless set."""
    request = context["request"]
    path = base or request.path
    params = {key: value for key, value in request.GET.items() if key in PAGE_QUERY_PARAMETERS and key != "page"}
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(sorted(params.items()))
    return f"{path}?{query}" if query else path


@register.simple_tag(takes_context=True)
def language_url(context, language_code):
    """This page in another language (same view, same page parameters)."""
    request = context["request"]
    query = normalized_query(request.GET)
    return translate_url(request.path + ("?" + query if query else ""), language_code)


@register.filter
def localized_name(obj, language_code):
    """``name_en`` in English when there is one, else ``name``."""
    if obj is None:
        return ""
    if language_code == "en" and getattr(obj, "name_en", ""):
        return obj.name_en
    return getattr(obj, "name", "") or str(obj)
