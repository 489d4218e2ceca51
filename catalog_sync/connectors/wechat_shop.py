"""WeChat Shop (微信小店 / Channels) connector ("wechat_shop").

No request signature: every call carries ``?access_token=`` from
``/cgi-bin/stable_token`` (platforms.md, WeChat/Auth ✅[W1]).  An expired token
(40001/42001) is refreshed once through ``TokenHolder`` — one refresh however many
threads hit it — and the call is retried once.

Products.  ``/channels/ec/product/add`` and ``/update`` write a **draft**; ``/listing``
submits the draft for audit, after which the platform makes it live (or rejects
it).  Add and update share a quota (200 an hour, 1000 a day) and spamming
``listing`` gets a ban, so content changes are kept apart from stock and price:

- ``push_listings``: add (no known remote id) or update (a remote id in
  ``remote_ids``), read the draft back for its SKU ids, then ``listing``; the
  result's state is ``in_review``.  One item at a time: one failing item fails
  alone.  A *create* whose draft was written but whose ``listing`` failed is
  reported as UNKNOWN_OUTCOME (with the listing error's code and retry hint):
  something was made, so the engine must look it up, not create it again.
- ``update_inventory``: ``/channels/ec/product/stock/update`` only; ``update_price``:
  ``/channels/ec/product/auditfree`` only (免审更新, the live version's SKU price).
  Neither ever calls add/update/listing, so neither costs audit quota.
- ``delist``: ``/channels/ec/product/delisting``; a missing item counts as delisted.
- ``lookup`` (and finding the remote ids of a key the caller did not pass): the
  platform has no search by ``out_product_id``, so the connector pages
  ``/channels/ec/product/list/get`` and reads each unseen product with
  ``/channels/ec/product/get`` until it has found the keys asked for; what it read
  is kept for the life of the connector.  Callers that know the remote ids pass
  them (``remote_ids`` / ``remote_skus``) and save the scan.

Orders: ``/channels/ec/order/list/get`` by ``update_time_range`` (≤ 7 days,
page_size ≤ 100, ``next_key``/``has_more``) gives ids; each is read with
``/channels/ec/order/get``.  The cursor is the platform's ``next_key``.

Money: ``sale_price`` and order amounts are fen; ids are strings (they exceed 2**53)."""
from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import requests

from .base import (ChannelError, ChannelEvent, ChannelOrder, ConnectorConfig, ConnectorError, ErrorKind, ItemResult,
                   Listing, OrderPage, RemoteListing, TokenHolder, check_window, tokens_keep, yuan_to_fen)
from .http import Transport
from .wechat_shop_codes import AUTH_CODES, code_kind
from .wechat_shop_messages import message_events, verify
from .wechat_shop_orders import channel_order
from .wechat_shop_products import product_content, remote_listing

CHINA = timezone(timedelta(hours=8))

TOKEN_PATH = "/cgi-bin/stable_token"
# stable_token hands back the current token unless forced; forcing is limited per day
# by WeChat, and a 40001 means the one we hold has been replaced or expired anyway.
FORCE_REFRESH = False
ADD = "/channels/ec/product/add"
UPDATE = "/channels/ec/product/update"
LISTING = "/channels/ec/product/listing"
DELISTING = "/channels/ec/product/delisting"
PRODUCT_GET = "/channels/ec/product/get"
PRODUCT_LIST = "/channels/ec/product/list/get"
STOCK_UPDATE = "/channels/ec/product/stock/update"
# ⚠️ 免审更新: listed in platforms.md ([W1] ``auditfree``); that it takes
# ``skus[{sku_id, sale_price}]`` and changes only the live version comes from
# secondary copies of the doc.  Change here if the gateway disagrees.
PRICE_UPDATE = "/channels/ec/product/auditfree"
ORDER_LIST = "/channels/ec/order/list/get"
ORDER_GET = "/channels/ec/order/get"

# diff_type: 1 add, 2 subtract, 3 set.  We push absolute quantities (the engine owns
# the number), so 3.  The doc itself warns against 3 under concurrency: an order placed
# on WeChat between our read of our stock and this call is overwritten (platforms.md,
# WeChat/Stock and Pitfalls).  Keep it one constant; a delta mode would need the
# platform's current stock and belongs to the engine.
STOCK_DIFF_TYPE = 3
LIST_PAGE_SIZE = 30           # ❓ the product list's maximum page size is not confirmed
ORDER_PAGE_SIZE = 100         # ✅ [W3]
DATA_TYPE_DRAFT, DATA_TYPE_BOTH = 2, 3
# A scan stops at these (the next reads would fail the same way); other failed reads are skipped.
STOP_SCAN = frozenset({ErrorKind.THROTTLED, ErrorKind.QUOTA_EXHAUSTED, ErrorKind.AUTH_EXPIRED, ErrorKind.CLOCK_SKEW,
                       ErrorKind.CONFIG})


def load_json(content: bytes) -> Any:
    """Exact: Python ints never lose digits, and no amount becomes a float."""
    return json.loads(content.decode("utf-8"), parse_float=Decimal)


class WechatShopConnector:
    code = "wechat_shop"
    # One listing per call: each costs one add/update of the shared 200-an-hour quota,
    # which is what ratelimit's ``push_listings`` budget for this platform counts.
    max_batch = 1
    max_order_window = timedelta(days=7)
    caps = frozenset({"draft_audit", "push"})
    push_reply = "success"

    def __init__(self, config: ConnectorConfig, *, clock: Callable[[], datetime] | None = None):
        self.config = config
        self.transport = Transport(config.base_url, config.timeout)
        self.tokens = TokenHolder(config.access_token, self._fetch_token)
        self.clock = clock or (lambda: datetime.now(CHINA))
        self._lock = threading.Lock()
        self._products: dict[str, str] = {}               # out_product_id → product_id
        self._skus: dict[str, tuple[str, str]] = {}       # out_sku_id → (product_id, sku_id)
        self._seen: set[str] = set()                      # product ids read by a scan

    # -- transport ------------------------------------------------------------------
    def _post(self, path: str, payload: Mapping[str, Any], token: str | None) -> dict:
        response = self.transport.send(
            "POST", path, params={"access_token": token} if token is not None else None,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"})
        if response.status_code != 200:
            raise ConnectorError(self.classify(response.status_code, response.content, None))
        try:
            body = load_json(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ConnectorError(ChannelError(ErrorKind.TRANSIENT, "bad_body", "微信小店返回的内容无法解析"))
        return body

    def _fetch_token(self) -> str:
        body = self._post(TOKEN_PATH, {"grant_type": "client_credential", "appid": self.config.app_key,
                                       "secret": self.config.app_secret, "force_refresh": FORCE_REFRESH}, None)
        if body.get("access_token"):
            tokens_keep(self.config, str(body["access_token"]), self.config.refresh_token)
            return str(body["access_token"])
        raise ConnectorError(self.classify(200, body, None))

    def call(self, path: str, payload: Mapping[str, Any]) -> dict:
        """One API call; the body when errcode is 0, else ``ConnectorError``."""
        token = self.tokens.token or self.tokens.refresh("")
        body = self._post(path, payload, token)
        if str(body.get("errcode", 0)) in AUTH_CODES:
            token = self.tokens.refresh(token)
            body = self._post(path, payload, token)
        if str(body.get("errcode", 0)) != "0":
            raise ConnectorError(self.classify(200, body, None))
        return body

    # -- errors ---------------------------------------------------------------------
    def classify(self, http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
        if isinstance(exc, ConnectorError):
            return exc.error
        if isinstance(exc, requests.exceptions.Timeout):
            return ChannelError(ErrorKind.UNKNOWN_OUTCOME, "timeout", str(exc))
        if exc is not None:
            return ChannelError(ErrorKind.TRANSIENT, type(exc).__name__, str(exc))
        if http_status is not None and http_status != 200:
            kind = (ErrorKind.THROTTLED if http_status == 429 else ErrorKind.TRANSIENT if http_status >= 500
                    else ErrorKind.CONFIG)
            return ChannelError(kind, f"http_{http_status}", f"HTTP {http_status}")
        if isinstance(body, (bytes, str)):
            try:
                body = load_json(body if isinstance(body, bytes) else body.encode("utf-8"))
            except ValueError:
                body = {}
        body = body if isinstance(body, Mapping) else {}
        code, message = str(body.get("errcode", "")), str(body.get("errmsg", ""))
        kind, retry_after = code_kind(code, self.clock())
        return ChannelError(kind, code, message, retry_after=retry_after)

    # -- what we know of the catalogue ----------------------------------------------------
    def _remember(self, key: str, product_id: str, sku_ids: Mapping[str, str]) -> None:
        with self._lock:
            self._products[key] = product_id
            for sku_key, sku_id in sku_ids.items():
                self._skus[sku_key] = (product_id, sku_id)

    def _forget(self, product_id: str) -> None:
        with self._lock:
            for key in [k for k, pid in self._products.items() if pid == product_id]:
                del self._products[key]
            for key in [k for k, ref in self._skus.items() if ref[0] == product_id]:
                del self._skus[key]
            self._seen.discard(product_id)

    def _index(self, product_id: str, body: Mapping[str, Any]) -> None:
        with self._lock:
            self._seen.add(product_id)
            for version in (body.get("edit_product"), body.get("product")):
                if not version:
                    continue
                if version.get("out_product_id"):
                    self._products.setdefault(str(version["out_product_id"]), product_id)
                for sku in version.get("skus") or []:
                    if sku.get("out_sku_id"):
                        self._skus.setdefault(str(sku["out_sku_id"]), (product_id, str(sku["sku_id"])))

    def _product(self, product_id: str, data_type: int = DATA_TYPE_BOTH) -> dict:
        return self.call(PRODUCT_GET, {"product_id": product_id, "data_type": data_type})

    def _scan(self, products: set[str], skus: set[str], fetched: dict[str, dict],
              known: Collection[str] = ()) -> None:
        """Page the product list, reading unseen products, until every key asked for is known.

        Products in ``known`` (remote ids the caller has already matched to other keys)
        are not read.  A read that fails is skipped and the scan goes on; if the keys are
        still missing at the end and some read failed, the scan raises a transient error
        rather than report them absent (absent means "create it", which would duplicate
        a listing that was on an unread page).  What was read is kept, so the retry only
        reads what failed."""
        def missing() -> bool:
            with self._lock:
                return any(k not in self._products for k in products) or any(k not in self._skus for k in skus)

        next_key, unread = "", None
        known = set(known)
        while missing():
            body = self.call(PRODUCT_LIST, {"page_size": LIST_PAGE_SIZE, "next_key": next_key})
            ids = [str(pid) for pid in body.get("product_ids") or []]
            for product_id in ids:
                if product_id in self._seen or product_id in known:
                    continue
                try:
                    fetched[product_id] = self._product(product_id)
                except ConnectorError as exc:
                    if exc.error.kind in STOP_SCAN:
                        raise
                    if exc.error.kind != ErrorKind.NOT_FOUND:
                        unread = exc.error
                    continue
                self._index(product_id, fetched[product_id])
                if not missing():
                    return
            next_key = str(body.get("next_key") or "")
            if not ids or len(ids) < LIST_PAGE_SIZE or not next_key:
                break
        if unread is not None and missing():
            raise ConnectorError(ChannelError(
                ErrorKind.TRANSIENT, unread.code, f"查找未完成：有商品读取失败（{unread.message}）",
                retry_after=unread.retry_after))

    def _product_ids(self, keys: Sequence[str], given: Mapping[str, str], fetched: dict[str, dict],
                     known: Collection[str] = ()) -> dict[str, str]:
        wanted = {k for k in keys if not given.get(k)}
        with self._lock:
            unknown = {k for k in wanted if k not in self._products}
        if unknown:
            self._scan(unknown, set(), fetched, known)
        found = {}
        with self._lock:
            for key in keys:
                product_id = given.get(key) or self._products.get(key)
                if product_id:
                    found[key] = str(product_id)
        return found

    def _sku_refs(self, keys: Sequence[str], given: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
        with self._lock:
            unknown = {k for k in keys if k not in given and k not in self._skus}
        if unknown:
            self._scan(set(), unknown, {})
        with self._lock:
            found = {k: self._skus[k] for k in keys if k in self._skus}
        found.update({k: (str(ref[0]), str(ref[1])) for k, ref in given.items() if k in keys})
        return found

    # -- listings -------------------------------------------------------------------
    def _known_skus(self, product_id: str) -> dict[str, str]:
        """Our SKU key → WeChat sku id of ``product_id``, as far as we know."""
        with self._lock:
            return {key: ref[1] for key, ref in self._skus.items() if product_id and ref[0] == product_id}

    def _draft_sku_ids(self, product_id: str) -> dict[str, str]:
        """Our SKU key → WeChat sku id, read back from the draft (a failure only costs a later scan)."""
        try:
            body = self._product(product_id, DATA_TYPE_DRAFT)
        except ConnectorError:
            return {}
        draft = body.get("edit_product") or body.get("product") or {}
        return {str(s["out_sku_id"]): str(s["sku_id"]) for s in draft.get("skus") or [] if s.get("out_sku_id")}

    def _push_one(self, listing: Listing, remote_id: str) -> ItemResult:
        key = listing.key
        try:
            content = product_content(listing, self._known_skus(remote_id), self.config.extra)
        except ValueError as exc:
            return ItemResult(key=key, ok=False, remote_id=remote_id or None,
                              error=ChannelError(ErrorKind.INVALID, "sub_fen_price", str(exc)))
        try:
            if remote_id:
                self.call(UPDATE, {"product_id": remote_id, **content})
                product_id = remote_id
            else:
                body = self.call(ADD, {"out_product_id": key, **content})
                product_id = str(body["data"]["product_id"])
        except ConnectorError as exc:
            if remote_id and exc.error.kind == ErrorKind.NOT_FOUND:
                self._forget(remote_id)
            return ItemResult(key=key, ok=False, remote_id=remote_id or None, error=exc.error)
        sku_ids = self._draft_sku_ids(product_id)
        self._remember(key, product_id, sku_ids)
        if not listing.active:
            return ItemResult(key=key, ok=True, remote_id=product_id, state="draft", remote_sku_ids=sku_ids)
        try:
            self.call(LISTING, {"product_id": product_id})
        except ConnectorError as exc:
            error = exc.error
            if not remote_id:
                # The draft exists: a retry must find it, never add a second copy.
                error = ChannelError(ErrorKind.UNKNOWN_OUTCOME, error.code,
                                     f"草稿已创建（product_id={product_id}），提交审核失败：{error.message}",
                                     sub_code="listing", retry_after=error.retry_after)
            return ItemResult(key=key, ok=False, remote_id=product_id, error=error, state="draft",
                              remote_sku_ids=sku_ids)
        return ItemResult(key=key, ok=True, remote_id=product_id, state="in_review", remote_sku_ids=sku_ids)

    def push_listings(self, batch: Sequence[Listing], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        results, done = [], set()
        for listing in batch:
            if listing.key in done:         # the same key twice in a batch: pushed once
                continue
            done.add(listing.key)
            results.append(self._push_one(listing, str(remote_ids.get(listing.key) or "")))
        return results

    def delist(self, keys: Sequence[str], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        ids = self._product_ids(keys, remote_ids, {})
        results = []
        for key in keys:
            product_id = ids.get(key)
            if not product_id:
                results.append(ItemResult(key=key, ok=True, state="delisted"))
                continue
            try:
                self.call(DELISTING, {"product_id": product_id})
            except ConnectorError as exc:
                if exc.error.kind != ErrorKind.NOT_FOUND:
                    results.append(ItemResult(key=key, ok=False, remote_id=product_id, error=exc.error))
                    continue
                self._forget(product_id)
            results.append(ItemResult(key=key, ok=True, remote_id=product_id, state="delisted"))
        return results

    def update_inventory(self, items: Sequence[tuple[str, int]], *,
                         remote_skus: Mapping[str, tuple[str, str]] = {}) -> list[ItemResult]:
        refs = self._sku_refs([key for key, _ in items], remote_skus)
        results = []
        for key, quantity in items:
            ref = refs.get(key)
            if ref is None:
                results.append(_unknown_sku(key))
                continue
            if int(quantity) < 0:
                results.append(ItemResult(key=key, ok=False, remote_id=ref[0], error=ChannelError(
                    ErrorKind.INVALID, "negative_stock", f"库存不能为负数：{quantity}")))
                continue
            try:
                self.call(STOCK_UPDATE, {"product_id": ref[0], "sku_id": ref[1], "diff_type": STOCK_DIFF_TYPE,
                                         "num": int(quantity)})
            except ConnectorError as exc:
                if exc.error.kind == ErrorKind.NOT_FOUND:
                    self._forget(ref[0])
                results.append(ItemResult(key=key, ok=False, remote_id=ref[0], error=exc.error))
                continue
            results.append(ItemResult(key=key, ok=True, remote_id=ref[0], remote_sku_ids={key: ref[1]}))
        return results

    def update_price(self, items: Sequence[tuple[str, Decimal]], *,
                     remote_skus: Mapping[str, tuple[str, str]] = {}) -> list[ItemResult]:
        refs = self._sku_refs([key for key, _ in items], remote_skus)
        outcome: dict[str, ItemResult] = {}
        groups: dict[str, list[tuple[str, str, int]]] = {}
        for key, price in items:
            ref = refs.get(key)
            if ref is None:
                outcome[key] = _unknown_sku(key)
                continue
            try:
                fen = yuan_to_fen(price)
            except ValueError as exc:
                outcome[key] = ItemResult(key=key, ok=False, remote_id=ref[0],
                                          error=ChannelError(ErrorKind.INVALID, "sub_fen_price", str(exc)))
                continue
            groups.setdefault(ref[0], []).append((key, ref[1], fen))
        for product_id, group in groups.items():
            try:
                self.call(PRICE_UPDATE, {"product_id": product_id,
                                         "skus": [{"sku_id": sku_id, "sale_price": fen} for _, sku_id, fen in group]})
                for key, sku_id, _ in group:
                    outcome[key] = ItemResult(key=key, ok=True, remote_id=product_id, remote_sku_ids={key: sku_id})
            except ConnectorError as exc:
                if exc.error.kind == ErrorKind.NOT_FOUND:
                    self._forget(product_id)
                for key, _, _ in group:
                    outcome[key] = ItemResult(key=key, ok=False, remote_id=product_id, error=exc.error)
        return [outcome[key] for key in dict.fromkeys(key for key, _ in items)]

    def lookup(self, keys: Sequence[str], *, remote_ids: Mapping[str, str] = {},
               known_ids: Collection[str] = ()) -> dict[str, RemoteListing]:
        """The remote listings of ``keys`` (absent: not on the platform).  ``remote_ids``:
        the product ids we hold for keys (read directly, no scan); ``known_ids``: product
        ids already matched to other keys, which a scan need not read."""
        fetched: dict[str, dict] = {}
        ids = self._product_ids(keys, remote_ids, fetched, known_ids)
        found = {}
        for key in keys:
            product_id = ids.get(key)
            if not product_id:
                continue
            try:
                body = fetched.get(product_id) or self._product(product_id)
            except ConnectorError as exc:
                if exc.error.kind != ErrorKind.NOT_FOUND:
                    raise
                self._forget(product_id)          # stale: look for the key afresh
                product_id = self._product_ids([key], {}, fetched, known_ids).get(key)
                if not product_id:
                    continue
                body = fetched.get(product_id) or self._product(product_id)
            found[key] = remote_listing(key, product_id, body)
        return found

    # -- orders ---------------------------------------------------------------------
    def fetch_orders(self, start: datetime, end: datetime, cursor: str | None) -> OrderPage:
        check_window(self, start, end)
        start_time = math.floor(start.timestamp())
        end_time = min(math.ceil(end.timestamp()), start_time + int(self.max_order_window.total_seconds()))
        payload: dict[str, Any] = {"update_time_range": {"start_time": start_time, "end_time": end_time},
                                   "page_size": ORDER_PAGE_SIZE}
        if cursor:
            payload["next_key"] = cursor
        body = self.call(ORDER_LIST, payload)
        orders = tuple(self.get_order(str(order_id)) for order_id in body.get("order_id_list") or [])
        next_key = str(body.get("next_key") or "")
        return OrderPage(orders=orders, next_cursor=next_key if body.get("has_more") and next_key else None,
                         window=(start, end))

    def get_order(self, order_id: str) -> ChannelOrder:
        return channel_order(self.call(ORDER_GET, {"order_id": str(order_id)})["order"])

    # -- push -----------------------------------------------------------------------
    def parse_push(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        return message_events(verify(self.config.extra.get("push_token", ""), headers, body))


def _unknown_sku(key: str) -> ItemResult:
    return ItemResult(key=key, ok=False, error=ChannelError(ErrorKind.NOT_FOUND, "sku_unknown",
                                                            f"微信小店中找不到规格 {key}"))


def connector_from_config(config: ConnectorConfig) -> WechatShopConnector:
    return WechatShopConnector(config)
