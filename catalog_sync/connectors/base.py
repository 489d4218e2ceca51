"""The one small typed interface every platform connector speaks.

Connectors only translate and transport: the sync engine owns the outbox,
hashes, retries, dead letters and cursors.  Everything that crosses this
boundary is a frozen dataclass; money is ``Decimal`` yuan (CNY), converted
exactly to fen where a platform wants fen; remote ids are always strings
(Pinduoduo's and WeChat's ids are larger than 2**53)."""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, Protocol, runtime_checkable

FEN = Decimal("0.01")


class ErrorKind(str, Enum):
    THROTTLED = "throttled"              # short ban: wait retry_after, then retry
    QUOTA_EXHAUSTED = "quota"            # daily/hourly quota gone: park until reset
    TRANSIENT = "transient"              # 5xx, busy: retry with backoff
    AUTH_EXPIRED = "auth"                # refresh the token once, retry
    CLOCK_SKEW = "clock"                 # timestamp refused: resync, retry once
    CONFIG = "config"                    # bad credentials/signature/permissions: no retry
    INVALID = "invalid"                  # the item itself is refused: no retry
    NOT_FOUND = "not_found"              # the remote object does not exist
    UNKNOWN_OUTCOME = "unknown_outcome"  # sent, no answer: look up before re-creating


RETRYABLE = frozenset({ErrorKind.THROTTLED, ErrorKind.QUOTA_EXHAUSTED, ErrorKind.TRANSIENT,
                       ErrorKind.AUTH_EXPIRED, ErrorKind.CLOCK_SKEW, ErrorKind.UNKNOWN_OUTCOME})


@dataclass(frozen=True)
class ChannelError:
    kind: ErrorKind
    code: str
    message: str
    sub_code: str | None = None
    retry_after: float | None = None     # seconds, from "ban will last N s" / Retry-After

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class ConnectorError(Exception):
    """A whole call failed (not one item of a batch)."""

    def __init__(self, error: ChannelError):
        super().__init__(f"{error.kind.value} {error.code}: {error.message}")
        self.error = error


class InvalidSignature(Exception):
    """A push message whose signature does not verify; nothing is processed."""


def yuan_to_fen(amount: Decimal) -> int:
    """Exact: 12.30 yuan → 1230 fen.  Refuses sub-fen amounts instead of rounding them away."""
    amount = Decimal(amount)
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} yuan is not a whole number of fen")
    return int(fen)


def fen_to_yuan(fen: int | str) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(FEN)


def yuan(value: Any) -> Decimal:
    """A platform's yuan string or number ("15.9", 15.90) as Decimal yuan, two places."""
    return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True,
                                     default=str).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SkuListing:
    key: str                 # our stable SKU id (outer_id / out_sku_id / offerId)
    price: Decimal           # yuan
    quantity: int            # absolute quantity offered on this channel (after the buffer)
    attrs: tuple[tuple[str, str], ...] = ()   # (name, value), e.g. (("规格", "5斤装"),)
    weight_grams: int | None = None


@dataclass(frozen=True)
class Listing:
    key: str                 # our stable product id = outer_id / out_product_id / offerId
    title: str
    description: str
    images: tuple[str, ...]
    skus: tuple[SkuListing, ...]
    active: bool = True
    link: str = ""           # absolute URL of the product on our store (feeds need it)
    brand: str = ""
    category: str = ""
    origin: Mapping[str, str] = field(default_factory=dict)   # county, co-op (never sent as is)

    def content_hash(self) -> str:
        """Everything but price and stock (a stock change must never trigger a
        content update, which on WeChat Shop costs audit quota)."""
        return _digest({"title": self.title, "description": self.description, "images": self.images,
                        "link": self.link, "brand": self.brand, "category": self.category,
                        "active": self.active,
                        "skus": [(s.key, s.attrs, s.weight_grams) for s in self.skus]})

    def price_hash(self) -> str:
        return _digest([(s.key, str(s.price)) for s in self.skus])

    def stock_hash(self) -> str:
        return _digest([(s.key, s.quantity) for s in self.skus])

    def sku(self, key: str) -> SkuListing:
        return next(s for s in self.skus if s.key == key)


@dataclass(frozen=True)
class ItemResult:
    key: str                 # our listing (or SKU, for stock/price calls) key
    ok: bool
    remote_id: str | None = None
    error: ChannelError | None = None
    state: str = "live"      # "draft" | "in_review" | "live" | "rejected" | "delisted"
    remote_sku_ids: Mapping[str, str] = field(default_factory=dict)   # our SKU key → remote sku id


@dataclass(frozen=True)
class RemoteSku:
    key: str
    remote_id: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class RemoteListing:
    key: str
    remote_id: str
    state: str
    title: str
    skus: tuple[RemoteSku, ...] = ()
    reason: str = ""         # why the platform refused it (an audit's reject reason), if it says


@dataclass(frozen=True)
class ChannelOrderLine:
    sku_key: str             # our SKU key as the platform echoes it (outer_id)
    title: str
    quantity: int
    unit_price: Decimal      # yuan
    remote_sku_id: str = ""


@dataclass(frozen=True)
class ChannelOrder:
    external_id: str         # string, always
    status: str              # the platform's own status word
    paid: bool               # the buyer has paid (only paid orders become our orders)
    cancelled: bool
    created_at: datetime
    updated_at: datetime
    total: Decimal           # yuan, what the buyer paid
    lines: tuple[ChannelOrderLine, ...]
    city: str = ""           # destination city (for reporting); no names, phones or addresses
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderPage:
    orders: tuple[ChannelOrder, ...]
    next_cursor: str | None          # None: the window is done
    window: tuple[datetime, datetime]


@dataclass(frozen=True)
class ChannelEvent:
    event_id: str            # de-duplication key
    topic: str               # e.g. "order.paid", "product.audit"
    order_id: str | None = None
    status: str | None = None
    product_id: str | None = None     # the remote product of a product event (e.g. an audit result)
    reason: str = ""
    occurred_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectorConfig:
    base_url: str
    app_key: str = ""
    app_secret: str = ""
    access_token: str = ""
    refresh_token: str = ""
    shop_id: str = ""
    timeout: float = 10.0
    extra: Mapping[str, str] = field(default_factory=dict)
    # Called with (access token, refresh token) after a refresh, so that the next
    # connector starts from them (platforms that rotate refresh tokens refuse the old one).
    on_tokens: Callable[[str, str], None] | None = field(default=None, compare=False, repr=False)


@runtime_checkable
class Connector(Protocol):
    code: str
    max_batch: int
    max_order_window: timedelta
    caps: frozenset[str]      # "native_batch", "draft_audit", "push", "incr_stock", "file"

    def push_listings(self, batch: Sequence[Listing], *, remote_ids: Mapping[str, str] = ...) -> list[ItemResult]: ...
    def delist(self, keys: Sequence[str]) -> list[ItemResult]: ...
    def update_inventory(self, items: Sequence[tuple[str, int]]) -> list[ItemResult]: ...
    def update_price(self, items: Sequence[tuple[str, Decimal]]) -> list[ItemResult]: ...
    def lookup(self, keys: Sequence[str]) -> dict[str, RemoteListing]: ...
    def fetch_orders(self, start: datetime, end: datetime, cursor: str | None) -> OrderPage: ...
    def get_order(self, order_id: str) -> ChannelOrder: ...
    def parse_push(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]: ...
    def classify(self, http_status: int | None, body: Any, exc: Exception | None) -> ChannelError: ...


class TokenHolder:
    """The access token a connector signs with, refreshed at most once per expiry
    even when many threads hit the expired token together (no stampede)."""

    def __init__(self, token: str, refresh: Callable[[], str] | None = None):
        self._token = token
        self._refresh = refresh
        self._lock = threading.Lock()
        self.refresh_count = 0

    @property
    def token(self) -> str:
        return self._token

    def refresh(self, stale: str) -> str:
        """Refresh unless another thread already replaced ``stale``."""
        with self._lock:
            if self._token != stale:
                return self._token
            if self._refresh is None:
                raise ConnectorError(ChannelError(ErrorKind.AUTH_EXPIRED, "no_refresh", "令牌已过期且无法刷新"))
            self._token = self._refresh()
            self.refresh_count += 1
            return self._token


def tokens_keep(config: ConnectorConfig, access_token: str, refresh_token: str) -> None:
    """Hand freshly refreshed tokens to whoever keeps them (the channel's encrypted fields)."""
    if config.on_tokens is not None:
        config.on_tokens(access_token, refresh_token)


def check_window(connector: Connector, start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValueError("order window must end after it starts")
    if end - start > connector.max_order_window:
        raise ValueError(f"{connector.code}: order window {end - start} exceeds {connector.max_order_window}")


def ok_results(keys: Sequence[str], **kwargs) -> list[ItemResult]:
    return [ItemResult(key=k, ok=True, **kwargs) for k in keys]


def failed_results(keys: Sequence[str], error: ChannelError) -> list[ItemResult]:
    return [ItemResult(key=k, ok=False, error=error) for k in keys]


def push_each(batch: Sequence[Listing], remote_ids: Mapping[str, str],
              push_one: Callable[[Listing, str | None], ItemResult]) -> list[ItemResult]:
    """One platform call per listing (platforms without a batch call): create when
    the listing has no remote id, else update; a key repeated in the batch is
    created once and then updated.  One failing item fails alone."""
    results, made = [], {}
    for listing in batch:
        result = push_one(listing, remote_ids.get(listing.key) or made.get(listing.key))
        if result.ok and result.remote_id:
            made[listing.key] = result.remote_id
        results.append(result)
    return results
