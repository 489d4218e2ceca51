#!/usr/bin/env python
"""The attribution reports on a big ledger: fill PostgreSQL with 1,000,000
ledger entries and time every report query against the 1 s target.

    .venv/bin/python bench/ledger.py [--entries 1000000] [--households 2000] [--runs 5]
                                     [--refill] [--skip-fill] [--database-url URL]

1. A database of its own: ``--database-url``, else ``BENCH_LEDGER_DATABASE_URL``,
   else ``postgres://postgres@127.0.0.1:5432/xiangpin_bench_ledger``. The ambient
   ``DATABASE_URL`` is ignored (as in ``bench/pages.py``) and the name must
   contain ``bench``: the script may drop it. Created if missing, migrated.
2. Fill, once: regions (~14 cities, ~40 counties, ~100 townships, ~300 villages),
   ~20 brands, ~60 market subjects (Oscar partners), 2 products each with a stock
   record, origin and batch, ~2,000 households (encrypted, as the app writes
   them), one order line per product (the entries share them), then the entries
   with ``COPY`` (psycopg), in time order as an append-only ledger grows: 24
   months with growth and festival peaks, 6 channels, 8 % unattributed,
   6 % refunds and 2 % cancellations as negative rows. Then ``VACUUM ANALYZE``.
   What was filled is recorded as a comment on the database; a run with the
   same sizes skips the fill, ``--refill`` (or a half-filled database) drops
   and fills again.
3. Times, in this process with Django, each report query of
   ``shop.attribution.reports`` - totals, every dimension (the whole table, and
   the first page for households and villages), the trend and the top 10
   villages and brands - for three selections: everything (a programme
   officer), one cooperative's scope (its staff user, through
   ``ledger_visible_to``) and one year; the median of ``--runs`` runs after a
   warm-up, against the 1000 ms target; with the groups returned, the entries
   in the selection and the rows the plan scanned (``EXPLAIN ANALYZE``). Then
   the whole report page (all its queries and the template) for both users.
4. Prints one table and writes it to ``bench/results/ledger-latest.{md,json}``.

Timings drift on shared machines; never copy them into a timed test.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
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

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/xiangpin_bench_ledger"
# Fixed so that households encrypted by one run stay readable by the next. Bench only.
BENCH_SECRET_KEY = "xiangpin-bench-only-secret-key-not-for-production-0123456789abcdef"
MARKER = "xiangpin-ledger-bench entries={entries} households={households} seed={seed} filler={filler}"
TARGET_MS = 1000.0
FIRST_MONTH = dt.date(2025, 1, 1)

CITIES = [  # the 14 cities with provincially designated poor villages (GB/T 2260)
    ("440200", "韶关市"), ("440500", "汕头市"), ("440800", "湛江市"), ("440900", "茂名市"), ("441200", "肇庆市"),
    ("441300", "惠州市"), ("441400", "梅州市"), ("441500", "汕尾市"), ("441600", "河源市"), ("441700", "阳江市"),
    ("441800", "清远市"), ("445100", "潮州市"), ("445200", "揭阳市"), ("445300", "云浮市"),
]
BRANDS = ["梅州金柚", "英德红茶", "徐闻菠萝", "高州荔枝", "化州橘红", "德庆贡柑", "连州菜心", "紫金蝉茶", "清远鸡",
          "仁化贡柑", "饶平单丛", "惠来鲍鱼", "罗定肉桂", "阳西程村蚝", "翁源兰花", "和平猕猴桃", "平远脐橙",
          "海丰油占米", "揭西擂茶", "新兴排米粉"]
CHANNELS = [("store", 40), ("jd", 15), ("taobao", 15), ("pinduoduo", 15), ("wechat_shop", 10), ("platform_832", 5)]
SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
GIVEN = "春梅秀英桂芳国强建华丽娟志明海燕玉兰金凤文杰伟明秋菊德明"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help=f"bench database (default: $BENCH_LEDGER_DATABASE_URL or {DEFAULT_DB})")
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--households", type=int, default=2000)
    p.add_argument("--villages", type=int, default=300)
    p.add_argument("--counties", type=int, default=40)
    p.add_argument("--brands", type=int, default=20)
    p.add_argument("--subjects", type=int, default=60, help="market subjects (cooperatives), 2 products each")
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--runs", type=int, default=5, help="timed runs per query (after one warm-up)")
    p.add_argument("--refill", action="store_true", help="drop the database and fill it again")
    p.add_argument("--skip-fill", action="store_true", help="use the database as it is")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    args.database_url = args.database_url or os.environ.get("BENCH_LEDGER_DATABASE_URL") or DEFAULT_DB
    if "bench" not in _db.db_name(args.database_url):
        raise SystemExit(f"refusing {args.database_url}: the ledger bench only uses databases named *bench*")
    args.cities = len(CITIES)
    args.brands = min(args.brands, len(BRANDS))
    return args


def child_env(args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "shop.settings.dev",
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(ROOT / "var" / "bench" / "media"),
    })
    return env


# -- the database ---------------------------------------------------------------


def marker(args) -> str:
    """What a fill is: its sizes and a digest of the code that makes it (a change refills)."""
    import hashlib
    import inspect

    source = "".join(inspect.getsource(function) for function in (build_world, generate_entries, month_weights))
    filler = hashlib.sha1(source.encode()).hexdigest()[:12]
    return MARKER.format(entries=args.entries, households=args.households, seed=args.seed, filler=filler)


def prepare_database(args, env) -> bool:
    """Create/migrate the database; True when it already holds this fill."""
    url, name = args.database_url, _db.db_name(args.database_url)
    want = marker(args)
    present = _db.exists(url)
    have = _db.get_marker(url) if present else None
    if args.skip_fill:
        if not present:
            raise SystemExit(f"--skip-fill: database {name} does not exist")
        print(f"  {name}: used as is (--skip-fill; marker {have!r})", flush=True)
        return True
    if present and (args.refill or have != want):
        why = "--refill" if args.refill else f"filled as {have!r}, want {want!r}"
        print(f"  dropping {name} ({why})", flush=True)
        _db.drop(url)
        present = False
    if not present:
        print(f"  creating {name}", flush=True)
        _db.create(url)
    _db.manage(ROOT, env, "migrate", "--noinput", timeout=1800)
    return have == want and present


def setup_django(env):
    os.environ.update(env)
    import django

    django.setup()


# -- the world the entries point at ----------------------------------------------


def _id_number(serial: int) -> str:
    body = f"441403{1950 + serial % 50:04d}0101{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def build_world(args, rng):
    """Bulk-create the regions, brands, subjects, products, batches, households,
    orders and users. Returns plain tuples the entry generator needs."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from oscar.core.loading import get_model

    from shop.brands.models import Brand, ProductOrigin
    from shop.core.roles import COOPERATIVE_STAFF, PROGRAMME_OFFICER, ensure_roles
    from shop.harvest.models import BatchContribution, HarvestBatch
    from shop.producers.models import Household, MarketSubject, Membership
    from shop.producers.services import id_number_digest
    from shop.regions.models import City, County, Township, Village

    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")
    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    Order = get_model("order", "Order")
    Line = get_model("order", "Line")
    User = get_user_model()

    with transaction.atomic():
        cities = City.objects.bulk_create([City(code=code, name=name) for code, name in CITIES])
        # Children are dealt round-robin over their parents; codes follow GB/T 2260's shape.
        counties = []
        for i in range(args.counties):
            city, n = cities[i % len(cities)], i // len(cities)
            counties.append(County(city=city, code=f"{city.code[:4]}{81 + n:02d}", name=f"{city.name[:-1]}第{n + 1}县"))
        counties = County.objects.bulk_create(counties)
        townships = []
        for i in range(max(args.villages // 3, len(counties))):
            county, n = counties[i % len(counties)], i // len(counties)
            townships.append(Township(county=county, code=f"{county.code}{100 + n:03d}", name=f"第{n + 1}镇"))
        townships = Township.objects.bulk_create(townships)
        villages = []
        for i in range(args.villages):
            township, n = townships[i % len(townships)], i // len(townships)
            villages.append(Village(township=township, code=f"{township.code}{200 + n:03d}",
                                    name=f"{SURNAMES[i % len(SURNAMES)]}{'屋坑坪岭田塘'[i % 6]}村{i}",
                                    is_provincial_poor_village=True))
        villages = Village.objects.bulk_create(villages)
        village_county = {village.pk: townships[i % len(townships)].county_id for i, village in enumerate(villages)}
        villages_by_county = {}
        for village in villages:
            villages_by_county.setdefault(village_county[village.pk], []).append(village)
        brands = Brand.objects.bulk_create([
            Brand(name=name, slug=f"bench-brand-{i}") for i, name in enumerate(BRANDS[:args.brands])
        ])
        partners = Partner.objects.bulk_create([Partner(name=f"基准合作社{i:03d}") for i in range(args.subjects)])
        subjects = MarketSubject.objects.bulk_create([
            MarketSubject(partner=partner, kind="cooperative", name=partner.name, county=counties[i % len(counties)],
                          linkage_model="cooperative")
            for i, partner in enumerate(partners)
        ])
        product_class, _ = ProductClass.objects.get_or_create(
            name="扶贫农产品", defaults={"slug": "bench-farm", "track_stock": True})
        products, product_info = [], []
        for i, subject in enumerate(subjects):
            for j in range(2):
                brand = brands[(i * 2 + j) % len(brands)]
                village = villages_by_county[subject.county_id][j % len(villages_by_county[subject.county_id])]
                price_fen = rng.choice([1990, 2990, 3990, 5900, 6800, 8800, 12800])
                products.append(Product(title=f"{brand.name} {i}-{j}", slug=f"bench-{i}-{j}", structure="standalone",
                                        product_class=product_class))
                product_info.append((subject, brand, village, price_fen))
        products = Product.objects.bulk_create(products)
        stockrecords = StockRecord.objects.bulk_create([
            StockRecord(product=product, partner=info[0].partner, partner_sku=f"BENCH-{product.pk}",
                        price=Decimal(info[3]) / 100, price_currency="CNY", num_in_stock=1_000_000)
            for product, info in zip(products, product_info)
        ])
        ProductOrigin.objects.bulk_create([
            ProductOrigin(product=product, brand=brand, county=subject.county, village=village, market_subject=subject,
                          certificate_number=f"粤扶认〔2025〕{product.pk:04d}号", certificate_issuer="广东省扶贫开发办公室",
                          certificate_valid_until=dt.date(2027, 12, 31))
            for product, (subject, brand, village, _price) in zip(products, product_info)
        ])
        batches = HarvestBatch.objects.bulk_create([
            HarvestBatch(code=f"BENCH{product.pk:06d}", product=product, market_subject=info[0],
                         stockrecord=stockrecord, village=info[2], harvested_on=FIRST_MONTH, quantity=1_000_000,
                         inspection_report_number="BENCH", inspected_on=FIRST_MONTH)
            for product, stockrecord, info in zip(products, stockrecords, product_info)
        ])
        subjects_by_county = {}
        for subject in subjects:
            subjects_by_county.setdefault(subject.county_id, []).append(subject)
        county_city = {county.pk: county.city_id for county in counties}
        households, household_subject = [], []
        for i in range(args.households):
            village = villages[rng.randrange(len(villages))]
            county_id = village_county[village.pk]
            subject = rng.choice(subjects_by_county.get(county_id) or subjects)
            id_number = _id_number(i)
            households.append(Household(
                village=village,
                head_name=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7) % len(GIVEN)],
                id_number=id_number, id_number_digest=id_number_digest(f"{id_number}-{i}"),
                registration_number=f"JDB{i:07d}", members=4, able_bodied_members=2,
            ))
            household_subject.append(subject)
        households = Household.objects.bulk_create(households, batch_size=500)
        Membership.objects.bulk_create([
            Membership(household=household, market_subject=subject)
            for household, subject in zip(households, household_subject)
        ])
        batch_of_product = {batch.product_id: batch for batch in batches}
        BatchContribution.objects.bulk_create([
            BatchContribution(batch=batch_of_product[products[subjects.index(subject) * 2].pk], household=household,
                              quantity=1, income_rule="sales_share", sales_share=30)
            for household, subject in zip(households, household_subject)
        ], batch_size=1000)
        now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
        orders = Order.objects.bulk_create([
            Order(number=f"BENCH{product.pk:06d}", currency="CNY", total_incl_tax=Decimal(info[3]) / 100,
                  total_excl_tax=Decimal(info[3]) / 100, shipping_incl_tax=0, shipping_excl_tax=0, status="已完成",
                  date_placed=now)
            for product, info in zip(products, product_info)
        ])
        lines = []
        for order, product, stockrecord, info in zip(orders, products, stockrecords, product_info):
            price = Decimal(info[3]) / 100
            lines.append(Line(
                order=order, partner=info[0].partner, partner_name=info[0].name, partner_sku=f"BENCH-{product.pk}",
                stockrecord=stockrecord, product=product, title=product.title, quantity=1,
                line_price_incl_tax=price, line_price_excl_tax=price, line_price_before_discounts_incl_tax=price,
                line_price_before_discounts_excl_tax=price, unit_price_incl_tax=price, unit_price_excl_tax=price,
                num_allocated=1))
        lines = Line.objects.bulk_create(lines)
        groups = ensure_roles()
        officer = User.objects.create_user("bench-officer", "officer@xiangpin.bench", "bench-only-password")
        officer.groups.add(groups[PROGRAMME_OFFICER])
        coop = User.objects.create_user("bench-coop", "coop@xiangpin.bench", "bench-only-password")
        coop.groups.add(groups[COOPERATIVE_STAFF])
        subjects[0].partner.users.add(coop)

    products_of_subject = {}
    for index, (product, stockrecord, line, info) in enumerate(zip(products, stockrecords, lines, product_info)):
        subject, brand, village, price_fen = info
        county_id = village_county[village.pk]
        products_of_subject.setdefault(subject.pk, []).append(
            (line.pk, batch_of_product[product.pk].pk, product.pk, subject.pk, brand.pk, village.pk, county_id,
             county_city[county_id], price_fen))
    household_rows = []
    for household, subject in zip(households, household_subject):
        county_id = village_county[household.village_id]
        household_rows.append((household.pk, household.village_id, county_id, county_city[county_id], subject.pk))
    return household_rows, products_of_subject


# -- the entries ------------------------------------------------------------------


def _month(index: int) -> dt.date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return dt.date(FIRST_MONTH.year + year, month + 1, 1)


def month_weights(months: int) -> list[float]:
    """Growth over the period, peaks at 年货节 (Jan/Feb), 扶贫日 (Oct) and 双11 (Nov)."""
    peaks = {1: 1.6, 2: 1.3, 10: 1.5, 11: 1.8, 12: 1.2}
    return [(1 + 0.04 * i) * peaks.get(_month(i).month, 1.0) for i in range(months)]


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


COLUMNS = ("line_id", "kind", "channel", "household_id", "batch_id", "product_id", "market_subject_id", "brand_id",
           "village_id", "county_id", "city_id", "quantity", "sales_amount", "income", "occurred_at", "month")


def generate_entries(args, rng, household_rows, products_of_subject):
    """Entries in time order, month by month."""
    weights = month_weights(args.months)
    total = sum(weights)
    counts = [int(args.entries * w / total) for w in weights]
    counts[-1] += args.entries - sum(counts)
    # A few households sell a lot, most a little (a long tail).
    household_weights = [1 / (1 + i) ** 0.6 for i in range(len(household_rows))]
    cumulative, running = [], 0.0
    for weight in household_weights:
        running += weight
        cumulative.append(running)
    channel_names = [name for name, _ in CHANNELS]
    channel_cumulative, running = [], 0
    for _name, weight in CHANNELS:
        running += weight
        channel_cumulative.append(running)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    choices, random_ = rng.choices, rng.random
    for index, count in enumerate(counts):
        month = _month(index)
        days = ((_month(index + 1) - month).days)
        seconds = sorted(rng.randrange(days * 86400) for _ in range(count))
        picked = choices(household_rows, cum_weights=cumulative, k=count)
        channels = choices(channel_names, cum_weights=channel_cumulative, k=count)
        for second, household, channel in zip(seconds, picked, channels):
            household_id, village_id, county_id, city_id, subject_id = household
            line_id, batch_id, product_id, _s, brand_id, o_village, o_county, o_city, price_fen = (
                products_of_subject[subject_id][0 if random_() < 0.7 else -1])
            draw = random_()
            if draw < 0.08:  # nobody's units: the product's origin, no household
                household_id, village_id, county_id, city_id = None, o_village, o_county, o_city
            kind_draw = random_()
            if kind_draw < 0.92:
                kind, sign = "sale", 1
            else:
                kind, sign = ("refund", -1) if kind_draw < 0.98 else ("cancellation", -1)
            quantity = 1 + int(random_() * 5)
            sales = sign * quantity * price_fen
            income = 0 if household_id is None else sales * 30 // 100
            occurred = dt.datetime(month.year, month.month, 1, tzinfo=shanghai) + dt.timedelta(seconds=second)
            yield (line_id, kind, channel, household_id, batch_id, product_id, subject_id, brand_id, village_id,
                   county_id, city_id, str(sign * quantity), _yuan(sales), _yuan(income), occurred, month)


def fill_ledger(args, rng, household_rows, products_of_subject):
    from django.db import connection
    from tqdm import tqdm

    started = time.monotonic()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY attribution_ledgerentry ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in tqdm(generate_entries(args, rng, household_rows, products_of_subject), total=args.entries,
                            unit=" entries", unit_scale=True, disable=args.no_progress, mininterval=1.0):
                copy.write_row(row)
    return time.monotonic() - started


def vacuum_analyze():
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    started = time.monotonic()
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                         port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) attribution_ledgerentry")
    return time.monotonic() - started


# -- timing ------------------------------------------------------------------------


def _scan_rows(plan) -> tuple[int, set]:
    """Rows the plan read from the ledger (actual rows x loops of its scans) and the scan kinds."""
    rows, kinds = 0, set()
    stack = [plan]
    while stack:
        node = stack.pop()
        if node.get("Relation Name") == "attribution_ledgerentry":
            rows += int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
            kinds.add(node["Node Type"].replace(" Scan", "").replace("Bitmap Heap", "Bitmap"))
        stack.extend(node.get("Plans", ()))
    return rows, kinds


def explain(sql: str):
    from django.db import connection

    from shop.attribution.reports import report_session

    with report_session(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    rows, kinds = _scan_rows(plan[0]["Plan"])
    jit = plan[0].get("JIT", {}).get("Timing", {}).get("Total")
    if jit:
        kinds.add(f"JIT {jit:.0f} ms")
    return rows, kinds


def time_call(call, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shop.attribution.reports import report_session

    # As the page runs them: inside a report session (work_mem raised for its transaction).
    with CaptureQueriesContext(connection) as queries, report_session():
        result = call()  # warm-up, and the SQL for EXPLAIN
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with report_session():
            call()
        times.append((time.perf_counter() - started) * 1000)
    return result, times, _statements(queries)


def _statements(queries):
    """The SQL statements captured, without transaction control and the session's set_config."""
    return [query["sql"] for query in queries.captured_queries
            if query["sql"].split(None, 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
            and "set_config('work_mem'" not in query["sql"]]


def report_cases(args):
    from django.contrib.auth import get_user_model

    from shop.attribution import reports

    User = get_user_model()
    officer = User.objects.get(username="bench-officer")
    coop = User.objects.get(username="bench-coop")
    year = reports.ReportFilters(month_from=dt.date(2026, 1, 1), month_to=dt.date(2026, 12, 1))
    return officer, coop, [
        ("all (officer)", reports.ledger_visible_to(officer), reports.ReportFilters()),
        ("one cooperative", reports.ledger_visible_to(coop), reports.ReportFilters()),
        ("one year (2026)", reports.ledger_visible_to(officer), year),
    ]


def measure(args):
    from shop.attribution import reports
    from shop.attribution.reports import Dimension

    officer, coop, cases = report_cases(args)
    results = []
    for case, scope, filters in cases:
        selection = filters.apply(scope)
        matched = selection.count()
        queries = [("totals", lambda s=selection: reports.report_totals(s))]
        for dimension in Dimension.values:
            queries.append((f"by {dimension}", lambda s=selection, d=dimension: reports.report_rows(s, d)))
            if dimension in Dimension.paginated:
                queries.append((f"by {dimension}, page 1 (50)",
                                lambda s=selection, d=dimension: reports.report_rows(s, d, limit=50)))
        queries += [
            ("top 10 villages", lambda s=selection: reports.report_rows(s, Dimension.VILLAGE, limit=10)),
            ("top 10 brands", lambda s=selection: reports.report_rows(s, Dimension.BRAND, limit=10)),
            ("labels: 50 households", lambda s=selection: reports.with_labels(
                reports.report_rows(s, Dimension.HOUSEHOLD, limit=50), Dimension.HOUSEHOLD)),
        ]
        for name, call in queries:
            if name.startswith("labels"):
                # The label query alone (the grouped query is timed above).
                page = reports.report_rows(selection, Dimension.HOUSEHOLD, limit=50)
                result, times, sqls = time_call(lambda p=page: reports.with_labels(p, Dimension.HOUSEHOLD), args.runs)
                groups, scanned, kinds = len(result.rows), len(result.rows), {"households by pk"}
            else:
                result, times, sqls = time_call(call, args.runs)
                groups = result.count if isinstance(result, reports.RowPage) else 1
                scanned, kinds = explain(sqls[-1])
            median = statistics.median(times)
            results.append({
                "case": case, "query": name, "groups": groups, "entries": matched, "scanned": scanned,
                "plan": "+".join(sorted(kinds)), "median_ms": median, "min_ms": min(times), "max_ms": max(times),
                "queries": len(sqls), "pass": median <= TARGET_MS,
            })
            print(f"  {case:<16} {name:<28} {results[-1]['median_ms']:8.1f} ms", flush=True)
    return results, page_timings(args, officer, coop)


def page_timings(args, officer, coop):
    """The whole page (every query and the template) through the test client:
    a first view (report cache emptied before each run) and a repeat view
    (served from the report cache under the unchanged ledger version)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("backoffice:attribution-report")
    pages = []
    for who, user in (("officer", officer), ("cooperative", coop)):
        client = Client()
        client.force_login(user)
        for dimension in ("village", "household"):
            assert client.get(url, {"dimension": dimension}).status_code == 200
            for view, cold in (("first view", True), ("repeat view", False)):
                times = []
                for _ in range(max(2, args.runs // 2)):
                    if cold:
                        cache.clear()
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        response = client.get(url, {"dimension": dimension})
                        times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
                pages.append({"page": f"report page, {who}, by {dimension}, {view}",
                              "median_ms": statistics.median(times),
                              "queries": len(_statements(queries)) + 1})  # + the session's set_config
                print(f"  page {who:<12} {dimension:<10} {view:<12} {pages[-1]['median_ms']:8.1f} ms", flush=True)
    return pages


# -- output ------------------------------------------------------------------------


def render(args, results, pages, facts) -> str:
    lines = [
        f"# Attribution reports on {facts['entries']:,} ledger entries",
        "",
        f"{facts['when']} · PostgreSQL {facts['server']} · {facts['households']:,} households, "
        f"{facts['villages']} villages, {facts['counties']} counties, {facts['cities']} cities, "
        f"{facts['brands']} brands, {facts['subjects']} market subjects, "
        f"6 channels, {facts['months']} months · ledger {facts['table_size']} · load {facts['load']}",
        f"median of {args.runs} runs after a warm-up; target ≤ {TARGET_MS:.0f} ms per report query",
        "",
        "| selection | query | groups | entries in selection | rows scanned (EXPLAIN ANALYZE) | plan "
        "| median ms | min–max ms | ≤ 1 s |",
        "|---|---|---:|---:|---:|---|---:|---:|:---:|",
    ]
    for row in results:
        lines.append(
            f"| {row['case']} | {row['query']} | {row['groups']:,} | {row['entries']:,} | {row['scanned']:,} "
            f"| {row['plan']} | "
            f"{row['median_ms']:.1f} | {row['min_ms']:.0f}–{row['max_ms']:.0f} | {'pass' if row['pass'] else 'FAIL'} |")
    lines += ["", "| whole page (all its queries + template) | SQL queries | median ms |", "|---|---:|---:|"]
    for page in pages:
        lines.append(f"| {page['page']} | {page['queries']} | {page['median_ms']:.0f} |")
    failed = [row for row in results if not row["pass"]]
    lines += ["", f"**{len(results) - len(failed)} of {len(results)} report queries within {TARGET_MS:.0f} ms**"
              + (f"; over: {', '.join(row['case'] + ' / ' + row['query'] for row in failed)}" if failed else ".")]
    return "\n".join(lines)


def facts(args):
    from django.db import connection

    from shop.attribution.models import LedgerEntry
    from shop.producers.models import Household, MarketSubject
    from shop.regions.models import City, County, Village

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('attribution_ledgerentry'))")
        size = cursor.fetchone()[0]
    return {
        "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "server": server, "table_size": size + " with indexes",
        "entries": LedgerEntry.objects.count(), "households": Household.objects.count(),
        "villages": Village.objects.count(),
        "counties": County.objects.count(), "cities": City.objects.count(),
        "brands": LedgerEntry.objects.values("brand_id").distinct().count(), "subjects": MarketSubject.objects.count(),
        "months": LedgerEntry.objects.values("month").distinct().count(),
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def main(argv=None):
    args = parse_args(argv)
    env = child_env(args)
    print(f"ledger bench: {args.database_url}", flush=True)
    filled = prepare_database(args, env)
    setup_django(env)
    from django.db import connection

    from shop.attribution.models import LedgerEntry

    if filled and LedgerEntry.objects.count() != args.entries and not args.skip_fill:
        print("  the fill is incomplete: filling again", flush=True)
        connection.close()
        _db.drop(args.database_url)
        return main(argv)
    if not filled:
        rng = random.Random(args.seed)
        started = time.monotonic()
        household_rows, products_of_subject = build_world(args, rng)
        print(f"  world built in {time.monotonic() - started:.1f}s", flush=True)
        elapsed = fill_ledger(args, rng, household_rows, products_of_subject)
        print(f"  {args.entries:,} entries copied in {elapsed:.1f}s", flush=True)
        print(f"  VACUUM ANALYZE in {vacuum_analyze():.1f}s", flush=True)
        connection.close()
        _db.set_marker(args.database_url, marker(args))
    else:
        print(f"  already filled with {args.entries:,} entries (--refill to fill again)", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE attribution_ledgerentry")

    results, pages = measure(args)
    text = render(args, results, pages, facts(args))
    print()
    print(text)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "ledger-latest.md").write_text(text + "\n", encoding="utf-8")
    payload = {"results": results, "pages": pages}
    (out / "ledger-latest.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if all(row["pass"] for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
