#!/usr/bin/env python
"""Storefront throughput and SQL queries per page, as ratios measured in one run.

    .venv/bin/python bench/pages.py [--products 2000] [--duration 10] [--connections 16]
                                    [--skip-seed | --fresh] [--quick] [--profile]

1. Prepares a PostgreSQL database of its own (BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/xiangpin_bench), migrates it and seeds it
   with ``manage.py seed_demo --products N`` (skipped when already seeded so);
   flushes a Redis DB of its own (BENCH_REDIS_URL, default redis://127.0.0.1:6379/3).
2. Counts SQL queries per page in this process (Django test Client +
   CaptureQueriesContext, DEBUG off), anonymous (warm) and signed in.
3. Starts gunicorn (2 sync workers, production settings, DEBUG off, whitenoise,
   XIANGPIN_BENCH_VIEWS=1) on a free loopback port, drives the reference views
   (/bench/bare/, /bench/lean/) and each page with wrk, anonymous (page cache
   warmed by one request) and signed in (session cookie, uncached), and stops it.
4. Prints one table with ratios to the bare and lean views of the same run and
   whether the bars are met; writes it to bench/results/ as JSON and Markdown.

Absolute figures drift on shared machines; only the ratios and query counts mean
anything. Never turn them into timed test assertions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(ROOT))

import _db  # noqa: E402
import _env  # noqa: E402
import _inproc  # noqa: E402
import _server  # noqa: E402
import _wrk  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/xiangpin_bench"
DEFAULT_DB_QUICK = "postgres://postgres@127.0.0.1:5432/xiangpin_bench_quick"
DEFAULT_REDIS = "redis://127.0.0.1:6379/3"

THROUGHPUT_PAGES = ("home", "brand", "catalogue", "product")
QUERY_BAR_PAGES = ("product", "brand", "catalogue")
RATIO_BAR = 0.50
QUERY_BAR = 10


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--products", type=int, help="catalogue size to seed (default 2000; 200 with --quick)")
    p.add_argument("--households", type=int, help="passed to seed_demo --households (default: the seeder's)")
    p.add_argument("--duration", type=int, help="seconds of wrk per URL (default 10; 3 with --quick)")
    p.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    p.add_argument("--quick", action="store_true", help="smoke run: 3 s per URL, 200 products, own database")
    p.add_argument("--skip-seed", action="store_true", help="use the database as it is (no migrate, no seed)")
    p.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    p.add_argument("--database-url", default=None,
                   help="bench database (env BENCH_DATABASE_URL; default %s, or *_quick with --quick). "
                        "The ambient DATABASE_URL is deliberately ignored." % DEFAULT_DB)
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
                   help="bench Redis DB, flushed at start (env BENCH_REDIS_URL; default %(default)s)")
    p.add_argument("--settings", default="shop.settings.production", help="settings module (default %(default)s)")
    p.add_argument("--only", default="", help="comma-separated pages to drive (default all: "
                                                 "home,brand,catalogue,product,search)")
    p.add_argument("--search", default="荔枝", help="search term for the search page (default %(default)s)")
    p.add_argument("--profile", action="store_true",
                   help="also print each page's queries grouped by shape and a cProfile of the signed-in render")
    p.add_argument("--profile-only", action="store_true",
                   help="query counts and --profile output only: no gunicorn, no wrk")
    p.add_argument("--padded-bare", type=int, default=0, metavar="BYTES",
                   help="also measure the bare view with a BYTES-long body (diagnostic: transfer cost)")
    p.add_argument("--rounds", type=int, help="interleaved rounds; each URL gets duration/rounds seconds per round "
                                             "(default 10; 1 with --quick)")
    args = p.parse_args(argv)
    args.profile = args.profile or args.profile_only
    args.products = args.products or (200 if args.quick else 2000)
    args.duration = args.duration or (3 if args.quick else 10)
    args.rounds = max(1, args.rounds or (1 if args.quick else 10))
    args.chunk = max(1, round(args.duration / args.rounds))
    args.database_url = (args.database_url or os.environ.get("BENCH_DATABASE_URL")
                         or (DEFAULT_DB_QUICK if args.quick else DEFAULT_DB))
    return args


def child_env(args) -> dict:
    return _env.child_env(root=ROOT, settings=args.settings, database_url=args.database_url,
                          redis_url=args.redis_url, cache_prefix="xiangpin-bench")


def _ratio(a, b):
    return (a / b) if a and b else None


def _fmt(v, spec, none="—"):
    return none if v is None else format(v, spec)


def check(port, path, headers=()):
    """Two GETs (the first warms the page cache): status, X-Page-Cache, size, problem."""
    hdrs = dict(h.split(": ", 1) for h in headers)
    try:
        _server.http_get(port, path, hdrs)
        status, rh, body = _server.http_get(port, path, hdrs)
    except OSError as exc:
        return {"status": None, "cache_http": None, "bytes": None, "problem": f"request failed: {exc!r}"}
    problem = None
    if status != 200:
        problem = f"HTTP {status}" + (f" → {rh['location']}" if "location" in rh else "")
    return {"status": status, "cache_http": rh.get("x-page-cache"), "bytes": len(body), "problem": problem}


def aggregate(target, results):
    """One row from the wrk runs of one URL/mode (one per round)."""
    row = dict(target)
    total_requests = sum(r.requests for r in results)
    total_seconds = sum(r.requests / r.rps for r in results if r.rps)
    p99s = [r.p99_ms for r in results if r.p99_ms is not None]
    pooled = _wrk.pooled_percentile(results, 99.0)
    non2xx = sum(r.non_2xx_3xx for r in results)
    sock = {}
    for r in results:
        for k, v in r.socket_errors.items():
            sock[k] = sock.get(k, 0) + v
    row.update(
        requests=total_requests,
        rps=(total_requests / total_seconds) if total_seconds else None,
        rounds_rps=[r.rps for r in results],
        p99_ms=pooled if pooled is not None else (statistics.median(p99s) if p99s else None),
        rounds_p99_ms=p99s,
        non_2xx_3xx=non2xx, socket_errors=sock, errors=non2xx + sum(sock.values()),
    )
    problems = [row["problem"]] if row.get("problem") else []
    if non2xx:
        problems.append(f"{non2xx} non-2xx/3xx responses")
    if sock:
        problems.append(f"socket errors {sock}")
    row["problem"] = "; ".join(problems) or None
    return row


def main(argv=None):
    args = parse_args(argv)
    started = dt.datetime.now()
    env = child_env(args)
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(exist_ok=True)
    only = [p.strip() for p in args.only.split(",") if p.strip()]

    # SIGTERM behaves like Ctrl-C, so the finally blocks stop gunicorn.
    def _on_sigterm(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_sigterm)

    print(f"== database ({args.database_url}, {args.products} products)", flush=True)
    db_note = _db.prepare(ROOT, env, products=args.products, households=args.households,
                          fresh=args.fresh, skip_seed=args.skip_seed)
    print(f"  {db_note}")
    _db.manage(ROOT, env, "collectstatic", "--noinput", timeout=600)  # whitenoise serves these
    _db.flush_redis(args.redis_url)

    print("== in-process: URLs and SQL queries per request (test Client, DEBUG off)", flush=True)
    _inproc.setup(env)
    from django.conf import settings

    pages, counts, notes, login_check = _inproc.discover_pages(args.search)
    if only:
        pages = [p for p in pages if p[0] in only]
    for n in notes:
        print(f"  note: {n}")
    print(f"  catalogue: {counts}; settings {args.settings}, DEBUG={settings.DEBUG}, "
          f"cache={settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, session={settings.SESSION_ENGINE}")
    email, signed_client, cookies = _inproc.sign_in()
    cookie_header = "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())
    print(f"  signed in as {email}")

    refs = [("bare", "/bench/bare/"), ("lean", "/bench/lean/")]
    if args.padded_bare:
        # Diagnostic: the bare view with a page's weight of body, to tell transfer from work.
        refs.append((f"bare+{args.padded_bare // 1000}kB", f"/bench/bare/?pad={args.padded_bare}"))
    queries = {}
    profiles = {}
    for name, path in refs + pages:
        if path is None:
            continue
        anon = _inproc.count_queries(path)
        signed = _inproc.count_queries(path, signed_client)
        queries[name] = {"anon": anon, "signed-in": signed}
        for mode, r in (("anon", anon), ("signed-in", signed)):
            extra = f" → {r['location']}" if r.get("location") else ""
            err = f"  !! {r['error']}" if r.get("error") else ""
            print(f"  {name:<10} {mode:<9} HTTP {r.get('status')!s:>4}{extra}  {r.get('queries')!s:>4} queries"
                  f"  {_fmt(r.get('ms'), '.1f'):>6} ms in-process  X-Page-Cache: {r.get('cache') or '—'}{err}"
                  + (f"  ({r['warmups']} warm-up requests)" if r.get("warmups", 0) > 2 else ""))
        if args.profile and name not in {"bare"}:
            profiles[name] = {"queries": _inproc.query_profile(signed.get("captured", []), top=12)}
            profiles[name]["cprofile"] = _inproc.cprofile(path, signed_client, root=ROOT)
    _inproc.close_connections()
    _db.flush_redis(args.redis_url)  # the server starts with a cold page cache; sessions live in the DB too
    if args.profile_only:
        print_profiles(profiles)
        return 0

    print(f"== gunicorn ({args.workers} sync workers) + wrk -t2 -c{args.connections}, {args.rounds} interleaved "
          f"round(s) of {args.chunk}s per URL and mode", flush=True)
    server = _server.Gunicorn(ROOT, env, workers=args.workers, log_path=results_dir / "gunicorn.log")
    signed_hdr = (cookie_header,)
    targets = []  # (name, mode, path, headers)
    for name, path in refs + pages:
        targets.append((name, "anon", path, ()))
        targets.append((name, "signed-in", path, signed_hdr))
    runs = {}  # (name, mode) -> [WrkResult per round]
    loads = []  # 1-minute load average at the start of each round
    checks = {}
    try:
        server.start()
        port = server.port
        if login_check:
            st, rh, _ = _server.http_get(port, login_check, dict([cookie_header.split(": ", 1)]))
            print(f"  session check {login_check}: HTTP {st}" + ("" if st == 200 else "  !! the cookie does not sign in"))
        static = static_sample(Path(env["STATIC_ROOT"]))
        if static:
            st, rh, _ = _server.http_get(port, static)
            print(f"  static check {static}: HTTP {st} ({rh.get('cache-control', 'no cache-control')})"
                  + ("" if st == 200 else "  !! whitenoise does not serve static files"))
        # Warm-up burst, discarded: imports, connections, template caches in both workers.
        for _, path in refs:
            _wrk.run(f"http://127.0.0.1:{port}{path}", duration=min(2, args.chunk), connections=args.connections)
        for name, mode, path, hdr in targets:
            if path is None:
                checks[(name, mode)] = {"status": None, "cache_http": None, "problem": "URL not found in the database"}
                continue
            checks[(name, mode)] = check(port, path, hdr)

        # Interleaved rounds: every URL gets a slice of each round, so load from other
        # processes on the machine weighs on pages and references alike.
        for rnd in range(args.rounds):
            loads.append(os.getloadavg()[0])
            print(f"  round {rnd + 1}/{args.rounds} (load average {loads[-1]:.1f} on {os.cpu_count()} CPUs)", flush=True)
            for name, mode, path, hdr in targets:
                c = checks[(name, mode)]
                if path is None or c["status"] is None:
                    continue
                if mode == "anon":
                    check(port, path, hdr)  # re-warm: the page cache may have expired
                res = _wrk.run(f"http://127.0.0.1:{port}{path}", duration=args.chunk,
                               connections=args.connections, headers=hdr)
                runs.setdefault((name, mode), []).append(res)
                flag = f"  !! {res.non_2xx_3xx} non-2xx/3xx {res.socket_errors or ''}" if res.errors else ""
                print(f"    {name:<10} {mode:<9} {c['status']!s:>4}  {res.rps:9.1f} req/s  "
                      f"p99 {_fmt(res.p99_ms, '.1f'):>7} ms{flag}", flush=True)
    finally:
        server.stop()
        log_tail = server.log_tail(15)

    all_rows = []
    for name, mode, path, _ in targets:
        base = {"page": name, "mode": mode, "path": path, **checks.get((name, mode), {"problem": "not measured"})}
        all_rows.append(aggregate(base, runs.get((name, mode), [])))
    ref_names = {name for name, _ in refs}
    rows = [r for r in all_rows if r["page"] not in ref_names]
    ref_rows = {(r["page"], r["mode"]): r for r in all_rows if r["page"] in ref_names}
    for row in all_rows:
        bare = ref_rows.get(("bare", row["mode"]), {})
        lean = ref_rows.get(("lean", row["mode"]), {})
        # Each round compares the page with the references measured seconds apart in
        # that round; the median over the rounds shrugs off a burst of load from
        # other processes in one of them. The ratio of the totals is kept too.
        for key, ref in (("x_bare", bare), ("x_lean", lean)):
            per_round = [a / b for a, b in zip(row.get("rounds_rps", []), ref.get("rounds_rps", [])) if a and b]
            row[key + "_rounds"] = per_round
            row[key + "_total"] = _ratio(row["rps"], ref.get("rps"))
            row[key] = statistics.median(per_round) if per_round else row[key + "_total"]
        q = queries.get(row["page"], {}).get(row["mode"], {})
        row["queries"] = q.get("queries")
        row["cache_inproc"] = q.get("cache")
        if q.get("status") not in (None, 200) and not row.get("problem"):
            row["problem"] = f"in-process HTTP {q.get('status')}"
        if q.get("error"):
            row["problem"] = (row["problem"] + "; " if row.get("problem") else "") + q["error"]

    bars = []
    by = {(r["page"], r["mode"]): r for r in rows}
    for page in THROUGHPUT_PAGES:
        r = by.get((page, "anon"))
        if r:
            bars.append((f"anon {page} ≥ {RATIO_BAR:.0%} of bare", r["x_bare"], r["x_bare"] is not None
                         and r["x_bare"] >= RATIO_BAR and not r["problem"]))
    for page in THROUGHPUT_PAGES:
        r = by.get((page, "signed-in"))
        if r:
            bars.append((f"signed-in {page} ≥ {RATIO_BAR:.0%} of lean", r["x_lean"], r["x_lean"] is not None
                         and r["x_lean"] >= RATIO_BAR and not r["problem"]))
    for page in QUERY_BAR_PAGES:
        qs = [queries.get(page, {}).get(m, {}).get("queries") for m in ("anon", "signed-in")]
        if page in dict(pages):
            worst = None if None in qs else max(qs)
            bars.append((f"{page} ≤ {QUERY_BAR} queries (worst of anon/signed-in)", worst,
                         worst is not None and worst <= QUERY_BAR))

    loads.append(os.getloadavg()[0])
    md = render_markdown(args, all_rows, bars, counts, email, db_note, started, loads)
    print()
    print(md)

    stamp = started.strftime("%Y%m%d-%H%M%S")
    payload = {
        "started": started.isoformat(timespec="seconds"),
        "args": {k: v for k, v in vars(args).items()},
        "database": db_note, "catalogue": counts, "signed_in_as": email,
        "rows": [{k: v for k, v in r.items()} for r in all_rows],
        "bars": [{"bar": b, "value": v, "met": ok} for b, v, ok in bars],
        "load_average": loads, "cpus": os.cpu_count(),
        "queries": {page: {mode: {k: v for k, v in q.items() if k != "captured"} for mode, q in modes.items()}
                    for page, modes in queries.items()},
    }
    if args.profile:
        payload["profiles"] = {p: {"queries": [list(x) for x in v["queries"]], "cprofile": v["cprofile"]}
                               for p, v in profiles.items()}
    for suffix, text in ((".json", json.dumps(payload, ensure_ascii=False, indent=2, default=str)), (".md", md)):
        (results_dir / f"pages-{stamp}{suffix}").write_text(text)
        (results_dir / f"pages-latest{suffix}").write_text(text)
    print(f"written: bench/results/pages-{stamp}.json and .md (and pages-latest.*)")

    if args.profile:
        print_profiles(profiles)

    problems = [r for r in all_rows if r.get("problem")]
    if problems:
        print("\n!! ERRORS — these rows are not valid measurements:", file=sys.stderr)
        for r in problems:
            print(f"   {r['page']} {r['mode']} {r['path']}: {r['problem']}", file=sys.stderr)
        if log_tail:
            print("   gunicorn log tail:\n" + "\n".join("     " + x for x in log_tail.splitlines()), file=sys.stderr)
        return 1
    return 0


def static_sample(static_root: Path):
    """A static file URL to check whitenoise with (None when nothing was collected)."""
    for candidate in ("oscar/css/styles.css", "wagtailadmin/css/core.css"):
        if (static_root / candidate).is_file():
            return "/static/" + candidate
    for path in sorted(static_root.rglob("*.css")):
        return "/static/" + path.relative_to(static_root).as_posix()
    return None


def render_markdown(args, rows, bars, counts, email, db_note, started, loads):
    lines = [
        f"### bench/pages.py — {started:%Y-%m-%d %H:%M}",
        "",
        f"{counts.get('products')} products ({counts.get('browsable_products')} browsable), "
        f"{counts.get('brands')} brands; gunicorn {args.workers} sync workers, {args.settings} (DEBUG off); "
        f"wrk -t2 -c{args.connections}, {args.rounds} interleaved round(s) × {args.chunk}s per URL and mode; "
        f"signed in as {email}. Ratios are against the bare/lean views of the same mode (anon rows: anonymous "
        "references; signed-in rows: references with the same session cookie), same process, same run. "
        "req/s: total over the rounds; × bare / × lean: median of the per-round ratios; p99: pooled over the "
        "rounds. SQL/req: in-process, warm.",
        "",
        f"Machine load during the run (1-min load average, {os.cpu_count()} CPUs): "
        + ", ".join(f"{x:.1f}" for x in loads)
        + (" — busy: other processes shared the CPUs, absolute figures are low and the ratios noisier."
           if loads and max(loads) > (os.cpu_count() or 1) + 0.5 else "."),
        "",
        "| page | mode | req/s | p99 ms | × bare | × lean | SQL/req | page cache | note |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        cache = r.get("cache_http") or r.get("cache_inproc") or "—"
        note = r.get("problem") or ""
        if len(r.get("rounds_rps") or []) > 1:
            key = "x_bare_rounds" if r["mode"] == "anon" else "x_lean_rounds"
            spread = r.get(key) or []
            if r["page"].startswith(("bare", "lean")) or not spread:
                spread_txt = "rounds " + "/".join(f"{x:.0f}" for x in r["rounds_rps"]) + " req/s"
            else:
                spread_txt = f"rounds × {key[2:6]} {min(spread):.0%}–{max(spread):.0%}"
            note = (note + "; " if note else "") + spread_txt
        lines.append(
            f"| {r['page']} | {r['mode']} | {_fmt(r['rps'], '.0f')} | {_fmt(r['p99_ms'], '.1f')} | "
            f"{_fmt(r['x_bare'], '.1%')} | {_fmt(r['x_lean'], '.1%')} | {_fmt(r.get('queries'), 'd')} | {cache} | {note} |")
    lines += ["", "| bar | value | met |", "|---|---:|---|"]
    for bar, value, ok in bars:
        v = "—" if value is None else (f"{value:.1%}" if isinstance(value, float) else str(value))
        lines.append(f"| {bar} | {v} | {'yes' if ok else '**NO**'} |")
    met = sum(1 for *_, ok in bars if ok)
    lines += ["", f"{met}/{len(bars)} bars met."]
    return "\n".join(lines)


def print_profiles(profiles):
    for page, prof in profiles.items():
        print(f"\n== profile: {page} (signed in) — queries by shape: count, total ms, tables")
        for count, ms, tables, sql in prof["queries"]:
            print(f"  {count:4d} × {ms:7.2f} ms  {tables}")
            print(f"         {sql[:220]}")
        print(f"-- cProfile of 20 signed-in requests to {page}:")
        print("\n".join(line for line in prof["cprofile"].splitlines() if line.strip()))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
