"""The bench's own PostgreSQL database and Redis cache.

The database is seeded once per (products, households, seeder source) and the
fact is recorded as a comment on the database itself
(``COMMENT ON DATABASE ... IS 'xiangpin-bench products=2000 ...'``), so a
second run with the same size skips the seeding. Seeding always starts from an
empty database: a database seeded differently (or half-seeded by a run that
crashed) is dropped and created again.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

MARKER_PREFIX = "xiangpin-bench"


def _admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/postgres"))


def db_name(database_url: str) -> str:
    name = urlsplit(database_url).path.lstrip("/")
    if not name:
        raise SystemExit(f"no database name in {database_url}")
    return name


def exists(database_url: str) -> bool:
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=10) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name(database_url)]).fetchone() is not None


def create(database_url: str):
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
            sql.Identifier(db_name(database_url))))


def drop(database_url: str):
    name = db_name(database_url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: the bench only drops databases named *bench*")
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def get_marker(database_url: str) -> str | None:
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [db_name(database_url)]).fetchone()
    return row[0] if row else None


def set_marker(database_url: str, marker: str):
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(db_name(database_url)), sql.Literal(marker)))


SEEDER_FILES = ("shop/core/management/commands/seed_demo.py", "shop/core/demo")


def seeder_digest(root: Path) -> str:
    """Hash of the seeder command and its data package: a change re-seeds the bench DB."""
    files = []
    for name in SEEDER_FILES:
        path = root / name
        files += [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha1()
    for file in files:
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def marker_for(root: Path, products: int, households: int | None) -> str:
    digest = seeder_digest(root)
    return f"{MARKER_PREFIX} products={products} households={households or 'default'} seeder={digest}"


def manage(root: Path, env: dict, *args, timeout: float):
    cmd = [sys.executable, str(root / "manage.py"), *args]
    t0 = time.monotonic()
    print(f"  $ manage.py {' '.join(args)}", flush=True)
    proc = subprocess.run(cmd, cwd=root, env=env, timeout=timeout, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    print(f"    done in {time.monotonic() - t0:.0f}s", flush=True)
    return proc


def prepare(root: Path, env: dict, *, products: int, households: int | None, fresh: bool, skip_seed: bool):
    """Create/migrate/seed the bench database. Returns a short description of what it did."""
    url = env["DATABASE_URL"]
    name = db_name(url)
    if skip_seed:
        if fresh:
            raise SystemExit("--fresh and --skip-seed contradict each other")
        if not exists(url):
            raise SystemExit(f"--skip-seed: database {name} does not exist")
        return f"{name}: used as is (--skip-seed; marker: {get_marker(url)!r})"

    want = marker_for(root, products, households)
    present = exists(url)
    have = get_marker(url) if present else None
    if present and (fresh or have != want):
        why = "--fresh" if fresh else f"seeded as {have!r}, want {want!r}"
        print(f"  dropping {name} ({why})", flush=True)
        drop(url)
        present = False
    if not present:
        print(f"  creating {name}", flush=True)
        create(url)

    manage(root, env, "migrate", "--noinput", timeout=1200)
    if have == want and present:
        return f"{name}: already seeded ({want})"

    args = ["seed_demo", "--products", str(products), "--no-progress"]
    if households:
        args += ["--households", str(households)]
    manage(root, env, *args, timeout=3600)
    set_marker(url, want)
    return f"{name}: seeded ({want})"


def flush_redis(redis_url: str):
    import redis

    parts = urlsplit(redis_url)
    db = (parts.path or "/0").lstrip("/") or "0"
    if db == "0":
        raise SystemExit(f"refusing to flush Redis DB 0 ({redis_url}): give the bench a DB number of its own")
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
    client.flushdb()
    client.close()
