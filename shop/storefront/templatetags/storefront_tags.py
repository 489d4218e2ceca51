"""Template tags for the storefront layout and listings."""
import hashlib

from django import template
from django.conf import settings
from django.core.signing import BadSignature, Signer
from django.db import connection
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from oscar.core.loading import get_model

from shop.core.cache import (
    CSRF_SENTINEL,
    compact_html,
    PAGE_QUERY_PARAMETERS,
    fragment_cache_key,
    generation_cache_get,
    generation_cache_set,
    normalized_query,
)

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
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return _open_basket_items(owner_id=user.pk)
    cookie = request.COOKIES.get(settings.OSCAR_BASKET_COOKIE_OPEN)
    if not cookie:
        return 0
    try:
        basket_id = int(Signer().unsign(cookie))
    except (BadSignature, ValueError):
        return 0
    return _open_basket_items(basket_id=basket_id)


def _open_basket_items(*, owner_id=None, basket_id=None):
    """SUM of line quantities over the owner's open baskets (or one ownerless
    open basket). Plain SQL: on every signed-in page, the ORM's aggregate()
    costs more to build than the query costs to run."""
    Basket = get_model("basket", "Basket")
    Line = get_model("basket", "Line")
    lines, baskets = Line._meta.db_table, Basket._meta.db_table
    if owner_id is not None:
        where, param = "b.owner_id = %s", owner_id
    else:
        where, param = "b.id = %s AND b.owner_id IS NULL", basket_id
    sql = (
        f'SELECT COALESCE(SUM(l.quantity), 0) FROM "{lines}" l INNER JOIN "{baskets}" b ON l.basket_id = b.id '
        f"WHERE {where} AND b.status = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [param, Basket.OPEN])
        return int(cursor.fetchone()[0])


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
    suffix = "?" + query if query else ""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return translate_url(request.path + suffix, language_code)
    with translation.override(language_code):
        try:
            return reverse(match.view_name, args=match.args, kwargs=match.kwargs) + suffix
        except NoReverseMatch:
            return request.path + suffix


@register.filter
def localized_name(obj, language_code):
    """``name_en`` in English when there is one, else ``name``."""
    if obj is None:
        return ""
    if language_code == "en" and getattr(obj, "name_en", ""):
        return obj.name_en
    return getattr(obj, "name", "") or str(obj)


class CachedFragmentNode(template.Node):
    def __init__(self, nodelist, name, parts):
        self.nodelist, self.name, self.parts = nodelist, name, parts

    def render(self, context):
        request = context.get("request")
        if getattr(request, "is_preview", False):  # a Wagtail preview: draft content, never cached
            return self.nodelist.render(context)
        parts = [part.resolve(context) for part in self.parts]
        digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()
        key = fragment_cache_key(self.name, get_language() or "", digest)
        html = generation_cache_get(key)
        if html is None:
            # Never a visitor's own CSRF token in a shared fragment: the sentinel,
            # which PageCacheMiddleware replaces on every response.
            with context.push(csrf_token=CSRF_SENTINEL):
                html = mark_safe(compact_html(self.nodelist.render(context).encode()).decode())
            generation_cache_set(key, html)
        return html


@register.tag
def cached_fragment(parser, token):
    """``{% cached_fragment "name" part ... %}…{% endcached_fragment %}``: the
    rendered HTML kept in the cache under the page-cache generation (so any
    catalogue change makes it stale), the language and the given parts.
    Only for HTML that is the same for every visitor: product cards, not the
    basket. Lazy querysets used only inside are not even evaluated on a hit."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("cached_fragment needs a name")
    nodelist = parser.parse(("endcached_fragment",))
    parser.delete_first_token()
    return CachedFragmentNode(nodelist, bits[1].strip("\"'"), [parser.compile_filter(bit) for bit in bits[2:]])


@register.simple_tag(takes_context=True)
def page_parameters(context):
    """Path and page parameters of this request: a fragment key part for
    fragments that depend on filters, sort and page."""
    request = context["request"]
    return f"{request.path}?{normalized_query(request.GET)}"
