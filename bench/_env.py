"""The environment of the Django processes a bench starts (manage.py, gunicorn):
the ambient DATABASE_URL / REDIS_URL / DJANGO_SETTINGS_MODULE never leak in."""
from __future__ import annotations

import os
from pathlib import Path

# Fixed, so that sessions made in the bench process are valid in gunicorn and the
# household data the seeder encrypted stays readable between runs. Bench only.
BENCH_SECRET_KEY = "xiangpin-bench-only-secret-key-not-for-production-0123456789abcdef"


def child_env(*, root: Path, settings: str, database_url: str, redis_url: str, cache_prefix: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    var = root / "var" / "bench"
    env.update({
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": cache_prefix,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
        "XIANGPIN_BENCH_VIEWS": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "STATIC_ROOT": str(var / "static"),
        "MEDIA_ROOT": str(var / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    return env
