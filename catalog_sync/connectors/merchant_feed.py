"""The Google-Merchant-style feed connector ("merchant_feed").

A feed has no per-item API: the connector keeps the whole snapshot (one record
per SKU, delisted ones included) and, on every call, updates it and publishes
the whole feed once: written atomically to ``extra["feed_path"]`` (RSS, or TSV
when ``extra["feed_format"] == "tsv"`` or the path ends in .tsv/.txt) and, when
``config.base_url`` is set, uploaded to ``POST <base_url>/feeds/<feed_name>``.
The snapshot lives next to the feed (``<feed_path>.state.json``) or in memory.

Validation decision (limits: id ≤ 50, title ≤ 150, description ≤ 5000, price a
positive whole number of fen, link/image_link absolute URLs): an item that
fails gets an INVALID result for its listing.  If it was never valid it stays
out of the feed (there is nothing correct to publish).  If an earlier version
was valid, that version stays in the feed, with the new availability (active
and quantity) and, when valid, the new price applied: leaving it out would
delete the offer at the merchant centre (a full snapshot), and Google advises
against deleting offers.  Likewise a delisted listing, an inactive one, a SKU
with quantity 0 and a SKU the product no longer has all stay, as out_of_stock.

A publish that fails (429, 5xx, timeout, disk) fails every item of the call with
that error; the snapshot keeps the change, and the next successful publish
carries it anyway (the file is always the whole snapshot)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .base import (ChannelError, ChannelEvent, ChannelOrder, ConnectorConfig, ConnectorError, ErrorKind,
                   ItemResult, Listing, OrderPage, RemoteListing, RemoteSku, check_window)
from .file_state import SnapshotStore, atomic_write
from .http import Transport
from .merchant_feed_render import (FeedChannel, FeedItem, Issue, feed_items, item_issues, price_issue,
                                   render_rss, render_tsv, sorted_items)

CONTENT_TYPES = {"rss": "application/rss+xml; charset=utf-8",
                 "tsv": "text/tab-separated-values; charset=utf-8"}


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After``: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def issue_text(issue: Issue) -> str:
    if issue.code == "missing":
        return _("%(attribute)s 缺失") % {"attribute": issue.attribute}
    if issue.code == "too_long":
        return _("%(attribute)s 超过 %(limit)s 个字符") % {"attribute": issue.attribute, "limit": issue.limit}
    if issue.code == "bad_price":
        return _("价格必须是大于 0 的整分金额")
    if issue.code == "bad_url":
        return _("%(attribute)s 不是 http(s) 绝对地址") % {"attribute": issue.attribute}
    if issue.code == "no_sku":
        return _("商品没有可售规格，无法进入商品源")
    return f"{issue.attribute}: {issue.code}"


def _invalid(problems: Mapping[str, Sequence[str]]) -> ChannelError:
    message = "；".join(f"{key}: {'，'.join(texts)}" for key, texts in problems.items())
    return ChannelError(ErrorKind.INVALID, "invalid_item", message)


class MerchantFeedConnector:
    code = "merchant_feed"
    max_batch = 10_000
    max_order_window = timedelta(days=366)     # a feed brings no orders: any window is fine
    caps = frozenset({"file"})

    def __init__(self, config: ConnectorConfig):
        self.config = config
        extra = config.extra
        self.feed_path = Path(extra["feed_path"]) if extra.get("feed_path") else None
        suffix = self.feed_path.suffix.lower() if self.feed_path else ""
        self.feed_format = extra.get("feed_format") or ("tsv" if suffix in (".tsv", ".txt") else "rss")
        if self.feed_format not in CONTENT_TYPES:
            raise ValueError(f"merchant_feed: unknown feed_format {self.feed_format!r}")
        self.feed_name = extra.get("feed_name") or "xiangpin"
        self.channel = FeedChannel(title=extra.get("feed_title") or "乡品通",
                                   link=extra.get("site_url") or "",
                                   description=extra.get("feed_description") or "乡品通 扶贫农产品")
        state_path = self.feed_path.with_name(self.feed_path.name + ".state.json") if self.feed_path else None
        self.store = SnapshotStore(state_path)
        self.transport = Transport(config.base_url, config.timeout) if config.base_url else None
        self.last_feed: bytes = b""

    # -- the snapshot and its publication ----------------------------------------
    def render(self, records: Mapping[str, dict] | None = None) -> bytes:
        records = self.store.read() if records is None else records
        items = sorted_items(FeedItem.from_record(r) for r in records.values())
        if self.feed_format == "tsv":
            return render_tsv(items)
        channel = self.channel
        if not channel.link and items:       # RSS wants a channel link: the store the items link to
            parts = urlsplit(items[0].link)
            channel = replace(channel, link=f"{parts.scheme}://{parts.netloc}/" if parts.netloc else "")
        return render_rss(items, channel)

    def _publish(self, records: Mapping[str, dict]) -> tuple[ChannelError | None, dict[str, list[str]]]:
        """Write and upload the whole feed.  Returns the call's error (if any) and
        the merchant centre's per-item issues by item id."""
        body = self.render(records)
        self.last_feed = body
        try:
            if self.feed_path:
                atomic_write(self.feed_path, body)
            if self.transport is None:
                return None, {}
            headers = {"Content-Type": CONTENT_TYPES[self.feed_format]}
            if self.config.access_token:
                headers["Authorization"] = f"Bearer {self.config.access_token}"
            response = self.transport.send("POST", f"/feeds/{self.feed_name}", data=body, headers=headers)
        except (ConnectorError, OSError) as exc:
            return self.classify(None, None, exc), {}
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code != 200:
            payload = dict(payload) if isinstance(payload, Mapping) else {}
            payload["retry_after"] = parse_retry_after(response.headers.get("Retry-After"))
            return self.classify(response.status_code, payload, None), {}
        remote: dict[str, list[str]] = {}
        for issue in payload.get("issues", []):
            if issue.get("severity", "error") == "error":
                remote.setdefault(str(issue["id"]), []).append(str(issue.get("message") or issue.get("code")))
        return None, remote

    def _results(self, keys_items: Sequence[tuple[str, Sequence[str]]], records: Mapping[str, dict],
                 problems: Mapping[str, Mapping[str, list[str]]], published: tuple) -> list[ItemResult]:
        """One result per (key, its item ids), in the caller's order (a listing key,
        or a SKU key for stock/price calls)."""
        error, remote = published
        results = []
        for key, item_ids in keys_items:
            own = dict(problems.get(key, {}))
            for item_id in item_ids:
                if item_id in remote:
                    own.setdefault(item_id, []).extend(remote[item_id])
            present = [records[i] for i in item_ids if i in records]
            state = "live" if any(r["active"] for r in present) else "delisted"
            sku_ids = {r["id"]: r["id"] for r in present}
            if own:
                results.append(ItemResult(key=key, ok=False, error=_invalid(own), state=state,
                                          remote_sku_ids=sku_ids))
            elif error:
                results.append(ItemResult(key=key, ok=False, error=error, state=state))
            else:
                results.append(ItemResult(key=key, ok=True, remote_id=key, state=state, remote_sku_ids=sku_ids))
        return results

    # -- Connector ----------------------------------------------------------------
    def push_listings(self, batch: Sequence[Listing], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """``remote_ids`` is accepted for the interface; a feed's id is our own key."""
        with self.store.change() as records:
            keys_items: list[tuple[str, list[str]]] = []
            problems: dict[str, dict[str, list[str]]] = {}
            for listing in batch:
                items = feed_items(listing)
                ids = [item.id for item in items]
                for item in items:
                    issues = item_issues(item)
                    if not issues:
                        records[item.id] = item.to_record()
                        continue
                    problems.setdefault(listing.key, {})[item.id] = [issue_text(i) for i in issues]
                    old = records.get(item.id)
                    if old is not None:        # keep the last valid version, with today's availability
                        kept = replace(FeedItem.from_record(old), active=item.active, quantity=item.quantity)
                        if price_issue(item.price) is None:
                            kept = replace(kept, price=item.price)
                        records[item.id] = kept.to_record()
                for item_id, record in records.items():
                    if record["listing_key"] == listing.key and item_id not in ids:
                        record["active"] = False      # a SKU the product no longer has: out_of_stock
                        ids.append(item_id)
                if not ids:
                    problems.setdefault(listing.key, {})[listing.key] = [issue_text(Issue("id", "no_sku"))]
                keys_items.append((listing.key, ids))
            published = self._publish(records)
            return self._results(keys_items, records, problems, published)

    def delist(self, keys: Sequence[str]) -> list[ItemResult]:
        """Delisting keeps the items, as out_of_stock; a missing key is a success."""
        with self.store.change() as records:
            ids: dict[str, list[str]] = {key: [] for key in keys}
            for item_id, record in records.items():
                if record["listing_key"] in ids:
                    record["active"] = False
                    ids[record["listing_key"]].append(item_id)
            published = self._publish(records)
            results = self._results([(key, ids[key]) for key in keys], records, {}, published)
        return [replace(r, state="delisted") for r in results]

    def _update_skus(self, items, apply) -> list[ItemResult]:
        with self.store.change() as records:
            keys_items: list[tuple[str, list[str]]] = []
            problems: dict[str, dict[str, list[str]]] = {}
            missing = []
            for sku_key, value in items:
                keys_items.append((sku_key, [sku_key]))
                if sku_key not in records:
                    missing.append(sku_key)
                    continue
                problem = apply(records[sku_key], value)
                if problem:
                    problems[sku_key] = {sku_key: [problem]}
            published = self._publish(records)
            results = self._results(keys_items, records, problems, published)
        not_found = ChannelError(ErrorKind.NOT_FOUND, "not_in_feed", _("商品源中没有这个规格"))
        return [ItemResult(key=r.key, ok=False, error=not_found) if r.key in missing else r for r in results]

    def update_inventory(self, items: Sequence[tuple[str, int]]) -> list[ItemResult]:
        def apply(record, quantity):
            record["quantity"] = max(0, int(quantity))
        return self._update_skus(items, apply)

    def update_price(self, items: Sequence[tuple[str, Decimal]]) -> list[ItemResult]:
        def apply(record, price):
            issue = price_issue(price)
            if issue:
                return issue_text(issue)
            record["price"] = str(Decimal(price))
        return self._update_skus(items, apply)

    def lookup(self, keys: Sequence[str]) -> dict[str, RemoteListing]:
        records = self.store.read()
        found: dict[str, RemoteListing] = {}
        for key in keys:
            mine = sorted((r for r in records.values() if r["listing_key"] == key), key=lambda r: r["id"])
            if not mine:
                continue
            found[key] = RemoteListing(
                key=key, remote_id=key, state="live" if any(r["active"] for r in mine) else "delisted",
                title=mine[0]["title"],
                skus=tuple(RemoteSku(key=r["id"], remote_id=r["id"], price=Decimal(r["price"]),
                                     quantity=r["quantity"]) for r in mine))
        return found

    def fetch_orders(self, start: datetime, end: datetime, cursor: str | None) -> OrderPage:
        """A feed brings no orders: always one empty page."""
        check_window(self, start, end)
        return OrderPage(orders=(), next_cursor=None, window=(start, end))

    def get_order(self, order_id: str) -> ChannelOrder:
        raise ConnectorError(ChannelError(ErrorKind.NOT_FOUND, "no_orders", _("商品源渠道没有订单")))

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        return []

    def classify(self, http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
        if isinstance(exc, ConnectorError):
            return exc.error
        if isinstance(exc, OSError):
            return ChannelError(ErrorKind.TRANSIENT, "file", str(exc))
        body = body if isinstance(body, Mapping) else {}
        error = body.get("error") if isinstance(body.get("error"), Mapping) else {}
        code = str(error.get("code") or http_status or "error")
        message = str(error.get("message") or "")
        retry_after = body.get("retry_after")
        if http_status == 429:
            kind = ErrorKind.QUOTA_EXHAUSTED if code == "quota_exceeded" else ErrorKind.THROTTLED
            return ChannelError(kind, code, message, retry_after=retry_after)
        kind = {401: ErrorKind.AUTH_EXPIRED, 403: ErrorKind.CONFIG, 404: ErrorKind.CONFIG,
                400: ErrorKind.INVALID, 413: ErrorKind.INVALID, 415: ErrorKind.INVALID,
                422: ErrorKind.INVALID}.get(http_status, ErrorKind.TRANSIENT)
        return ChannelError(kind, code, message, retry_after=retry_after)


def connector_from_config(config: ConnectorConfig) -> MerchantFeedConnector:
    return MerchantFeedConnector(config)
