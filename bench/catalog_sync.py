#!/usr/bin/env python
"""Channel sync at catalogue scale: push every listing to a pavilion, then show that
the next sync makes calls only for what changed.

    .venv/bin/python bench/catalog_sync.py [--products 10000] [--changes 100]
                                           [--platform jd|pinduoduo] [--limit 500]

1. A PostgreSQL database of its own (BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/xiangpin_bench_sync; the ambient
   DATABASE_URL is ignored), created if missing and migrated (shop.settings.dev,
   DEBUG off). ``--products`` Oscar products with one stock record each, at one
   partner, made with ``bulk_create`` (not the demo seeder) and kept for the next
   run; every run resets their prices and stock and makes the bench channel
   afresh, so each run pushes the whole catalogue from nothing.
2. Redis DB 5 (BENCH_REDIS_URL, flushed) as the cache the per-channel rate
   limiter counts in. The platform's own budget is lifted for the run (JD's is
   20 calls/s: 10,000 listings would take ≥ 500 s and measure that number,
   not the engine).
3. The JD (or Pinduoduo) simulator in this process on 127.0.0.1, the real
   connector and the real relay (claim with SKIP LOCKED, hashes, settle),
   ``--limit`` products per relay run, with a progress bar.
4. Prints and checks, in one run:
   a. full push: seconds, listings per second, simulator calls (HTTP requests)
      by method; every product created once and on sale, every listing row
      holding its remote id;
   b. ``--changes`` products changed through ``StockRecord.save()`` (half a new
      price, half a new stock level; each save queues price *and* stock): the
      next relay makes exactly one price call per repriced product and one
      stock call per restocked product, no create and no product update;
   c. nothing changed: the relay makes 0 calls;
   d. every product queued again (``catalog_sync_push --all``): the relay
      checks them all and makes 0 calls (every hash matches).
   Writes bench/results/catalog_sync.{json,md}.

Absolute figures drift on shared machines; only the call counts are exact.
Never turn the seconds into timed test assertions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(ROOT))

import _db  # noqa: E402
import _env  # noqa: E402

# This file's name is the package it measures: with bench/ on the path, ``import
# catalog_sync`` would find this script. bench/ leaves the path once its helpers are in.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/xiangpin_bench_sync"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
UPC_PREFIX = "BSYNC-"            # the bench's products (upc = listing key on the channel)
PARTNER_NAME = "基准同步合作社"
BASE_STOCK = 1000
PRICE_STEP = Decimal("1.00")     # a repriced product costs this much more
STOCK_STEP = 3                   # a restocked product has this many fewer units

SIMULATORS = {
    "jd": ("catalog_sync.simulators.jd", "JdSimulator"),
    "pinduoduo": ("catalog_sync.simulators.pinduoduo", "PddSimulator"),
}
# The simulator's method names: (creates, content updates, price, stock, reads).
METHODS = {
    "jd": ({"jingdong.ware.write.add"}, {"jingdong.ware.write.updateWare", "jingdong.ware.write.upOrDown"},
           "jingdong.price.write.updateSkuJdPrice", "jingdong.stock.write.updateSkuStock",
           {"jingdong.sku.read.searchSkuList"}),
    "pinduoduo": ({"pdd.goods.add"}, {"pdd.goods.information.update", "pdd.goods.sale.status.set"},
                  "pdd.goods.sku.price.update", "pdd.goods.quantity.update", {"pdd.goods.list.get"}),
}
ON_SALE = {"jd": "8", "pinduoduo": "1"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--products", type=int, default=10_000, help="listings to push (default %(default)s)")
    p.add_argument("--changes", type=int, default=100,
                   help="products changed after the push, half price and half stock (default %(default)s)")
    p.add_argument("--platform", choices=sorted(SIMULATORS), default="jd")
    p.add_argument("--limit", type=int, default=500, help="products per relay run (default %(default)s)")
    p.add_argument("--fresh", action="store_true", help="drop the bench database and start from empty")
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    args = p.parse_args(argv)
    if args.changes % 2 or not 0 < args.changes <= args.products:
        p.error("--changes must be even and at most --products")
    return args


def child_env(args) -> dict:
    return _env.child_env(root=ROOT, settings="shop.settings.dev", database_url=args.database_url,
                          redis_url=args.redis_url, cache_prefix="xiangpin-bench-sync")


def prepare_database(args, env):
    url, name = args.database_url, _db.db_name(args.database_url)
    if args.fresh and _db.exists(url):
        print(f"  dropping {name} (--fresh)", flush=True)
        _db.drop(url)
    if not _db.exists(url):
        print(f"  creating {name}", flush=True)
        _db.create(url)
    _db.manage(ROOT, env, "migrate", "--noinput", timeout=1800)


def setup_django(env):
    os.environ.update(env)
    import django

    django.setup()


# --- the catalogue -------------------------------------------------------------------------

def base_price(product_id: int) -> Decimal:
    return Decimal("19.90") + product_id % 50


def make_products(count: int) -> list[int]:
    """The ids of ``count`` bench products (the missing ones made now), their prices
    and stock reset to the base values."""
    from django.db import transaction
    from django.db.models import DecimalField, ExpressionWrapper, F, Value
    from oscar.core.loading import get_model

    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")

    started = time.monotonic()
    with transaction.atomic():
        product_class, _ = ProductClass.objects.get_or_create(
            slug="bench-sync", defaults={"name": "基准同步商品", "track_stock": True})
        partner, _ = Partner.objects.get_or_create(name=PARTNER_NAME)
        have = Product.objects.filter(upc__startswith=UPC_PREFIX).count()
        if have < count:
            made = Product.objects.bulk_create([
                Product(title=f"梅州金柚 {n:05d} 号园 5斤装", slug=f"bench-sync-{n:05d}", upc=f"{UPC_PREFIX}{n:05d}",
                        structure="standalone", product_class=product_class, is_public=True,
                        description="<p>客家山区的蜜柚，<b>当季采摘</b>。</p>")
                for n in range(have, count)], batch_size=2000)
            StockRecord.objects.bulk_create([
                StockRecord(product=product, partner=partner, partner_sku=f"{UPC_PREFIX}SKU-{product.pk}",
                            price=base_price(product.pk), price_currency="CNY", num_in_stock=BASE_STOCK)
                for product in made], batch_size=2000)
            print(f"  made {len(made):,} products and stock records in {time.monotonic() - started:.1f}s", flush=True)
        ids = list(Product.objects.filter(upc__startswith=UPC_PREFIX).order_by("upc")
                   .values_list("pk", flat=True)[:count])
        price = ExpressionWrapper(Value(Decimal("19.90")) + F("product_id") % 50,
                                  output_field=DecimalField(max_digits=12, decimal_places=2))
        StockRecord.objects.filter(product_id__in=ids).update(price=price, num_in_stock=BASE_STOCK, num_allocated=0)
    return ids


def make_channel(platform: str, sim, product_ids: list[int]):
    """The bench channel, made afresh, with every bench product enabled (content queued)."""
    from catalog_sync.models import Channel, ChannelProduct, OutboxEntry
    from catalog_sync.outbox import outbox_mark_channel

    code = f"bench-{platform}"
    started = time.monotonic()
    Channel.objects.filter(code=code).delete()
    channel = Channel.objects.create(code=code, name=f"基准 {platform}", platform=platform, base_url=sim.url,
                                     app_key=sim.app_key, app_secret=sim.app_secret, access_token=sim.access_token,
                                     refresh_token=sim.refresh_token, stock_buffer=0)
    ChannelProduct.objects.bulk_create([ChannelProduct(channel=channel, product_id=pk) for pk in product_ids],
                                       batch_size=2000)
    outbox_mark_channel(channel, product_ids, OutboxEntry.Kind.CONTENT)
    print(f"  channel {code}: {len(product_ids):,} products enabled in {time.monotonic() - started:.1f}s", flush=True)
    return channel


# --- the relay -----------------------------------------------------------------------------

def drain(channel, connector, *, limit: int, total: int, label: str) -> dict:
    """Relay runs until nothing is due; what they did and what the simulator saw."""
    from tqdm import tqdm

    from catalog_sync.relay import relay_run

    sums = Counter()
    connector_calls = Counter()
    runs = 0
    started = time.monotonic()
    with tqdm(total=total, unit="件", desc=label, disable=total == 0, mininterval=1.0) as bar:
        while True:
            report = relay_run(channel, connector=connector, limit=limit, progress=bar.update)
            runs += 1
            for name in ("claimed", "products", "created", "updated", "adopted", "price_updates", "stock_updates",
                         "unchanged", "deferred", "dead_lettered"):
                sums[name] += getattr(report, name)
            connector_calls.update(report.calls)
            if report.claimed == 0 or report.products == 0:
                break
    return {"seconds": round(time.monotonic() - started, 2), "relay_runs": runs, **sums,
            "connector_calls": dict(connector_calls)}


def simulator_calls(sim) -> dict[str, int]:
    with sim.calls_lock:
        return dict(Counter(method for method, _params in sim.calls))


def remote_offer(platform, sim, key, sku):
    item = sim.catalogue.find(key)
    remote = item.skus[sku]
    price = (Decimal(remote.price) / 100).quantize(Decimal("0.01")) if platform == "pinduoduo" else remote.price
    return price, remote.quantity


# --- the run -------------------------------------------------------------------------------

def run(args) -> dict:
    from importlib import import_module

    from oscar.core.loading import get_model

    from catalog_sync import ratelimit
    from catalog_sync.channels import connector_for
    from catalog_sync.models import ChannelListing, OutboxEntry
    from catalog_sync.outbox import outbox_mark_channel

    StockRecord = get_model("partner", "StockRecord")
    platform = args.platform
    creates, updates, price_method, stock_method, reads = METHODS[platform]

    print("== catalogue", flush=True)
    ids = make_products(args.products)
    module, name = SIMULATORS[platform]
    sim = getattr(import_module(module), name)().start()
    try:
        if hasattr(sim, "limits"):
            sim.limits.clear()           # the simulator's own per-method buckets (Pinduoduo: goods.add 20/s)
        ratelimit.RATE_LIMITS[platform] = {"*": (1_000_000_000, 1.0)}
        channel = make_channel(platform, sim, ids)
        connector = connector_for(channel)
        records = {r.product_id: r for r in StockRecord.objects.filter(product_id__in=ids)}
        keys = {pk: f"{UPC_PREFIX}{n:05d}" for n, pk in enumerate(ids)}

        # a. everything, from nothing
        print(f"== full push: {len(ids):,} listings to the {platform} simulator at {sim.url}", flush=True)
        full = drain(channel, connector, limit=args.limit, total=len(ids), label="push")
        full["simulator_calls"] = simulator_calls(sim)
        full["simulator_calls_total"] = sum(full["simulator_calls"].values())
        full["listings_per_second"] = round(len(ids) / full["seconds"], 1)
        rows = ChannelListing.objects.filter(channel=channel)
        created = sim.catalogue.created
        full_checks = {
            "every product created once": len(created) == len(ids) and set(created.values()) == {1}
            and set(created) == set(keys.values()),
            "every listing on sale": {item.state for item in sim.catalogue.items.values()} == {ON_SALE[platform]},
            "every row live with the simulator's remote id": rows.filter(state="live").count() == len(ids)
            and dict(rows.values_list("key", "remote_id")) == {k: sim.catalogue.find(k).remote_id
                                                                 for k in keys.values()},
            "one call per listing": sum(full["simulator_calls"].get(m, 0) for m in creates) == len(ids),
            "nothing left or failed": full["deferred"] == full["dead_lettered"] == 0
            and not OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True).exists(),
        }

        # b. 1 % changed: half a new price, half a new stock level, through StockRecord.save()
        step = len(ids) // args.changes
        chosen = ids[::step][:args.changes]
        repriced, restocked = chosen[: args.changes // 2], chosen[args.changes // 2:]
        for pk in repriced:
            records[pk].price += PRICE_STEP
            records[pk].save()
        for pk in restocked:
            records[pk].num_in_stock -= STOCK_STEP
            records[pk].save()
        queued = OutboxEntry.objects.filter(channel=channel, processed_at__isnull=True).count()
        sim.reset_calls()
        print(f"== {args.changes} products changed ({len(repriced)} price, {len(restocked)} stock; "
              f"{queued} outbox entries)", flush=True)
        changed = drain(channel, connector, limit=args.limit, total=args.changes, label="changes")
        changed["outbox_entries"] = queued
        changed["simulator_calls"] = simulator_calls(sim)
        changed["simulator_calls_total"] = sum(changed["simulator_calls"].values())
        wanted = {pk: (records[pk].price, records[pk].num_in_stock) for pk in chosen}
        seen = {pk: remote_offer(platform, sim, keys[pk], records[pk].partner_sku) for pk in chosen}
        writes = {m: c for m, c in changed["simulator_calls"].items() if m not in reads}
        changed["reads"] = sum(c for m, c in changed["simulator_calls"].items() if m in reads)
        changed_checks = {
            "one write per change": writes == {price_method: len(repriced), stock_method: len(restocked)},
            "no create, no product update": not any(changed["simulator_calls"].get(m) for m in creates | updates),
            "no read needed (SKU ids known)": changed["reads"] == 0,
            "the channel has the new values": seen == wanted,
        }

        # c. nothing changed
        sim.reset_calls()
        idle = drain(channel, connector, limit=args.limit, total=0, label="idle")
        idle["simulator_calls_total"] = sim.call_count()

        # d. everything queued again, nothing changed (catalog_sync_push --all)
        outbox_mark_channel(channel, ids, OutboxEntry.Kind.CONTENT)
        sim.reset_calls()
        print(f"== all {len(ids):,} products queued again, nothing changed", flush=True)
        recheck = drain(channel, connector, limit=args.limit, total=len(ids), label="check all")
        recheck["simulator_calls_total"] = sim.call_count()
        recheck["listings_checked_per_second"] = round(len(ids) / recheck["seconds"], 1)
        quiet_checks = {
            "nothing changed: 0 calls": idle["simulator_calls_total"] == 0 and idle["claimed"] == 0,
            "all queued, nothing changed: 0 calls": recheck["simulator_calls_total"] == 0
            and recheck["unchanged"] == len(ids),
        }
    finally:
        sim.stop()
    return {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "platform": platform, "products": len(ids), "changes": args.changes, "limit": args.limit,
        "full_push": full, "changed": changed, "idle": idle, "recheck": recheck,
        "checks": {**full_checks, **changed_checks, **quiet_checks},
    }


def render(report: dict) -> str:
    full, changed, idle, recheck = report["full_push"], report["changed"], report["idle"], report["recheck"]
    n = report["products"]

    def methods(calls: dict) -> str:
        return ", ".join(f"{method} {count:,}" for method, count in sorted(calls.items())) or "none"

    lines = [
        f"catalog_sync: {n:,} listings to the {report['platform']} simulator (loopback, in process), "
        f"relay {report['limit']} products a run; {report['when']}, load {report['load']}",
        "",
        "| sync | products | relay runs | seconds | per second | simulator calls | by method |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| full push (from nothing) | {n:,} | {full['relay_runs']} | {full['seconds']} | "
        f"{full['listings_per_second']:,} listings/s | {full['simulator_calls_total']:,} | "
        f"{methods(full['simulator_calls'])} |",
        f"| {report['changes']} changed ({report['changes'] // 2} price, {report['changes'] // 2} stock) | "
        f"{changed['products']} | {changed['relay_runs']} | {changed['seconds']} | | "
        f"{changed['simulator_calls_total']} | {methods(changed['simulator_calls'])} |",
        f"| nothing changed | {idle['products']} | {idle['relay_runs']} | {idle['seconds']} | | "
        f"{idle['simulator_calls_total']} | none |",
        f"| all queued again, nothing changed | {recheck['products']:,} | {recheck['relay_runs']} | "
        f"{recheck['seconds']} | {recheck['listings_checked_per_second']:,} checked/s | "
        f"{recheck['simulator_calls_total']} | none |",
        "",
        f"after the change: {changed['price_updates']} price updates, {changed['stock_updates']} stock updates, "
        f"{changed['created']} created, {changed['updated']} updated "
        f"(from {changed['outbox_entries']} outbox entries: each save queues price and stock); "
        f"{changed['reads']} reads to find SKU ids",
        f"cost grows with the changes, not with the catalogue: {changed['simulator_calls_total']} calls for "
        f"{report['changes']} changes in {n:,} listings; 0 for a full check with nothing changed",
        "checks: " + ", ".join(f"{name} {'✓' if ok else '✗'}" for name, ok in report["checks"].items()),
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    env = child_env(args)
    print(f"catalog_sync bench: {args.database_url}", flush=True)
    print("== database", flush=True)
    prepare_database(args, env)
    _db.flush_redis(args.redis_url)
    setup_django(env)
    report = run(args)
    text = render(report)
    print()
    print(text)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "catalog_sync.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n",
                                           encoding="utf-8")
    (out / "catalog_sync.md").write_text(text + "\n", encoding="utf-8")
    return 0 if all(report["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
