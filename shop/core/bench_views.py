"""Reference views for ``bench/pages.py``.

Mounted only when the environment variable ``XIANGPIN_BENCH_VIEWS=1`` is set
(see ``shop/urls.py``), outside ``i18n_patterns``, so they run through exactly
the same middleware stack as the storefront pages:

* ``/bench/bare/`` — the cheapest possible Django response: a few bytes, no
  template, no query. Anonymous pages served from the page cache are measured
  against it. ``/bench/bare/?pad=40000`` sends a 40 kB body instead (diagnostic).
* ``/bench/lean/`` — what a well-built listing costs: 20 products with their
  prices from ONE query (a join to the stock records), rendered through a small
  Django template. Uncached (signed-in) pages are measured against it.
"""
from functools import lru_cache

from django.db.models import F
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.cache import never_cache
from oscar.core.loading import get_model

LEAN_TEMPLATE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>lean · 乡品通</title></head>
<body><ul>{% for p in products %}
<li><a href="{% url 'catalogue:detail' product_slug=p.slug pk=p.id %}">{{ p.title }}</a>
<span>{% if p.price is not None %}¥{{ p.price|floatformat:2 }}{% else %}—{% endif %}</span></li>{% endfor %}
</ul></body></html>
"""


@lru_cache(maxsize=1)
def _lean_template():
    return engines["django"].from_string(LEAN_TEMPLATE)


_PAD_LINE = "<p>乡品通 bench padding · 高州荔枝 梅州金柚 英德红茶</p>\n".encode()


@never_cache
def bare(request):
    """``?pad=N`` (bytes, ≤ 1 MB) adds a body of about that size: the bare view with
    a page's weight on the wire, to tell transfer cost from rendering cost."""
    try:
        pad = max(0, min(int(request.GET.get("pad", 0)), 1_000_000))
    except ValueError:
        pad = 0
    if not pad:
        return HttpResponse(b"ok", content_type="text/plain")
    body = (_PAD_LINE * (pad // len(_PAD_LINE) + 1))[:pad]
    return HttpResponse(body, content_type="text/html; charset=utf-8")


@never_cache
def lean(request):
    Product = get_model("catalogue", "Product")
    products = list(
        Product.objects.filter(is_public=True)
        .order_by("id")
        .values("id", "title", "slug", price=F("stockrecords__price"))[:20]  # one query: LEFT JOIN stock records
    )
    return HttpResponse(_lean_template().render({"products": products}))


app_name = "bench"
urlpatterns = [
    path("bare/", bare, name="bare"),
    path("lean/", lean, name="lean"),
]
