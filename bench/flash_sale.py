#!/usr/bin/env python
"""Flash sale under load against the running server (gunicorn, PostgreSQL, Redis).

    .venv/bin/python bench/flash_sale.py [--units 500] [--clients 400] [--attempts 2000]
                                         [--workers 4] [--products 200] [--skip-seed | --fresh]

1. Prepares a PostgreSQL database of its own (BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/xiangpin_bench_flash), migrated and seeded
   with ``seed_demo --products N`` (once; see bench/README.md), and a Redis DB of
   its own (flushed).
2. In this process: a live 年货节 campaign on one demo product with a flash
   quota of ``--units`` units (campaign price, a limit of 2 per customer), a new
   harvest batch so stock is not the limit, ``--clients`` signed-in customers
   (sessions written here, cookies handed to the clients).
3. Starts gunicorn (``--workers`` sync workers, production settings) and, with
   ``--clients`` concurrent HTTP clients (aiohttp) in the same run:
   a. the product page, signed in (never served from the page cache),
      ``--attempts`` requests;
   b. the flash purchase (POST 立即抢购, pay at the pickup point),
      ``--attempts`` attempts.
4. Prints orders per second, attempts per second, p50/p99 latency of both, the
   ratio of the flash checkout's throughput to the product page's (bar ≥ 50 %),
   and checks in the database: exactly ``--units`` orders, sold == quota,
   no oversell, no 5xx. Writes bench/results/flash_sale.{json,md}.

Absolute figures drift on shared machines; only the ratio and the counts mean
anything. Never turn them into timed test assertions.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(ROOT))

import _db  # noqa: E402
import _env  # noqa: E402
import _server  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/xiangpin_bench_flash"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"
RATIO_BAR = 0.50
CAMPAIGN_SLUG_PREFIX = "bench-flash-"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=500, help="flash quota (default %(default)s)")
    p.add_argument("--clients", type=int, default=400, help="concurrent clients (default %(default)s)")
    p.add_argument("--attempts", type=int, default=2000, help="purchase attempts, and page requests (default %(default)s)")
    p.add_argument("--limit", type=int, default=2, help="per-customer limit (default %(default)s)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default %(default)s)")
    p.add_argument("--products", type=int, default=200, help="catalogue size to seed (default %(default)s)")
    p.add_argument("--skip-seed", action="store_true")
    p.add_argument("--fresh", action="store_true")
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    return p.parse_args(argv)


def child_env(args) -> dict:
    return _env.child_env(root=ROOT, settings="shop.settings.production", database_url=args.database_url,
                          redis_url=args.redis_url, cache_prefix="xiangpin-bench-flash")


# --- in-process set-up (Django loaded with the bench settings) -------------------------------

def _pick_product():
    from django.db.models import Count
    from oscar.core.loading import get_model

    Product = get_model("catalogue", "Product")
    from shop.producers.models import Membership

    subjects_with_members = Membership.objects.values("market_subject_id").annotate(n=Count("pk")).filter(n__gt=0)
    product = (Product.objects.filter(origin__market_subject_id__in=subjects_with_members.values("market_subject_id"),
                                      origin__is_fresh=False, stockrecords__isnull=False, is_public=True)
               .order_by("pk").first())
    if product is None:
        raise SystemExit("no suitable product (non-fresh, with a market subject that has members) in the bench database")
    return product


def _harvest(product, units):
    """A new batch of ``units`` of the product through the real service (adds stock)."""
    from shop.harvest.services import ContributionInput, batch_create
    from shop.producers.models import Membership

    membership = Membership.objects.filter(market_subject=product.origin.market_subject).select_related("household").first()
    today = dt.date.today()
    return batch_create(
        product=product, harvested_on=today, quantity=units, inspection_report_number=f"BENCH-{time.time_ns()}",
        inspected_on=today, contributions=[ContributionInput(household=membership.household, quantity=units,
                                                             income_rule="purchase_price", purchase_price=Decimal("6.00"))],
    )


def _users(count):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    names = [f"flash-bench-{n:04d}" for n in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([User(username=name, email=f"{name}@bench.example", first_name="抢购", password="!")
                              for name in names if name not in existing])
    return list(User.objects.filter(username__in=names).order_by("username"))


def _session_cookie(user):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


def set_up(args):
    import django

    django.setup()
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone

    from shop.campaigns.models import Campaign, CampaignProduct
    from shop.fulfilment.selectors import pickup_points_active

    now = timezone.now()
    Campaign.objects.filter(slug__startswith=CAMPAIGN_SLUG_PREFIX, ends_at__gt=now).update(ends_at=now)
    product = _pick_product()
    _harvest(product, args.units + 100)
    point = pickup_points_active().first()
    campaign = Campaign.objects.create(
        name="年货节 · 压测", slug=f"{CAMPAIGN_SLUG_PREFIX}{now:%Y%m%d%H%M%S}", theme="nianhuo", is_published=True,
        starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=2),
    )
    stock_price = product.stockrecords.first().price
    item = CampaignProduct.objects.create(campaign=campaign, product=product, quota=args.units,
                                          per_customer_limit=args.limit,
                                          price=(stock_price * Decimal("0.5")).quantize(Decimal("0.01")))
    users = _users(args.clients)
    csrf = _get_new_csrf_string()
    clients = [{"cookies": {settings.SESSION_COOKIE_NAME: _session_cookie(user), settings.CSRF_COOKIE_NAME: csrf},
                "csrf": csrf} for user in users]
    from django.db import connections

    connections.close_all()
    return {"item": item.pk, "product_path": product.get_absolute_url(), "point": point.pk,
            "product": product.get_title(), "price": str(item.price), "clients": clients}


def verify(item_id, units):
    from django.db import connections
    from oscar.core.loading import get_model

    from shop.campaigns.models import CampaignOrderLine, CampaignProduct

    connections.close_all()
    item = CampaignProduct.objects.get(pk=item_id)
    stock = item.product.stockrecords.get()
    Order = get_model("order", "Order")
    lines = CampaignOrderLine.objects.filter(item=item)
    orders = Order.objects.filter(lines__campaign_line__item=item).distinct().count()
    return {"orders": orders, "units_in_orders": sum(line.quantity for line in lines), "sold": item.sold,
            "quota": item.quota, "stock_allocated": stock.num_allocated, "stock_in_stock": stock.num_in_stock,
            "oversold": max(item.sold - item.quota, 0), "allocated_lte_in_stock": stock.num_allocated <= stock.num_in_stock}


# --- load ---------------------------------------------------------------------------------

async def _drive(base_url, clients, attempts, make_request):
    """``len(clients)`` concurrent clients share ``attempts`` requests (client i
    makes requests i, i + n, …). Returns ([(status, seconds, body_tag)], wall seconds)."""
    import aiohttp

    results = []
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as warm:
        async with warm.get("/bench/bare/") as response:
            await response.read()

    async def client(index, spec):
        async with aiohttp.ClientSession(base_url, cookies=spec["cookies"], connector=aiohttp.TCPConnector(limit=1),
                                         timeout=timeout) as session:
            for _ in range(index, attempts, len(clients)):
                started = time.perf_counter()
                status, tag = await make_request(session, spec)
                results.append((status, time.perf_counter() - started, tag))

    started = time.perf_counter()
    await asyncio.gather(*(client(i, spec) for i, spec in enumerate(clients)))
    return results, time.perf_counter() - started


def product_page(path):
    async def request(session, spec):
        async with session.get(path, allow_redirects=False) as response:
            await response.read()
            return response.status, response.headers.get("X-Page-Cache", "")
    return request


def flash_purchase(setup):
    async def request(session, spec):
        data = {"csrfmiddlewaretoken": spec["csrf"], "item": setup["item"], "quantity": "1",
                "service_point": setup["point"], "recipient_name": "陈小姐", "recipient_phone": "13900001111"}
        async with session.post("/zh-hans/shop/flash/buy/", data=data, allow_redirects=False,
                                headers={"Referer": "http://127.0.0.1/"}) as response:
            body = await response.text()
            if response.status == 302 and "/accounts/orders/" in response.headers.get("Location", ""):
                return 302, "order"
            if response.status == 409 and "已抢光" in body:
                return 409, "sold out"
            if response.status == 409 and "限购" in body:
                return 409, "limit"
            return response.status, body[:120]
    return request


def summarise(results, wall):
    latencies = sorted(seconds for _status, seconds, _tag in results)
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * len(latencies))) - 1)]
    tags = {}
    for status, _seconds, tag in results:
        tags[f"{status} {tag}"] = tags.get(f"{status} {tag}", 0) + 1
    return {"requests": len(results), "seconds": round(wall, 2), "per_second": round(len(results) / wall, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1), "p99_ms": round(p99 * 1000, 1),
            "server_errors": sum(1 for status, _s, _t in results if status >= 500), "outcomes": tags}


def main(argv=None):
    args = parse_args(argv)
    env = child_env(args)
    print("== database", flush=True)
    print(" ", _db.prepare(ROOT, env, products=args.products, households=None, fresh=args.fresh,
                           skip_seed=args.skip_seed), flush=True)
    _db.flush_redis(args.redis_url)
    _db.manage(ROOT, env, "collectstatic", "--noinput", timeout=600)
    os.environ.update(env)
    print("== set-up: campaign, batch, customers", flush=True)
    setup = set_up(args)
    print(f"  {setup['product']} at ¥{setup['price']}, quota {args.units}, limit {args.limit} per customer, "
          f"{len(setup['clients'])} customers", flush=True)
    log = BENCH_DIR / "results" / "gunicorn-flash.log"
    with _server.Gunicorn(ROOT, env, workers=args.workers, log_path=log) as server:
        print(f"== product page, signed in (uncached): {args.attempts} requests from {args.clients} clients", flush=True)
        page_results, page_wall = asyncio.run(_drive(server.base_url, setup["clients"], args.attempts,
                                                     product_page(setup["product_path"])))
        print(f"== flash purchase: {args.attempts} attempts from {args.clients} clients", flush=True)
        flash_results, flash_wall = asyncio.run(_drive(server.base_url, setup["clients"], args.attempts,
                                                       flash_purchase(setup)))
    page = summarise(page_results, page_wall)
    flash = summarise(flash_results, flash_wall)
    database = verify(setup["item"], args.units)
    orders_answered = flash["outcomes"].get("302 order", 0)
    ratio = flash["per_second"] / page["per_second"]
    report = {
        "when": dt.datetime.now().isoformat(timespec="seconds"), "units": args.units, "clients": args.clients,
        "attempts": args.attempts, "workers": args.workers, "product_page": page, "flash": flash,
        "orders_per_second": round(database["orders"] / flash_wall, 1), "ratio_flash_to_page": round(ratio, 3),
        "database": database,
        "checks": {
            "exactly_units_orders": database["orders"] == args.units == orders_answered,
            "no_oversell": database["oversold"] == 0 and database["sold"] == args.units
            and database["allocated_lte_in_stock"],
            "no_server_errors": flash["server_errors"] == 0 and page["server_errors"] == 0,
            "ratio_bar": ratio >= RATIO_BAR,
        },
    }
    lines = [
        f"flash sale: {args.attempts} attempts, {args.clients} concurrent clients, quota {args.units}, "
        f"gunicorn {args.workers} sync workers",
        "",
        "| | requests | seconds | per second | p50 ms | p99 ms | 5xx |",
        "|---|---|---|---|---|---|---|",
        f"| product page (signed in, uncached) | {page['requests']} | {page['seconds']} | {page['per_second']} | "
        f"{page['p50_ms']} | {page['p99_ms']} | {page['server_errors']} |",
        f"| flash purchase | {flash['requests']} | {flash['seconds']} | {flash['per_second']} | "
        f"{flash['p50_ms']} | {flash['p99_ms']} | {flash['server_errors']} |",
        "",
        f"orders: {database['orders']} ({report['orders_per_second']} orders/s); outcomes: {flash['outcomes']}",
        f"database: sold {database['sold']} of quota {database['quota']}, units in orders {database['units_in_orders']}, "
        f"stock allocated {database['stock_allocated']} ≤ in stock {database['stock_in_stock']}",
        f"ratio flash / product page throughput: {ratio:.2f} (bar ≥ {RATIO_BAR:.2f})",
        "checks: " + ", ".join(f"{name} {'✓' if ok else '✗'}" for name, ok in report["checks"].items()),
    ]
    print("\n".join(lines))
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "flash_sale.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    (out / "flash_sale.md").write_text("\n".join(lines) + "\n")
    return 0 if all(report["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
