"""Taobao/Tmall TOP connector (platform code "taobao").

One TOP call per item (TOP has no batch write); a call is signed (md5 or hmac,
see taobao_wire), sent system params in the query and business params in the
body, and its ``error_response`` classified.  An invalid session is refreshed
once through TokenHolder and the call retried once.  TOP's push (TMC) is a pull
queue, not implemented here: ``parse_push`` raises NotImplementedError."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .base import (ChannelError, ChannelEvent, ChannelOrder, ConnectorConfig, ConnectorError, ErrorKind,
                   ItemResult, Listing, OrderPage, RemoteListing, RemoteSku, TokenHolder, check_window, tokens_keep,
                   yuan)
from .http import Transport
from .taobao_items import (ADD_METHOD, DELIST_METHOD, LOOKUP_METHOD, PRICE_METHOD, SKU_LOOKUP_METHOD,
                           STOCK_METHOD, UPDATE_METHOD, SkuRef, item_params, price_params, sku_properties,
                           stock_params)
from .taobao_orders import (FULLINFO_METHOD, INCREMENT_METHOD, MAX_PAGE_SIZE, RESTART, TRADE_FIELDS,
                            PagePosition, pages_for, trade_to_order)
from .taobao_wire import (API_VERSION, CHINA, DEFAULT_SIGN_METHOD, GATEWAY_PATH, SKIP_POLICY, TIMESTAMP_STYLE,
                          classify_error, format_time, format_timestamp, listed, prepare, response_key, top_sign)

LOOKUP_MAX = 40
SKU_LOOKUP_MAX = 20          # ❓ the per-call maximum of skus.custom.get is not in platforms.md
TOKEN_PATH = "/token"        # stands in for https://oauth.taobao.com/token (grant_type=refresh_token)
ITEM_FIELDS = "num_iid,outer_id,title,approve_status,num,price,skus"
SKU_FIELDS = "sku_id,num_iid,outer_id,properties,quantity,price"
# Stop a batch at these: the next call would meet the same ban or the same bad credentials.
STOP_BATCH_KINDS = frozenset({ErrorKind.THROTTLED, ErrorKind.QUOTA_EXHAUSTED, ErrorKind.CONFIG})
STATES = {"onsale": "live", "instock": "delisted"}
# After a batch of writes, one items.custom.get learns the SKU ids TOP assigned (the
# write answers carry only num_iid); False saves that read and leaves remote_sku_ids empty.
READ_SKU_IDS_AFTER_PUSH = True


class TaobaoConnector:
    code = "taobao"
    max_batch = LOOKUP_MAX
    max_order_window = timedelta(days=1)       # on `modified` ✅[T3]
    caps: frozenset[str] = frozenset()        # no batch write, no draft/audit, TMC push not implemented

    def __init__(self, config: ConnectorConfig, *, sign_method: str | None = None, page_size: int | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.config = config
        self.transport = Transport(config.base_url, config.timeout)
        self.sign_method = sign_method or config.extra.get("sign_method", DEFAULT_SIGN_METHOD)
        self.page_size = min(int(page_size or config.extra.get("page_size", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)
        self.skip_policy = SKIP_POLICY
        self.timestamp_style = config.extra.get("timestamp_style", TIMESTAMP_STYLE)
        self.clock = clock or (lambda: datetime.now(CHINA))
        self.refresh_token = config.refresh_token
        self.tokens = TokenHolder(config.access_token, self._refresh_access_token if config.refresh_token else None)
        self._skus: dict[str, SkuRef] = {}         # our SKU key → how TOP addresses it
        self._items: dict[str, str] = {}           # our listing key → num_iid
        self._lock = threading.Lock()

    # -- one TOP call ------------------------------------------------------------
    def signed(self, method: str, params: Mapping[str, Any], token: str) -> tuple[dict[str, str], dict[str, str]]:
        """(system params with sign, business params) exactly as they are sent."""
        system = prepare({"method": method, "app_key": self.config.app_key, "session": token,
                          "timestamp": format_timestamp(self.clock(), self.timestamp_style),
                          "format": "json", "v": API_VERSION, "sign_method": self.sign_method,
                          "partner_id": self.config.extra.get("partner_id")}, self.skip_policy)
        business = prepare(params, self.skip_policy)
        clash = system.keys() & business.keys()
        if clash:
            raise ValueError(f"business params shadow system params: {sorted(clash)}")
        system["sign"] = top_sign({**system, **business}, self.config.app_secret, self.sign_method)
        return system, business

    def call(self, method: str, params: Mapping[str, Any], files: Mapping[str, bytes] | None = None) -> dict:
        """The method's ``…_response`` body; a TOP error raises ConnectorError."""
        token = self.tokens.token
        try:
            return self._send(method, params, files, token)
        except ConnectorError as exc:
            if exc.error.kind is not ErrorKind.AUTH_EXPIRED:
                raise
        return self._send(method, params, files, self.tokens.refresh(token))

    def _send(self, method, params, files, token) -> dict:
        system, business = self.signed(method, params, token)
        parts = {name: (name, data) for name, data in (files or {}).items()} or None
        response = self.transport.send("POST", GATEWAY_PATH, params=system, data=business, files=parts)
        body = _json(response.content)
        if response.status_code >= 400 or not isinstance(body, dict) or "error_response" in body:
            raise ConnectorError(self.classify(response.status_code, body, None))
        return body.get(response_key(method)) or {}

    def _refresh_access_token(self) -> str:
        url = self.config.extra.get("token_url") or f"{self.config.base_url.rstrip('/')}{TOKEN_PATH}"
        response = self.transport.send("POST", url, data={
            "grant_type": "refresh_token", "client_id": self.config.app_key,
            "client_secret": self.config.app_secret, "refresh_token": self.refresh_token})
        body = _json(response.content)
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise ConnectorError(ChannelError(ErrorKind.CONFIG, "refresh_failed", f"刷新令牌失败：{body}"))
        self.refresh_token = body.get("refresh_token") or self.refresh_token
        tokens_keep(self.config, str(body["access_token"]), str(self.refresh_token))
        return str(body["access_token"])

    def classify(self, http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
        if isinstance(exc, ConnectorError):
            return exc.error
        if exc is not None:
            return ChannelError(ErrorKind.TRANSIENT, type(exc).__name__, str(exc))
        if isinstance(body, (bytes, str)):
            body = _json(body)
        if isinstance(body, Mapping) and isinstance(body.get("error_response"), Mapping):
            return classify_error(body["error_response"])
        if http_status is not None and http_status >= 500:
            return ChannelError(ErrorKind.TRANSIENT, str(http_status), "网关暂时不可用")
        return ChannelError(ErrorKind.TRANSIENT, str(http_status or "unexpected"), f"无法识别的应答：{body!r:.200}")

    # -- products ----------------------------------------------------------------
    def push_listings(self, batch: Sequence[Listing], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """Update when the remote id is known, otherwise create (no look-up first: the
        engine calls ``lookup`` after an unknown outcome).  A key twice in one batch
        is created once and then updated."""
        known = dict(remote_ids)
        results: list[ItemResult] = []
        stop: ChannelError | None = None
        for listing in batch:
            if stop:
                results.append(ItemResult(key=listing.key, ok=False, remote_id=known.get(listing.key), error=stop))
                continue
            result = self._push_one(listing, known.get(listing.key))
            if result.ok and result.remote_id:
                known[listing.key] = result.remote_id
            if result.error and result.error.kind in STOP_BATCH_KINDS:
                stop = result.error
            results.append(result)
        return self._with_sku_ids(results) if READ_SKU_IDS_AFTER_PUSH and not stop else results

    def _with_sku_ids(self, results: list[ItemResult]) -> list[ItemResult]:
        """item.add/update answer only num_iid; one read per batch learns the SKU ids,
        so the engine can store them and later stock calls need no read."""
        wanted = {result.key: result.remote_id for result in results if result.ok and result.remote_id}
        if not wanted:
            return results
        try:
            items = self._remote_items(list(wanted))
        except ConnectorError:
            return results          # the writes stand; a later stock call reads the ids itself
        sku_ids: dict[str, dict[str, str]] = {}
        for key, item in items:
            if str(item["num_iid"]) == wanted[key]:
                remote = self._remote_listing(key, item)
                sku_ids[key] = {sku.key: sku.remote_id for sku in remote.skus}
        return [replace(result, remote_sku_ids=sku_ids[result.key]) if result.ok and result.key in sku_ids
                else result for result in results]

    def _push_one(self, listing: Listing, remote_id: str | None) -> ItemResult:
        try:
            params = item_params(listing, self.config.extra)
        except ValueError as exc:
            return ItemResult(key=listing.key, ok=False, remote_id=remote_id,
                              error=ChannelError(ErrorKind.INVALID, "bad_listing", str(exc)))
        try:
            if remote_id:
                body = self.call(UPDATE_METHOD, {"num_iid": remote_id, **params})
            else:
                body = self.call(ADD_METHOD, params)
        except ConnectorError as exc:
            return ItemResult(key=listing.key, ok=False, remote_id=remote_id, error=exc.error)
        num_iid = str(body["item"]["num_iid"])
        single = len(listing.skus) == 1
        with self._lock:
            self._items[listing.key] = num_iid
            for sku in listing.skus:
                self._skus[sku.key] = SkuRef(num_iid, sku_properties(sku.attrs, sku.key, single),
                                             getattr(self._skus.get(sku.key), "sku_id", ""))
        return ItemResult(key=listing.key, ok=True, remote_id=num_iid,
                          state="live" if listing.active else "delisted")

    def delist(self, keys: Sequence[str], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """Idempotent: a missing or already delisted item is a success without a write."""
        with self._lock:
            known = {key: remote_ids.get(key) or self._items.get(key) for key in keys}
        unknown = [key for key, remote_id in known.items() if not remote_id]
        try:
            found = self.lookup(unknown) if unknown else {}
        except ConnectorError as exc:
            found, lookup_error = {}, exc.error
        else:
            lookup_error = None
        results, stop = [], None
        for key in keys:
            remote_id = known[key]
            if not remote_id and lookup_error:
                results.append(ItemResult(key=key, ok=False, error=lookup_error))
                continue
            if not remote_id:
                listing = found.get(key)
                if listing is None or listing.state == "delisted":
                    results.append(ItemResult(key=key, ok=True, remote_id=listing and listing.remote_id,
                                              state="delisted"))
                    continue
                remote_id = listing.remote_id
            if stop:
                results.append(ItemResult(key=key, ok=False, remote_id=remote_id, error=stop))
                continue
            try:
                self.call(DELIST_METHOD, {"num_iid": remote_id})
            except ConnectorError as exc:
                if exc.error.kind is ErrorKind.NOT_FOUND:
                    results.append(ItemResult(key=key, ok=True, remote_id=remote_id, state="delisted"))
                    continue
                stop = exc.error if exc.error.kind in STOP_BATCH_KINDS else None
                results.append(ItemResult(key=key, ok=False, remote_id=remote_id, error=exc.error))
                continue
            results.append(ItemResult(key=key, ok=True, remote_id=remote_id, state="delisted"))
        return results

    def lookup(self, keys: Sequence[str]) -> dict[str, RemoteListing]:
        """Our listings on Taobao by outer id (the first item when one was created twice)."""
        found: dict[str, RemoteListing] = {}
        for key, item in self._remote_items(keys):
            if key not in found:
                found[key] = self._remote_listing(key, item)
        return found

    def _remote_items(self, keys: Sequence[str]) -> list[tuple[str, Mapping[str, Any]]]:
        """Every item TOP has under each outer id (a key created twice has two)."""
        items = []
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), LOOKUP_MAX):
            chunk = wanted[start:start + LOOKUP_MAX]
            body = self.call(LOOKUP_METHOD, {"outer_id": ",".join(chunk), "fields": ITEM_FIELDS})
            items += [(str(item.get("outer_id", "")), item) for item in listed(body.get("items"), "item")
                      if str(item.get("outer_id", "")) in chunk]
        return items

    def _remote_listing(self, key: str, item: Mapping[str, Any]) -> RemoteListing:
        num_iid = str(item["num_iid"])
        skus = listed(item.get("skus"), "sku")
        with self._lock:
            self._items[key] = num_iid
            for sku in skus:
                self._skus[str(sku["outer_id"])] = SkuRef(num_iid, str(sku.get("properties", "")),
                                                          str(sku.get("sku_id", "")))
        return RemoteListing(
            key=key, remote_id=num_iid, state=STATES.get(str(item.get("approve_status")), "live"),
            title=str(item.get("title", "")),
            skus=tuple(RemoteSku(key=str(s["outer_id"]), remote_id=str(s["sku_id"]), price=yuan(s["price"]),
                                 quantity=int(s["quantity"])) for s in skus))

    def _sku_refs(self, keys: Sequence[str], remote_skus: Mapping[str, tuple[str, str]] | None,
                  need_properties: bool) -> tuple[dict[str, SkuRef], ChannelError | None]:
        """How TOP addresses each SKU: remembered from push/lookup, or the engine's
        ``remote_skus`` (key → (num_iid, sku_id)) when the property string is not
        needed, else one read of ``taobao.skus.custom.get`` per chunk (never a write)."""
        with self._lock:
            refs = {key: self._skus[key] for key in keys if key in self._skus}
        if not need_properties:
            for key in keys:
                if key not in refs and remote_skus and key in remote_skus:
                    num_iid, sku_id = remote_skus[key]
                    refs[key] = SkuRef(str(num_iid), "", str(sku_id or ""))
        missing = [key for key in dict.fromkeys(keys) if key not in refs]
        for start in range(0, len(missing), SKU_LOOKUP_MAX):
            chunk = missing[start:start + SKU_LOOKUP_MAX]
            try:
                body = self.call(SKU_LOOKUP_METHOD, {"outer_id": ",".join(chunk), "fields": SKU_FIELDS})
            except ConnectorError as exc:
                return refs, exc.error
            for sku in listed(body.get("skus"), "sku"):
                key = str(sku.get("outer_id", ""))
                if key in chunk and key not in refs:
                    refs[key] = SkuRef(str(sku["num_iid"]), str(sku.get("properties", "")), str(sku.get("sku_id", "")))
        with self._lock:
            self._skus.update({key: ref for key, ref in refs.items() if ref.properties})
        return refs, None

    def update_inventory(self, items: Sequence[tuple[str, int]], *,
                         remote_skus: Mapping[str, tuple[str, str]] | None = None) -> list[ItemResult]:
        """Absolute quantities (type=1), one ``taobao.item.quantity.update`` per SKU."""
        return self._per_sku(items, remote_skus, False, lambda key, ref, quantity: (STOCK_METHOD, stock_params(
            key, ref, quantity)))

    def update_price(self, items: Sequence[tuple[str, Decimal]], *,
                     remote_skus: Mapping[str, tuple[str, str]] | None = None) -> list[ItemResult]:
        """One PRICE_METHOD call per SKU (it addresses the SKU by its property string)."""
        return self._per_sku(items, remote_skus, PRICE_METHOD == "taobao.item.sku.price.update",
                             lambda key, ref, price: (PRICE_METHOD, price_params(key, ref, price)))

    def _per_sku(self, items, remote_skus, need_properties: bool, request) -> list[ItemResult]:
        refs, lookup_error = self._sku_refs([key for key, _ in items], remote_skus, need_properties)
        results, stop = [], None
        for key, value in items:
            ref = refs.get(key)
            if ref is None:
                error = lookup_error or ChannelError(ErrorKind.NOT_FOUND, "no_sku", f"淘宝上没有外部编码为 {key} 的 SKU")
                results.append(ItemResult(key=key, ok=False, error=error))
                continue
            if stop:
                results.append(ItemResult(key=key, ok=False, remote_id=ref.num_iid, error=stop))
                continue
            try:
                method, params = request(key, ref, value)
                self.call(method, params)
            except ValueError as exc:
                results.append(ItemResult(key=key, ok=False, remote_id=ref.num_iid,
                                          error=ChannelError(ErrorKind.INVALID, "bad_value", str(exc))))
            except ConnectorError as exc:
                if exc.error.kind in STOP_BATCH_KINDS:
                    stop = exc.error
                results.append(ItemResult(key=key, ok=False, remote_id=ref.num_iid, error=exc.error))
            else:
                results.append(ItemResult(key=key, ok=True, remote_id=ref.num_iid))
        return results

    # -- orders ------------------------------------------------------------------
    def fetch_orders(self, start: datetime, end: datetime, cursor: str | None) -> OrderPage:
        """One page.  The first call counts the window (use_has_next=false) and keeps
        page 1; then pages are read from the last one back to page 1
        (use_has_next=true).  If the last page says has_next, the window grew while
        we read it and the scan starts over (the engine de-duplicates by id)."""
        check_window(self, start, end)
        base = {"start_modified": format_time(start), "end_modified": format_time(end),
                "fields": TRADE_FIELDS, "page_size": self.page_size}
        position = PagePosition.decode(cursor)
        if position is None:
            body = self.call(INCREMENT_METHOD, {**base, "page_no": 1, "use_has_next": "false"})
            pages = pages_for(int(body.get("total_results") or 0), self.page_size)
            following = PagePosition(pages, pages).encode() if pages > 1 else None
        else:
            body = self.call(INCREMENT_METHOD, {**base, "page_no": position.page, "use_has_next": "true"})
            if position.page == position.pages and body.get("has_next"):
                following = RESTART
            elif position.page > 1:
                following = PagePosition(position.page - 1, position.pages).encode()
            else:
                following = None
        orders = tuple(trade_to_order(trade) for trade in listed(body.get("trades"), "trade"))
        return OrderPage(orders=orders, next_cursor=following, window=(start, end))

    def get_order(self, order_id: str) -> ChannelOrder:
        body = self.call(FULLINFO_METHOD, {"tid": order_id, "fields": TRADE_FIELDS})
        if not body.get("trade"):
            raise ConnectorError(ChannelError(ErrorKind.NOT_FOUND, "no_trade", f"淘宝订单 {order_id} 不存在"))
        return trade_to_order(body["trade"])

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        raise NotImplementedError("淘宝 TMC 是拉取式消息队列（taobao.tmc.messages.consume），此处不接收推送")

    def close(self) -> None:
        self.transport.close()



def _json(content: bytes | str) -> Any:
    """Big ints stay exact Python ints (we turn ids into strings); decimals never become floats."""
    try:
        return json.loads(content, parse_float=Decimal)
    except (ValueError, TypeError):
        return None


def connector_from_config(config: ConnectorConfig) -> TaobaoConnector:
    return TaobaoConnector(config)
