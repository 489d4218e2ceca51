"""The in-process half of the bench: Django set up in this process against the
bench database (same settings and environment as the gunicorn children).

* discovers the page URLs from the database,
* signs a consumer in and hands back the cookies wrk will send,
* counts SQL queries per request with the test Client + CaptureQueriesContext
  (works with DEBUG off), warm: each URL is requested once before the counted
  request, so per-process caches and the page cache are primed,
* profiles a page: its queries grouped by shape, and optionally cProfile.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import time
from collections import defaultdict
from urllib.parse import quote

_READY = False

CONSUMER_EMAIL = "consumer@xiangpin.demo"
BENCH_EMAIL = "bench-consumer@xiangpin.bench"


def setup(env: dict):
    global _READY
    if _READY:
        return
    os.environ.update(env)
    import django

    django.setup()
    _READY = True


def close_connections():
    from django.db import connections

    connections.close_all()


def discover_pages(search_term: str = "荔枝"):
    """[(name, path)] for home, brand, catalogue, product, search; path None when not found."""
    from django.apps import apps
    from django.urls import reverse
    from django.utils import translation
    from oscar.core.loading import get_model

    Brand = apps.get_model("brands", "Brand")
    Product = get_model("catalogue", "Product")
    notes = []
    with translation.override("zh-hans"):
        brand = (Brand.objects.filter(product_origins__isnull=False).distinct().order_by(*Brand._meta.ordering, "pk").first()
                 or Brand.objects.order_by(*Brand._meta.ordering, "pk").first())
        product = Product.objects.browsable().filter(stockrecords__isnull=False).order_by("pk").first()
        if product is None:
            product = (Product.objects.browsable().filter(children__stockrecords__isnull=False).order_by("pk").first()
                       or Product.objects.browsable().order_by("pk").first())
        if brand is None:
            notes.append("no brand in the database")
        if product is None:
            notes.append("no browsable product in the database")
        pages = [
            ("home", "/zh-hans/"),
            ("brand", brand.get_absolute_url() if brand else None),
            ("catalogue", reverse("catalogue:index")),
            ("product", product.get_absolute_url() if product else None),
            ("search", reverse("search:search") + "?q=" + quote(search_term)),
        ]
        counts = {
            "products": Product.objects.count(),
            "browsable_products": Product.objects.browsable().count(),
            "brands": Brand.objects.count(),
        }
        try:
            login_check = reverse("customer:profile-view")
        except Exception:  # noqa: BLE001
            login_check = None
    return pages, counts, notes, login_check


def sign_in():
    """Sign a consumer in (the seeded one if present, else a bench user). Returns
    (email, Client, cookie dict {sessionid, csrftoken})."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    User = get_user_model()
    user = User.objects.filter(email__iexact=CONSUMER_EMAIL, is_active=True).order_by("pk").first()
    if user is None:
        user = User.objects.filter(email__iexact=BENCH_EMAIL).order_by("pk").first()
        if user is None:
            user = User(username="bench-consumer", email=BENCH_EMAIL, first_name="Bench")
            user.set_unusable_password()
            user.save()
    client = Client()
    client.force_login(user)
    session_cookie = settings.SESSION_COOKIE_NAME
    csrf_cookie = settings.CSRF_COOKIE_NAME
    cookies = {session_cookie: client.cookies[session_cookie].value}
    client.cookies[csrf_cookie] = _get_new_csrf_string()
    cookies[csrf_cookie] = client.cookies[csrf_cookie].value
    return user.email, client, cookies


def count_queries(path: str, client=None):
    """Warm request, then the counted one. Returns a dict with status, queries,
    page-cache header, bytes and the captured SQL."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = client or Client()
    result = {"path": path, "warmups": 0}
    try:
        # Warm: per-process caches, and the page cache (anonymous). Up to three
        # warm-ups while the page cache still answers "miss".
        for _ in range(3):
            result["warmups"] += 1
            if client.get(path).headers.get("X-Page-Cache") != "miss":
                break
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(path)
        result["ms"] = (time.perf_counter() - t0) * 1000
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the bench goes on
        result.update(status=None, error=f"{type(exc).__name__}: {exc}", queries=None, captured=[])
        return result
    result.update(
        status=resp.status_code,
        queries=len(ctx.captured_queries),
        cache=resp.headers.get("X-Page-Cache"),
        location=resp.headers.get("Location"),
        bytes=len(resp.content) if not getattr(resp, "streaming", False) else None,
        captured=list(ctx.captured_queries),
    )
    return result


_LITERALS = [
    (re.compile(r"'(?:[^']|'')*'"), "?"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "?"),
    (re.compile(r"\((?:\s*\?\s*,)+\s*\?\s*\)"), "(?…)"),
    (re.compile(r"\s+"), " "),
]


def shape(sql: str) -> str:
    for rx, rep in _LITERALS:
        sql = rx.sub(rep, sql)
    return sql.strip()


def tables_of(sql: str) -> str:
    m = re.search(r'\bFROM\s+"?([a-z0-9_]+)"?', sql, re.I)
    head = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    if head in {"SAVEPOINT", "RELEASE"}:
        return head
    table = m.group(1) if m else "?"
    joins = re.findall(r'JOIN\s+"?([a-z0-9_]+)"?', sql, re.I)
    return table + (" ⋈ " + ", ".join(dict.fromkeys(joins)) if joins else "")


def query_profile(captured, top: int = 10):
    """Queries grouped by shape: [(count, total_ms, tables, example_sql)] by count then time."""
    groups = defaultdict(lambda: [0, 0.0, "", ""])
    for q in captured:
        key = shape(q["sql"])
        g = groups[key]
        g[0] += 1
        g[1] += float(q.get("time") or 0) * 1000
        g[2] = tables_of(q["sql"])
        g[3] = q["sql"]
    rows = sorted(groups.values(), key=lambda g: (-g[0], -g[1]))
    return [tuple(r) for r in rows[:top]]


class TemplateTimer:
    """Times Django templates while active: per template, calls and inclusive/own
    milliseconds (blocks of a child template are rendered inside its parent's
    ``_render``, so they count towards the parent's own time; included templates,
    e.g. a product card, are separated)."""

    def __init__(self):
        self.stats = defaultdict(lambda: [0, 0.0, 0.0])
        self._stack = []
        self._orig = None

    def __enter__(self):
        from django.template import base as tbase

        self._orig = orig = tbase.Template._render
        stats, stack = self.stats, self._stack

        def timed(tpl, context):
            t0 = time.perf_counter()
            stack.append(0.0)
            try:
                return orig(tpl, context)
            finally:
                elapsed = time.perf_counter() - t0
                children = stack.pop()
                if stack:
                    stack[-1] += elapsed
                name = getattr(tpl.origin, "template_name", None) or tpl.name or "<string>"
                st = stats[name]
                st[0] += 1
                st[1] += elapsed
                st[2] += elapsed - children

        tbase.Template._render = timed
        return self

    def __exit__(self, *exc):
        from django.template import base as tbase

        tbase.Template._render = self._orig
        return False


def cprofile(path: str, client, repeat: int = 20, top: int = 15, root=None) -> str:
    """cProfile + template timings of ``repeat`` warm requests; a text report per request."""
    client.get(path)
    timer = TemplateTimer()
    t0 = time.perf_counter()
    with timer:  # template timings without cProfile's overhead
        for _ in range(repeat):
            client.get(path)
    wall = (time.perf_counter() - t0) * 1000 / repeat
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        client.get(path)
    prof.disable()
    out = io.StringIO()
    out.write(f"{wall:.1f} ms per request in-process (with template timing, without cProfile)\n")
    out.write("-- templates (ms per request: own, inclusive; calls per request):\n")
    rows = sorted(timer.stats.items(), key=lambda kv: -kv[1][2])[:top]
    for name, (calls, incl, own) in rows:
        out.write(f"   {own * 1000 / repeat:7.1f} {incl * 1000 / repeat:7.1f}  {calls / repeat:6.1f}×  {name}\n")
    stats = pstats.Stats(prof, stream=out)
    out.write("-- hottest functions by own time:\n")
    stats.sort_stats("tottime").print_stats(top)
    if root is not None:
        out.write("-- project code and template tags by cumulative time:\n")
        stats.sort_stats("cumulative").print_stats(rf"({re.escape(str(root))}/(?!\.venv)|templatetags)", top)
    return out.getvalue()
