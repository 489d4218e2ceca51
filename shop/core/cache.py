"""The anonymous page cache and the generation counter that invalidates it.

Every cached page (and every fragment keyed with :func:`page_cache_generation`)
carries the current *generation* in its key. Changing a product, a price, stock,
a brand, an origin or a Wagtail page bumps the generation, so every page cached
before the change is simply never read again and expires on its own.

The generation lives in Django's default cache: local memory on the embedded
default (one process: ``runserver``), Redis when ``REDIS_URL`` is set (shared by
every worker, so a change made in the dashboard invalidates every worker at once).

Fragments and shared reads (``fragment_cache_key``, ``cached_by_generation``)
are also copied into each process (``LocalLayer``): a signed-in page then pays
one round trip to the shared cache for the generation, and none per fragment.
"""
from __future__ import annotations

import hashlib
import pickle
import re
import secrets
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from urllib.parse import urlencode
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from asgiref.local import Local
from django.db import transaction

GENERATION_KEY = "pagecache:generation"
# Rendered where a CSRF token would go on a cacheable request; swapped for the
# visitor's own token every time the page is served (hit or miss).
CSRF_SENTINEL = "XPCSRFSENTINEL0b7e1d2c9a4f4e58b3c6a1d0f2e9c7aXP"
CSRF_SENTINEL_BYTES = CSRF_SENTINEL.encode("ascii")


def page_cache_timeout() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 600))


# Within one request the generation is read once (a request opens a scope in
# PageCacheMiddleware); every fragment and cached read of that request uses it.
_request_scope = Local()


def _fresh_generation() -> int:
    """A new counter's first value: random (62 bits), not 0 and not the clock.
    After a cache restart (or an evicted key) a counter from 0, or from a clock
    that bumps had run ahead of, could meet entries written under the old
    counter: in the cache, or in a worker's local copy (``LocalLayer``)."""
    return secrets.randbits(62)


def _read_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return int(generation)


def page_cache_generation() -> int:
    if getattr(_request_scope, "active", False):
        if getattr(_request_scope, "generation", None) is None:
            _request_scope.generation = _read_generation()
        return _request_scope.generation
    return _read_generation()


@contextmanager
def generation_scope():
    """Read the generation and the time epoch at most once inside the block (one request)."""
    _request_scope.active, _request_scope.generation, _request_scope.epoch = True, None, None
    try:
        yield
    finally:
        _request_scope.active, _request_scope.generation, _request_scope.epoch = False, None, None


# Pages also change at moments when nothing is written: a campaign starts or ends
# (its prices, theme and banner appear or go). Each registered source names the
# stretch of time between two such moments that ``now`` falls in (e.g. the last
# campaign boundary passed); the names together are the *time epoch*, part of
# every page and fragment key, so a page rendered before a boundary is never
# served after it. A source must be cheap (no query in the common case) and
# give every process the same name for the same moment.
_epoch_sources: list = []


def register_epoch_source(source) -> None:
    if source not in _epoch_sources:
        _epoch_sources.append(source)


def _compute_epoch() -> str:
    return ".".join(str(source()) for source in _epoch_sources) or "0"


def time_epoch() -> str:
    if getattr(_request_scope, "active", False):
        if getattr(_request_scope, "epoch", None) is None:
            _request_scope.epoch = _compute_epoch()
        return _request_scope.epoch
    return _compute_epoch()


def _bump_generation() -> None:
    _request_scope.generation = None
    _request_scope.epoch = None
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no counter yet (or evicted): a fresh one meets no old key
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)


def page_cache_invalidate() -> None:
    """Make every cached page stale.

    Bumps now (so the writer's own next read is fresh) and again after the
    transaction commits (so a page rendered by another request between the
    change and the commit, i.e. from the old data, cannot outlive the commit).
    """
    _bump_generation()
    transaction.on_commit(_bump_generation)


@dataclass(frozen=True)
class CachedPage:
    content: bytes
    status: int
    content_type: str


# The only query parameters a cacheable page reads (catalogue filters, search,
# sort, pagination). Others (utm_source, cache busters...) neither change the
# page nor split the cache: they are left out of the key and of the page's links.
PAGE_QUERY_PARAMETERS = ("brand", "category", "city", "county", "page", "q", "sort")


def normalized_query(query_dict) -> str:
    """The page parameters of a QueryDict, in a fixed order, url-encoded.
    Each with its *last* value: what ``QueryDict.get`` (so every view) reads;
    taking another would let ``?brand=a&brand=b`` store b's page under a's key."""
    pairs = [(name, query_dict.get(name)) for name in PAGE_QUERY_PARAMETERS if query_dict.get(name, "") != ""]
    return urlencode(pairs)


def page_cache_key(*, host: str, full_path: str, language: str, day: str, epoch: str = "") -> str:
    """``day`` (the local date) makes pages re-render daily: they show dated
    facts such as whether a certificate is still valid; ``epoch`` (``time_epoch``)
    at each campaign start and end. The generation is not in the key but in the
    entry (see ``page_cache_lookup``)."""
    digest = hashlib.blake2b(f"{host}|{full_path}|{epoch}".encode(), digest_size=16).hexdigest()
    return f"page:{day}:{language}:{digest}"


def page_cache_lookup(key: str) -> tuple[int, CachedPage | None]:
    """The current generation, and the page stored under ``key`` if it was
    stored under that generation. One round trip to the cache for both; the
    generation is also remembered for the rest of the request."""
    values = cache.get_many([GENERATION_KEY, key])
    generation = values.get(GENERATION_KEY)
    generation = _read_generation() if generation is None else int(generation)
    if getattr(_request_scope, "active", False):
        _request_scope.generation = generation
    entry = values.get(key)
    if entry is None or entry[0] != generation:
        return generation, None
    _generation, content, status, content_type = entry
    return generation, CachedPage(content=content, status=status, content_type=content_type)


def page_cache_store(key: str, page: CachedPage, *, generation: int) -> None:
    """Store a page under the generation its request started with: if the
    catalogue changed while it rendered, it is stale from the start."""
    cache.set(key, (generation, page.content, page.status, page.content_type), timeout=page_cache_timeout())


_WHITESPACE_BETWEEN_TAGS = re.compile(rb">\s+<")


def compact_html(content: bytes) -> bytes:
    """Template indentation out: whitespace between tags becomes one newline
    (still whitespace, so inline layout is unchanged). Left alone when the
    page has preformatted text."""
    if b"<pre" in content or b"<textarea" in content:
        return content
    return _WHITESPACE_BETWEEN_TAGS.sub(b">\n<", content)


def fragment_cache_key(name: str, *parts) -> str:
    """A key for a cached fragment or query result that must go stale together
    with the pages (product cards, the category tree): under the generation and
    the time epoch."""
    suffix = ":".join(str(part) for part in parts)
    if len(suffix) > 80 or not suffix.isascii() or " " in suffix:
        suffix = hashlib.blake2b(suffix.encode(), digest_size=16).hexdigest()
    return f"fragment:{page_cache_generation()}:{time_epoch()}:{name}:{suffix}"


class LocalLayer:
    """This process's copy of entries keyed with the generation (fragments and
    :func:`cached_by_generation` reads), in front of the shared cache.

    Sound because every such key holds the generation, which each request reads
    from the shared cache: after a change (in any process) the keys differ, so a
    stale local entry is never read again; it ages out (least recently used
    first, bounded in entries and bytes, and never kept longer than the shared
    entry's timeout). A hit costs no round trip to Redis. Strings (rendered
    HTML) are kept as they are; other values as pickles, so every request gets
    its own copy (a product object is never shared between requests).
    """

    def __init__(self, max_entries=2000, max_bytes=24 * 1024 * 1024):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries = OrderedDict()  # key -> (expires, is_pickle, value, size)
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
        return pickle.loads(entry[2]) if entry[1] else entry[2]

    def set(self, key, value, timeout):
        if isinstance(value, str):
            stored, is_pickle, size = value, False, len(value) * 2
        else:
            stored = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            is_pickle, size = True, len(stored)
        if size > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + timeout, is_pickle, stored, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key):
        self._bytes -= self._entries.pop(key)[3]


local_layer = LocalLayer()


def generation_cache_get(key: str):
    """A generation-keyed entry (``fragment_cache_key``): this process's copy,
    else the shared cache's (then copied here). None when neither has it."""
    value = local_layer.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            local_layer.set(key, value, page_cache_timeout())
    return value


def generation_cache_set(key: str, value) -> None:
    timeout = page_cache_timeout()
    cache.set(key, value, timeout=timeout)
    local_layer.set(key, value, timeout)


def cached_by_generation(name: str, *parts, compute):
    """``compute()``'s result, kept in the cache until the next catalogue or
    page change: for reads that are the same for every visitor (a product with
    its stock records, facet counts), so signed-in pages, which the page cache
    never serves, skip those queries too. A None result is not kept."""
    key = fragment_cache_key(name, *parts)
    value = generation_cache_get(key)
    if value is None:
        value = compute()
        if value is not None:
            generation_cache_set(key, value)
    return value
