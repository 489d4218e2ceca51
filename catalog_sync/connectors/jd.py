"""JD JOS (京东开放平台) connector: listings, stock, price, order import.

Wire format, signing and error codes live in ``jd_wire``; order paging and the
order mapping in ``jd_orders``.  Method names and fields beyond those platforms.md
marks ✅ are unverified (❓) and kept as named constants below.

Ids: JD's wareId / skuId / orderId are parsed as strings (``jd_wire.loads``).
Money: JD speaks yuan; we send ``jdPrice`` as a decimal string ("12.30") ❓ and
refuse a price with sub-fen digits instead of rounding it.

Remote SKU ids.  The stock and price calls need JD's ``skuId`` but the engine
passes only our SKU keys.  The connector remembers the ids of every listing it
pushed or looked up; the caller may also pass ``remote_skus`` (our SKU key →
(wareId, skuId)).  Only when neither knows a SKU does the connector resolve it
with one read (``LOOKUP_METHOD`` by the SKU's outer id) before the stock/price
call: a read, never a product write."""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from . import jd_orders, jd_wire
from .base import (ChannelError, ChannelEvent, ChannelOrder, ConnectorConfig, ConnectorError, ErrorKind,
                   InvalidSignature, ItemResult, Listing, OrderPage, RemoteListing, RemoteSku, TokenHolder,
                   check_window, push_each, tokens_keep, yuan, yuan_to_fen)
from .http import Transport

ADD_METHOD = "jingdong.ware.write.add"                     # ✅ name [J3]; field names ❓
UPDATE_METHOD = "jingdong.ware.write.updateWare"           # ❓ not in platforms.md
UP_OR_DOWN_METHOD = "jingdong.ware.write.upOrDown"         # ✅ name [J3]
UP_OR_DOWN_FIELD, OP_UP, OP_DOWN = "opType", "1", "2"      # ❓ field semantics unverified
STOCK_METHOD = "jingdong.stock.write.updateSkuStock"       # ✅ {skuId, stockNum} [J3]
PRICE_METHOD = "jingdong.price.write.updateSkuJdPrice"     # ✅ {skuId, jdPrice} [J3]
# Lookup by our outer id: ❓ UNVERIFIED.  ``jingdong.sku.read.searchSkuList`` with
# ``itemNum`` (the ware's 商家货号 = our listing key) and ``outId`` (the SKU's outer
# id) appears in an SDK copy, but what JD matches on is not checked.
LOOKUP_METHOD = "jingdong.sku.read.searchSkuList"
LOOKUP_WARE_FIELD, LOOKUP_SKU_FIELD = "itemNum", "outId"
LOOKUP_PAGE_SIZE = 50
# Ware status words ⚠️ (8 = 上架, 2 = 自主下架, as in JD's ware docs copies).
WARE_ON_SALE, WARE_OFF_SALE = "8", "2"
TOKEN_PATH = "/oauth2/refresh_token"   # JD's open-oauth refresh, kept simple: same host as the gateway


def _ware_payload(listing: Listing, ware_id: str | None) -> dict[str, Any]:
    ware: dict[str, Any] = {"title": listing.title, "itemNum": listing.key, "introduction": listing.description,
                            "images": list(listing.images)}
    if listing.brand:
        ware["brandName"] = listing.brand
    if ware_id:
        ware["wareId"] = ware_id
    skus = []
    for sku in listing.skus:
        yuan_to_fen(sku.price)          # refuses sub-fen prices (ValueError → INVALID)
        skus.append({"outerId": sku.key, "jdPrice": yuan(sku.price), "stockNum": max(0, int(sku.quantity)),
                     "saleAttrs": [{"attrName": name, "attrValue": value} for name, value in sku.attrs]})
    return {"ware": ware, "skus": skus}


def _state(ware_status: Any) -> str:
    return "live" if str(ware_status) == WARE_ON_SALE else "delisted"


class JdConnector:
    code = "jd"
    max_batch = 20                      # no batch call: one JD call per item
    max_order_window = jd_orders.ORDER_RANGE_CAP
    caps = frozenset()                  # no push (❓ for JD), no native batch

    def __init__(self, config: ConnectorConfig, *, clock: Callable[[], datetime] | None = None):
        self.config = config
        self.transport = Transport(config.base_url, config.timeout)
        self._refresh_value = config.refresh_token
        self.tokens = TokenHolder(config.access_token, self._refresh_token if config.refresh_token else None)
        self.clock = clock or (lambda: datetime.now(jd_wire.CHINA))
        self._lock = threading.Lock()
        self._skus: dict[str, tuple[str, str]] = {}      # our SKU key → (wareId, skuId)

    # -- transport -------------------------------------------------------------------
    def call(self, method: str, business: Mapping[str, Any]) -> Mapping[str, Any]:
        """One signed JD call; an expired token is refreshed once (TokenHolder: no
        stampede) and the call retried once."""
        token = self.tokens.token
        try:
            return self._call_once(method, business, token)
        except ConnectorError as exc:
            if exc.error.kind != ErrorKind.AUTH_EXPIRED:
                raise
        return self._call_once(method, business, self.tokens.refresh(token))

    def signed_params(self, method: str, business: Mapping[str, Any], token: str) -> dict[str, str]:
        params = {"method": method, "app_key": self.config.app_key, "access_token": token,
                  "timestamp": jd_wire.timestamp(self.clock()), "v": jd_wire.API_VERSION,
                  "format": jd_wire.FORMAT, jd_wire.PARAM_JSON_KEY: jd_wire.param_json(business)}
        params = {key: value for key, value in params.items() if value not in (None, "")}
        params["sign"] = jd_wire.sign(params, self.config.app_secret)
        return params

    def _call_once(self, method: str, business: Mapping[str, Any], token: str) -> Mapping[str, Any]:
        response = self.transport.send("POST", jd_wire.GATEWAY_PATH, data=self.signed_params(method, business, token))
        try:
            body = jd_wire.loads(response.content)
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, Mapping) or "error_response" in body:
            raise ConnectorError(self.classify(response.status_code, body, None))
        result = body.get(jd_wire.response_key(method))
        if not isinstance(result, Mapping):
            raise ConnectorError(ChannelError(ErrorKind.TRANSIENT, "bad_body", _("京东应答缺少 %(key)s") % {
                "key": jd_wire.response_key(method)}))
        return result

    def _refresh_token(self) -> str:
        response = self.transport.send("GET", TOKEN_PATH, params={
            "app_key": self.config.app_key, "app_secret": self.config.app_secret,
            "grant_type": "refresh_token", "refresh_token": self._refresh_value})
        try:
            body = jd_wire.loads(response.content)
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, Mapping) or not body.get("access_token"):
            raise ConnectorError(ChannelError(ErrorKind.CONFIG, "refresh_failed", _("京东令牌刷新失败，请重新授权")))
        self._refresh_value = str(body.get("refresh_token") or self._refresh_value)
        tokens_keep(self.config, str(body["access_token"]), self._refresh_value)
        return str(body["access_token"])

    def classify(self, http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
        return jd_wire.classify(http_status, body, exc)

    # -- remembered ids ------------------------------------------------------------------
    def _remember(self, ware_id: str, sku_ids: Mapping[str, str]) -> None:
        with self._lock:
            for key, sku_id in sku_ids.items():
                self._skus[key] = (ware_id, sku_id)

    def _sku_id(self, key: str, remote_skus: Mapping[str, tuple[str, str]] | None) -> str | None:
        if remote_skus and key in remote_skus:
            return str(remote_skus[key][1])
        with self._lock:
            known = self._skus.get(key)
        if known:
            return known[1]
        rows = self._search({LOOKUP_SKU_FIELD: key})
        for row in rows:
            if str(row.get("outerId")) == key:
                self._remember(str(row["wareId"]), {key: str(row["skuId"])})
                return str(row["skuId"])
        return None

    def _search(self, criteria: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        result = self.call(LOOKUP_METHOD, {**criteria, "pageNo": 1, "page_size": LOOKUP_PAGE_SIZE})
        page = result.get("page") or {}
        return [row for row in page.get("data") or [] if isinstance(row, Mapping)]

    # -- listings ------------------------------------------------------------------------
    def push_listings(self, batch: Sequence[Listing], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """Never looks up before creating (the engine does, after an unknown outcome)."""
        return push_each(batch, remote_ids, self._push_one)

    def _push_one(self, listing: Listing, remote_id: str | None) -> ItemResult:
        try:
            payload = _ware_payload(listing, remote_id)
        except ValueError as exc:
            return ItemResult(key=listing.key, ok=False, remote_id=remote_id,
                              error=ChannelError(ErrorKind.INVALID, "bad_price", str(exc)))
        try:
            result = self.call(UPDATE_METHOD if remote_id else ADD_METHOD, payload)
        except ConnectorError as exc:
            return ItemResult(key=listing.key, ok=False, remote_id=remote_id, error=exc.error)
        ware = result.get("ware") or {}
        ware_id = str(ware.get("wareId") or remote_id or "")
        if not ware_id:
            return ItemResult(key=listing.key, ok=False, error=ChannelError(
                ErrorKind.UNKNOWN_OUTCOME, "no_ware_id", _("京东应答没有商品编号")))
        sku_ids = {str(s["outerId"]): str(s["skuId"]) for s in ware.get("skus") or [] if isinstance(s, Mapping)}
        self._remember(ware_id, sku_ids)
        state = _state(ware.get("wareStatus"))
        wanted = "live" if listing.active else "delisted"
        if state != wanted:
            try:
                self.call(UP_OR_DOWN_METHOD, {"wareId": ware_id, UP_OR_DOWN_FIELD: OP_UP if listing.active else OP_DOWN})
            except ConnectorError as exc:
                # The write went through but the status did not: report an unknown
                # outcome so the engine looks the listing up and pushes it again.
                return ItemResult(key=listing.key, ok=False, remote_id=ware_id, remote_sku_ids=sku_ids,
                                  error=ChannelError(ErrorKind.UNKNOWN_OUTCOME, exc.error.code,
                                                     _("商品已写入京东，但上下架失败：%(msg)s") % {"msg": exc.error.message}))
            state = wanted
        return ItemResult(key=listing.key, ok=True, remote_id=ware_id, state=state, remote_sku_ids=sku_ids)

    def delist(self, keys: Sequence[str], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """Take wares off sale.  A missing or already delisted ware is a success."""
        results = []
        for key in keys:
            try:
                ware_id = remote_ids.get(key)
                if not ware_id:
                    found = self.lookup([key]).get(key)
                    if found is None or found.state == "delisted":
                        results.append(ItemResult(key=key, ok=True, remote_id=found and found.remote_id,
                                                  state="delisted"))
                        continue
                    ware_id = found.remote_id
                self.call(UP_OR_DOWN_METHOD, {"wareId": ware_id, UP_OR_DOWN_FIELD: OP_DOWN})
                results.append(ItemResult(key=key, ok=True, remote_id=ware_id, state="delisted"))
            except ConnectorError as exc:
                if exc.error.kind == ErrorKind.NOT_FOUND:
                    results.append(ItemResult(key=key, ok=True, state="delisted"))
                else:
                    results.append(ItemResult(key=key, ok=False, error=exc.error))
        return results

    def _per_sku(self, items, remote_skus, send: Callable[[str, Any], None]) -> list[ItemResult]:
        results = []
        for key, value in items:
            try:
                sku_id = self._sku_id(key, remote_skus)
                if sku_id is None:
                    results.append(ItemResult(key=key, ok=False, error=ChannelError(
                        ErrorKind.NOT_FOUND, "no_sku", _("京东上找不到规格 %(key)s") % {"key": key})))
                    continue
                send(sku_id, value)
                results.append(ItemResult(key=key, ok=True, remote_id=sku_id))
            except ValueError as exc:
                results.append(ItemResult(key=key, ok=False, error=ChannelError(ErrorKind.INVALID, "bad_value", str(exc))))
            except ConnectorError as exc:
                results.append(ItemResult(key=key, ok=False, error=exc.error))
        return results

    def update_inventory(self, items: Sequence[tuple[str, int]], *,
                         remote_skus: Mapping[str, tuple[str, str]] | None = None) -> list[ItemResult]:
        """Absolute stock per SKU: only ``STOCK_METHOD`` (plus a read when a SKU id is unknown)."""
        def send(sku_id, quantity):
            self.call(STOCK_METHOD, {"skuId": sku_id, "stockNum": max(0, int(quantity))})
        return self._per_sku(items, remote_skus, send)

    def update_price(self, items: Sequence[tuple[str, Decimal]], *,
                     remote_skus: Mapping[str, tuple[str, str]] | None = None) -> list[ItemResult]:
        """JD price in yuan per SKU: only ``PRICE_METHOD`` (plus a read when a SKU id is unknown)."""
        def send(sku_id, price):
            yuan_to_fen(price)
            self.call(PRICE_METHOD, {"skuId": sku_id, "jdPrice": yuan(price)})
        return self._per_sku(items, remote_skus, send)

    def lookup(self, keys: Sequence[str]) -> dict[str, RemoteListing]:
        """Our listings on JD by outer id (``LOOKUP_METHOD``, one read per key).  When
        a key was created twice, the oldest ware (lowest wareId) is the one reported."""
        found = {}
        for key in keys:
            wares: dict[str, list[Mapping[str, Any]]] = {}
            for row in self._search({LOOKUP_WARE_FIELD: key}):
                if str(row.get("itemNum")) == key:
                    wares.setdefault(str(row["wareId"]), []).append(row)
            if not wares:
                continue
            ware_id = min(wares, key=int)
            rows = wares[ware_id]
            skus = tuple(RemoteSku(key=str(r.get("outerId") or ""), remote_id=str(r["skuId"]),
                                   price=yuan(r.get("jdPrice") or 0), quantity=int(r.get("stockNum") or 0))
                         for r in rows)
            self._remember(ware_id, {s.key: s.remote_id for s in skus if s.key})
            found[key] = RemoteListing(key=key, remote_id=ware_id, state=_state(rows[0].get("wareStatus")),
                                       title=str(rows[0].get("wareTitle") or ""), skus=skus)
        return found

    # -- orders ----------------------------------------------------------------------------
    def fetch_orders(self, start: datetime, end: datetime, cursor: str | None) -> OrderPage:
        check_window(self, start, end)
        return jd_orders.fetch_page(self, start, end, cursor)

    def get_order(self, order_id: str) -> ChannelOrder:
        return jd_orders.get_order(self, order_id)

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        """JD push is ❓ (not found): nothing can be verified, so nothing is accepted."""
        raise InvalidSignature(_("京东渠道没有可验证的推送消息"))


def connector_from_config(config: ConnectorConfig) -> JdConnector:
    return JdConnector(config)
