"""Pinduoduo (拼多多) connector: goods, stock, price, order import and WebSocket push.

Wire format and error codes live in ``pinduoduo_wire``, orders in
``pinduoduo_orders``, push frames in ``pinduoduo_push``.

Money: PDD SKU prices are **fen** (``multi_price`` / ``group_price`` = our price,
the 单买价 a fixed ``SINGLE_PRICE_MARKUP_FEN`` above it, because PDD wants the single
price above the group price ❓), order ``pay_amount`` is **yuan**.  Ids are strings.

Remote ids for stock and price: ``pdd.goods.quantity.update`` takes the goods_id
and our SKU outer id; ``pdd.goods.sku.price.update`` takes the goods_id and PDD's
sku_id.  The connector remembers what it pushed or looked up, the caller may pass
``remote_skus`` (our SKU key → (goods_id, sku_id)), and only when neither knows
does it resolve the SKU with one read (``LOOKUP_METHOD`` by outer id).  Results
carry the ids (``remote_sku_ids``; "" where only the goods is known), which the
engine keeps on the listing: a SKU's id is read once, not at every price change.

Audit/draft (``pdd.goods.edit.goods.commit`` …) is not modelled: goods are live
(or off sale) straight away in the simulator."""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from . import pinduoduo_orders, pinduoduo_push, pinduoduo_wire as wire
from .base import (ChannelError, ChannelEvent, ChannelOrder, ConnectorConfig, ConnectorError, ErrorKind,
                   ItemResult, Listing, OrderPage, RemoteListing, RemoteSku, TokenHolder, check_window,
                   fen_to_yuan, push_each, tokens_keep, yuan_to_fen)
from .http import Transport

CHINA = timezone(timedelta(hours=8))

GOODS_ADD = "pdd.goods.add"                              # ✅[P2]
GOODS_UPDATE = "pdd.goods.information.update"            # ✅[P2]
SALE_STATUS = "pdd.goods.sale.status.set"                # ✅ {goods_id, is_onsale 1/0}
QUANTITY_UPDATE = "pdd.goods.quantity.update"            # ✅ {goods_id, outer_id, quantity, update_type}
UPDATE_TYPE_FULL = 1                                     # 1 = absolute, 2 = incremental ✅
SKU_PRICE_UPDATE = "pdd.goods.sku.price.update"          # ✅ prices in fen
TOKEN_REFRESH = "pdd.pop.auth.token.refresh"             # kept simple: through the same router
# Lookup by outer id ❓ UNVERIFIED: pdd.goods.list.get filtered by ``outer_goods_id``
# (our listing key) or ``outer_id`` (a SKU's outer id).
LOOKUP_METHOD = "pdd.goods.list.get"
LOOKUP_GOODS_FIELD, LOOKUP_SKU_FIELD = "outer_goods_id", "outer_id"
LOOKUP_PAGE_SIZE = 100
SINGLE_PRICE_MARKUP_FEN = 100                            # ❓ 单买价 = 拼单价 + 1 元


def _goods_payload(listing: Listing, goods_id: str | None) -> dict[str, Any]:
    skus = []
    for sku in listing.skus:
        fen = yuan_to_fen(sku.price)                     # exact, refuses sub-fen prices
        skus.append({"out_sku_sn": sku.key, "multi_price": fen, "price": fen + SINGLE_PRICE_MARKUP_FEN,
                     "quantity": max(0, int(sku.quantity)), "weight": sku.weight_grams or 0})
    payload: dict[str, Any] = {"goods_name": listing.title, "goods_desc": listing.description,
                               "carousel_gallery": list(listing.images), "detail_gallery": list(listing.images),
                               "out_goods_id": listing.key, "sku_list": skus}
    if goods_id:
        payload["goods_id"] = goods_id
    return payload


class PinduoduoConnector:
    code = "pinduoduo"
    max_batch = 20                          # no batch call: one PDD call per item
    max_order_window = pinduoduo_orders.ORDER_WINDOW_CAP
    caps = frozenset({"push"})
    end_lag = pinduoduo_orders.END_LAG      # how far behind PDD's clock a window must end

    def __init__(self, config: ConnectorConfig, *, clock: Callable[[], datetime] | None = None):
        self.config = config
        self.transport = Transport(config.base_url, config.timeout)
        self._refresh_value = config.refresh_token
        self.tokens = TokenHolder(config.access_token, self._refresh_token if config.refresh_token else None)
        self.clock = clock or (lambda: datetime.now(CHINA))
        self._lock = threading.Lock()
        self._skus: dict[str, tuple[str, str]] = {}      # our SKU key → (goods_id, sku_id or "")

    # -- transport -------------------------------------------------------------------
    def signed_params(self, method: str, business: Mapping[str, Any], token: str | None) -> dict[str, str]:
        params = wire.wire_params({**business, "type": method, "client_id": self.config.app_key,
                                   "timestamp": int(self.clock().timestamp()), "data_type": wire.DATA_TYPE,
                                   "access_token": token})
        params["sign"] = wire.sign(params, self.config.app_secret)
        return params

    def _call_once(self, method: str, business: Mapping[str, Any], token: str | None) -> Mapping[str, Any]:
        response = self.transport.send("POST", wire.GATEWAY_PATH, data=self.signed_params(method, business, token))
        try:
            body = wire.loads(response.content)
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, Mapping) or "error_response" in body:
            raise ConnectorError(self.classify(response.status_code, body, None))
        result = wire.response_body(body)
        if result is None:
            raise ConnectorError(ChannelError(ErrorKind.TRANSIENT, "bad_body", _("拼多多应答缺少 _response 对象")))
        return result

    def call(self, method: str, business: Mapping[str, Any]) -> Mapping[str, Any]:
        """One signed call; an expired token (10019) is refreshed once through the
        TokenHolder (one refresh however many threads hit it) and the call retried once."""
        token = self.tokens.token
        try:
            return self._call_once(method, business, token)
        except ConnectorError as exc:
            if exc.error.kind != ErrorKind.AUTH_EXPIRED:
                raise
        return self._call_once(method, business, self.tokens.refresh(token))

    def _refresh_token(self) -> str:
        try:
            result = self._call_once(TOKEN_REFRESH, {"refresh_token": self._refresh_value}, None)
        except ConnectorError as exc:
            raise ConnectorError(ChannelError(ErrorKind.CONFIG, exc.error.code,
                                              _("拼多多令牌刷新失败，请重新授权：%(msg)s") % {"msg": exc.error.message})) from exc
        if not result.get("access_token"):
            raise ConnectorError(ChannelError(ErrorKind.CONFIG, "refresh_failed", _("拼多多令牌刷新失败，请重新授权")))
        self._refresh_value = str(result.get("refresh_token") or self._refresh_value)
        tokens_keep(self.config, str(result["access_token"]), self._refresh_value)
        return str(result["access_token"])

    def classify(self, http_status: int | None, body: Any, exc: Exception | None) -> ChannelError:
        return wire.classify(http_status, body, exc)

    # -- remembered ids ----------------------------------------------------------------
    def _remember(self, goods_id: str, sku_ids: Mapping[str, str]) -> None:
        with self._lock:
            for key, sku_id in sku_ids.items():
                old = self._skus.get(key)
                keep = sku_id or (old[1] if old and old[0] == goods_id else "")
                self._skus[key] = (goods_id, keep)

    def _goods_list(self, criteria: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        result = self.call(LOOKUP_METHOD, {**criteria, "page": 1, "page_size": LOOKUP_PAGE_SIZE})
        return [g for g in result.get("goods_list") or [] if isinstance(g, Mapping)]

    def _resolve(self, key: str, remote_skus, need_sku_id: bool) -> tuple[str, str] | None:
        if remote_skus and key in remote_skus:
            goods_id, sku_id = remote_skus[key]
            if not need_sku_id or sku_id:
                return str(goods_id), str(sku_id or "")
        with self._lock:
            known = self._skus.get(key)
        if known and (not need_sku_id or known[1]):
            return known
        goods = sorted(self._goods_list({LOOKUP_SKU_FIELD: key}), key=lambda g: int(g["goods_id"]))
        for item in goods:
            for sku in item.get("sku_list") or []:
                if str(sku.get("outer_id")) == key:
                    self._remember(str(item["goods_id"]), {key: str(sku["sku_id"])})
                    return str(item["goods_id"]), str(sku["sku_id"])
        return None

    # -- listings ------------------------------------------------------------------------
    def push_listings(self, batch: Sequence[Listing], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """Never looks up before creating (the engine does, after an unknown outcome)."""
        return push_each(batch, remote_ids, self._push_one)

    def _push_one(self, listing: Listing, goods_id: str | None) -> ItemResult:
        try:
            payload = _goods_payload(listing, goods_id)
        except ValueError as exc:
            return ItemResult(key=listing.key, ok=False, remote_id=goods_id,
                              error=ChannelError(ErrorKind.INVALID, "bad_price", str(exc)))
        try:
            result = self.call(GOODS_UPDATE if goods_id else GOODS_ADD, payload)
        except ConnectorError as exc:
            return ItemResult(key=listing.key, ok=False, remote_id=goods_id, error=exc.error)
        goods_id = str(result.get("goods_id") or goods_id or "")
        if not goods_id:
            return ItemResult(key=listing.key, ok=False, error=ChannelError(
                ErrorKind.UNKNOWN_OUTCOME, "no_goods_id", _("拼多多应答没有商品编号")))
        self._remember(goods_id, {sku.key: "" for sku in listing.skus})
        created = not payload.get("goods_id")
        # A new goods is on sale; after an update the sale status is set to match.
        if not created or not listing.active:
            try:
                self.call(SALE_STATUS, {"goods_id": goods_id, "is_onsale": 1 if listing.active else 0})
            except ConnectorError as exc:
                return ItemResult(key=listing.key, ok=False, remote_id=goods_id, error=ChannelError(
                    ErrorKind.UNKNOWN_OUTCOME, exc.error.code,
                    _("商品已写入拼多多，但上下架失败：%(msg)s") % {"msg": exc.error.message}))
        # goods.add answers no sku ids: the SKUs are known to be on this goods (a stock call
        # needs no more), their sku ids are read when a price call first needs them.
        with self._lock:
            sku_ids = {sku.key: self._skus.get(sku.key, (goods_id, ""))[1] for sku in listing.skus}
        return ItemResult(key=listing.key, ok=True, remote_id=goods_id, remote_sku_ids=sku_ids,
                          state="live" if listing.active else "delisted")

    def delist(self, keys: Sequence[str], *, remote_ids: Mapping[str, str] = {}) -> list[ItemResult]:
        """is_onsale=0; a missing or already delisted goods is a success."""
        results = []
        for key in keys:
            try:
                goods_id = remote_ids.get(key)
                if not goods_id:
                    found = self.lookup([key]).get(key)
                    if found is None or found.state == "delisted":
                        results.append(ItemResult(key=key, ok=True, remote_id=found and found.remote_id,
                                                  state="delisted"))
                        continue
                    goods_id = found.remote_id
                self.call(SALE_STATUS, {"goods_id": goods_id, "is_onsale": 0})
                results.append(ItemResult(key=key, ok=True, remote_id=goods_id, state="delisted"))
            except ConnectorError as exc:
                ok = exc.error.kind == ErrorKind.NOT_FOUND
                results.append(ItemResult(key=key, ok=ok, error=None if ok else exc.error,
                                          state="delisted" if ok else "live"))
        return results

    def _per_sku(self, items, remote_skus, need_sku_id: bool, send) -> list[ItemResult]:
        results = []
        for key, value in items:
            try:
                ids = self._resolve(key, remote_skus, need_sku_id)
                if ids is None:
                    results.append(ItemResult(key=key, ok=False, error=ChannelError(
                        ErrorKind.NOT_FOUND, "no_sku", _("拼多多上找不到规格 %(key)s") % {"key": key})))
                    continue
                send(key, ids, value)
                results.append(ItemResult(key=key, ok=True, remote_id=ids[1] or ids[0],
                                          remote_sku_ids={key: ids[1]} if ids[1] else {}))
            except ValueError as exc:
                results.append(ItemResult(key=key, ok=False, error=ChannelError(ErrorKind.INVALID, "bad_value", str(exc))))
            except ConnectorError as exc:
                results.append(ItemResult(key=key, ok=False, error=exc.error))
        return results

    def update_inventory(self, items: Sequence[tuple[str, int]], *,
                         remote_skus: Mapping[str, tuple[str, str]] | None = None) -> list[ItemResult]:
        """Absolute stock (update_type=1) by goods_id + our SKU outer id: only QUANTITY_UPDATE."""
        def send(key, ids, quantity):
            self.call(QUANTITY_UPDATE, {"goods_id": ids[0], "outer_id": key, "quantity": max(0, int(quantity)),
                                        "update_type": UPDATE_TYPE_FULL})
        return self._per_sku(items, remote_skus, False, send)

    def update_price(self, items: Sequence[tuple[str, Decimal]], *,
                     remote_skus: Mapping[str, tuple[str, str]] | None = None) -> list[ItemResult]:
        """SKU price in fen: only SKU_PRICE_UPDATE (plus a read when the sku_id is unknown)."""
        def send(key, ids, price):
            fen = yuan_to_fen(price)
            self.call(SKU_PRICE_UPDATE, {"goods_id": ids[0], "sku_price_list": [
                {"sku_id": ids[1], "group_price": fen, "single_price": fen + SINGLE_PRICE_MARKUP_FEN}]})
        return self._per_sku(items, remote_skus, True, send)

    def lookup(self, keys: Sequence[str]) -> dict[str, RemoteListing]:
        """Our goods by outer id; when a key was created twice the oldest (lowest goods_id) wins."""
        found = {}
        for key in keys:
            goods = [g for g in self._goods_list({LOOKUP_GOODS_FIELD: key}) if str(g.get("outer_goods_id")) == key]
            if not goods:
                continue
            item = min(goods, key=lambda g: int(g["goods_id"]))
            goods_id = str(item["goods_id"])
            skus = tuple(RemoteSku(key=str(s.get("outer_id") or ""), remote_id=str(s["sku_id"]),
                                   price=fen_to_yuan(s.get("group_price") or 0), quantity=int(s.get("sku_quantity") or 0))
                         for s in item.get("sku_list") or [])
            self._remember(goods_id, {s.key: s.remote_id for s in skus if s.key})
            found[key] = RemoteListing(key=key, remote_id=goods_id,
                                       state="live" if str(item.get("is_onsale")) == "1" else "delisted",
                                       title=str(item.get("goods_name") or ""), skus=skus)
        return found

    # -- orders and push -----------------------------------------------------------------
    def fetch_orders(self, start: datetime, end: datetime, cursor: str | None) -> OrderPage:
        check_window(self, start, end)
        return pinduoduo_orders.fetch_page(self, start, end, cursor)

    def get_order(self, order_id: str) -> ChannelOrder:
        return pinduoduo_orders.get_order(self, order_id)

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        return pinduoduo_push.parse_frame(body)


def connector_from_config(config: ConnectorConfig) -> PinduoduoConnector:
    return PinduoduoConnector(config)
