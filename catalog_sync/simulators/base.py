"""What every pavilion simulator shares: a threaded loopback HTTP server, an
in-memory catalogue keyed by remote id and outer id, a clock that tests can set,
token buckets, and fault switches (fail, throttle, time out after committing)."""
from __future__ import annotations

import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CHINA = timezone(timedelta(hours=8))


@dataclass
class Faults:
    """Probabilities per call (seeded, so a fault run is repeatable), plus
    one-shot switches a test arms for the next N calls of a method."""
    fail_rate: float = 0.0        # a transient platform error in the body
    throttle_rate: float = 0.0    # the platform's throttling error
    timeout_rate: float = 0.0     # commit, then hold the answer past the client's timeout
    timeout_seconds: float = 1.5
    seed: int = 0
    armed: dict[str, list[str]] = field(default_factory=dict)   # method → ["fail", "throttle", "timeout", "auth", ...]

    def __post_init__(self):
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def arm(self, method: str, *faults: str) -> None:
        with self._lock:
            self.armed.setdefault(method, []).extend(faults)

    def draw(self, method: str) -> str | None:
        """The fault for this call of ``method``, if any."""
        with self._lock:
            queue = self.armed.get(method) or self.armed.get("*")
            if queue:
                return queue.pop(0)
            roll = self._random.random()
        if roll < self.fail_rate:
            return "fail"
        if roll < self.fail_rate + self.throttle_rate:
            return "throttle"
        if roll < self.fail_rate + self.throttle_rate + self.timeout_rate:
            return "timeout"
        return None


class TokenBucket:
    """``rate`` calls per ``per`` seconds; ``take`` answers how long until the next is allowed."""

    def __init__(self, rate: int, per: float):
        self.rate, self.per = rate, per
        self.tokens = float(rate)
        self.stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate / self.per)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) * self.per / self.rate


@dataclass
class SimSku:
    remote_id: str
    outer_id: str
    price: Any            # in the platform's own unit (yuan Decimal or fen int)
    quantity: int
    attrs: dict = field(default_factory=dict)


@dataclass
class SimItem:
    remote_id: str
    outer_id: str
    title: str
    state: str            # platform-specific words ("onsale", "instock", "draft", ...)
    skus: dict[str, SimSku] = field(default_factory=dict)    # outer sku id → sku
    payload: dict = field(default_factory=dict)
    versions: int = 1


class Catalogue:
    """The pavilion's products, indexed by remote id and by our outer id."""

    def __init__(self, first_id: int = 10_000_000_000):
        self.items: dict[str, SimItem] = {}
        self.by_outer: dict[str, str] = {}
        self._ids = itertools.count(first_id)
        self.lock = threading.RLock()
        self.created: dict[str, int] = {}      # outer id → how many times it was created

    def new_id(self) -> str:
        return str(next(self._ids))

    def add(self, item: SimItem) -> SimItem:
        with self.lock:
            self.items[item.remote_id] = item
            self.by_outer[item.outer_id] = item.remote_id
            self.created[item.outer_id] = self.created.get(item.outer_id, 0) + 1
            return item

    def get(self, remote_id: str) -> SimItem | None:
        return self.items.get(str(remote_id))

    def find(self, outer_id: str) -> SimItem | None:
        remote_id = self.by_outer.get(outer_id)
        return self.items.get(remote_id) if remote_id else None

    def live_count(self, outer_id: str) -> int:
        return sum(1 for item in self.items.values() if item.outer_id == outer_id)


@dataclass
class SimOrder:
    order_id: str
    status: str
    created: datetime
    modified: datetime
    lines: list[dict]              # {"outer_sku_id", "title", "quantity", "price"(platform unit)}
    total: Any
    city: str = "广州市"
    extra: dict = field(default_factory=dict)


class OrderBook:
    def __init__(self):
        self.orders: dict[str, SimOrder] = {}
        self.lock = threading.RLock()

    def put(self, order: SimOrder) -> SimOrder:
        with self.lock:
            self.orders[order.order_id] = order
            return order

    def modified_between(self, start: datetime, end: datetime) -> list[SimOrder]:
        """Orders with start <= modified < end, newest last (the platforms' order)."""
        with self.lock:
            found = [o for o in self.orders.values() if start <= o.modified < end]
        return sorted(found, key=lambda o: (o.modified, o.order_id))


class Simulator:
    """Subclasses implement ``handle(request) -> Response``.  ``start()`` binds a
    free loopback port; ``url`` is then the gateway's base URL."""

    name = "simulator"

    def __init__(self, *, app_key="sim-app", app_secret="sim-secret", access_token="sim-token",
                 faults: Faults | None = None):
        self.app_key, self.app_secret, self.access_token = app_key, app_secret, access_token
        self.faults = faults or Faults()
        self.catalogue = Catalogue()
        self.orders = OrderBook()
        self.calls: list[tuple[str, dict]] = []      # (method, params) in arrival order
        self.calls_lock = threading.Lock()
        self.clock_offset = timedelta()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the clock the platform believes in ------------------------------------
    def now(self) -> datetime:
        return datetime.now(CHINA) + self.clock_offset

    # -- bookkeeping -----------------------------------------------------------
    def record(self, method: str, params: dict) -> None:
        with self.calls_lock:
            self.calls.append((method, params))

    def call_count(self, method: str | None = None) -> int:
        with self.calls_lock:
            return sum(1 for m, _ in self.calls if method is None or m == method)

    def reset_calls(self) -> None:
        with self.calls_lock:
            self.calls.clear()

    # -- HTTP ------------------------------------------------------------------
    def handle(self, request: "Request") -> "Response":  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self, port: int = 0) -> "Simulator":
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # else each keep-alive answer waits ~40 ms on a delayed ACK

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(method=self.command, path=parts.path,
                                  query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                                  headers={k.lower(): v for k, v in self.headers.items()}, body=body)
                response = simulator.handle(request)
                if response.delay:
                    time.sleep(response.delay)
                payload = response.body if isinstance(response.body, bytes) else json.dumps(
                    response.body, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        if "application/json" in self.headers.get("content-type", ""):
            return json.loads(self.body or b"{}")
        merged = dict(self.query)
        merged.update(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        return merged

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    body: Any
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0        # hold the answer (an unknown-outcome timeout, when past the client's)
