"""A loopback Pinduoduo gateway (``POST /api/router``) for the tests and the demo.

It checks what PDD checks (platforms.md, "Pinduoduo"): ``client_id``, the MD5 sign
over every parameter (its own implementation), the epoch-seconds ``timestamp``
(within ``SKEW`` ❓, PDD's tolerance is not documented) and the access token.
Errors come inside HTTP 200 as ``{"error_response": {error_code, error_msg,
sub_code, sub_msg, request_id}}``: 52101 per-API throttle, 70031 per-shop "too
frequent", 52102 busy, 10019 token expired, 20004/20005 sign/timestamp ❓ (any
10000–39999 code is a setup error), 50001 a refused request.  A throttle answer
carries "This ban will last for N more seconds" in ``sub_msg`` (⚠️ TOP's wording;
PDD's own hint text is not documented).

Faults (``self.faults.draw(method)``): "fail" → 52102, "throttle" → 52101,
"auth" → 10019, "invalid" → 50001, "timeout" → commit, then hold the answer for
``faults.timeout_seconds``; anything else ("ok") is no fault.

Ids are JSON numbers (``first_id`` can start them past 2**53, as PDD's ids are);
prices are fen, order amounts yuan.  No WebSocket server: ``push_frame`` builds
the frames a test feeds to ``parse_push``.  ``GET /`` is the pavilion page for
people and ``POST /_sim/orders`` places a paid order (``pavilion.py``)."""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .base import CHINA, Catalogue, Request, Response, SimItem, SimSku, Simulator, TokenBucket
from .pavilion import Pavilion, ShelfItem, ShelfSku
from .pinduoduo_orders import PddOrders

GATEWAY_PATH = "/api/router"
SKEW = timedelta(minutes=10)
CODE_PARAM, CODE_TOKEN_EXPIRED, CODE_SIGN, CODE_TIMESTAMP = 10000, 10019, 20004, 20005
CODE_INVALID, CODE_THROTTLED, CODE_BUSY, CODE_TOO_FREQUENT = 50001, 52101, 52102, 70031
TOKEN_REFRESH = "pdd.pop.auth.token.refresh"
RESPONSE_KEYS = {
    "pdd.goods.add": "goods_add_response",
    "pdd.goods.information.update": "goods_information_update_response",
    "pdd.goods.sale.status.set": "goods_sale_status_set_response",
    "pdd.goods.quantity.update": "goods_quantity_update_response",
    "pdd.goods.sku.price.update": "goods_sku_price_update_response",
    "pdd.goods.list.get": "goods_list_get_response",
    "pdd.order.number.list.increment.get": "order_sn_increment_get_response",
    "pdd.order.information.get": "order_info_get_response",
    TOKEN_REFRESH: "pop_auth_token_refresh_response",
}
# SDK-embedded limits ✅[P2] (the time unit is assumed ⚠️).
DEFAULT_LIMITS = {"pdd.goods.quantity.update": (4200, 1.0), "pdd.goods.add": (20, 1.0),
                  "pdd.order.number.list.increment.get": (3000, 60.0)}


class SimError(Exception):
    def __init__(self, code: int, message: str, sub_msg: str = ""):
        super().__init__(message)
        self.code, self.message, self.sub_msg = code, message, sub_msg


def banned(code: int, seconds: float, message: str) -> SimError:
    return SimError(code, message, f"This ban will last for {int(math.ceil(seconds))} more seconds")


def expected_sign(params: dict[str, str], secret: str) -> str:
    text = secret + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign") + secret
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def _json_param(params: dict[str, str], name: str) -> Any:
    try:
        return json.loads(params.get(name) or "null")
    except ValueError:
        raise SimError(CODE_INVALID, f"{name} 不是合法的 JSON") from None


class PddSimulator(PddOrders, Pavilion, Simulator):
    name = "pdd-simulator"
    pavilion_title = "拼多多扶贫馆（本地模拟）"
    platform_name = "拼多多"
    order_states = {"1": "待发货（已付款）", "2": "已发货", "3": "已签收"}

    def __init__(self, *, refresh_token: str = "sim-refresh", first_id: int = 400_000_000_000,
                 fault_ban_seconds: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.catalogue = Catalogue(first_id=first_id)
        self.refresh_token = refresh_token
        self.fault_ban_seconds = fault_ban_seconds
        self.token_expired = False
        self.token_refreshes = 0
        self.limits = {method: TokenBucket(rate, per) for method, (rate, per) in DEFAULT_LIMITS.items()}
        self.shop_limit: TokenBucket | None = None
        self.sku_index: dict[str, tuple[str, str]] = {}       # sku id → (goods id, outer sku id)
        self._serial = itertools.count(1)            # request ids
        self._token_serial = itertools.count(1)
        self._token_lock = threading.Lock()
        self.init_orders()
        self.methods: dict[str, Callable[[dict], dict]] = {
            "pdd.goods.add": self.goods_add, "pdd.goods.information.update": self.goods_update,
            "pdd.goods.sale.status.set": self.sale_status, "pdd.goods.quantity.update": self.quantity_update,
            "pdd.goods.sku.price.update": self.sku_price_update, "pdd.goods.list.get": self.goods_list,
            "pdd.order.number.list.increment.get": self.order_increment,
            "pdd.order.information.get": self.order_information, TOKEN_REFRESH: self.token_refresh,
        }

    # -- switches for tests ---------------------------------------------------------------
    def set_limit(self, method: str, rate: int, per: float) -> None:
        self.limits[method] = TokenBucket(rate, per)

    def set_shop_limit(self, rate: int, per: float) -> None:
        self.shop_limit = TokenBucket(rate, per)

    def expire_token(self) -> None:
        self.token_expired = True

    # -- HTTP -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        page = self.pavilion_handle(request)
        if page is not None:
            return page
        if request.path != GATEWAY_PATH:
            return Response({"error_response": {"error_code": 404, "error_msg": "not found"}}, status=404)
        params = {k: str(v) for k, v in request.form().items()}
        method = params.get("type", "")
        self.record(method, params)
        fault = None
        try:
            self.verify(method, params)
            fault = self.faults.draw(method)
            if fault == "fail":
                raise SimError(CODE_BUSY, "服务繁忙，请稍后重试")
            if fault == "throttle":
                raise banned(CODE_THROTTLED, self.fault_ban_seconds, "接口调用超过限制")
            if fault == "auth":
                raise SimError(CODE_TOKEN_EXPIRED, "access_token已过期")
            if fault == "invalid":
                raise SimError(CODE_INVALID, "商品信息不合法")
            self.throttle(method)
            handler = self.methods.get(method)
            if handler is None:
                raise SimError(CODE_PARAM, f"不支持的接口 {method}")
            result = handler(params)
        except SimError as exc:
            return Response({"error_response": {"error_code": exc.code, "error_msg": exc.message,
                                                "sub_code": str(exc.code), "sub_msg": exc.sub_msg,
                                                "request_id": f"sim-{next(self._serial)}"}})
        delay = self.faults.timeout_seconds if fault == "timeout" else 0.0
        return Response({RESPONSE_KEYS[method]: result}, delay=delay)

    def verify(self, method: str, params: dict[str, str]) -> None:
        if params.get("client_id") != self.app_key or params.get("sign") != expected_sign(params, self.app_secret):
            raise SimError(CODE_SIGN, "签名sign校验失败")
        try:
            sent = datetime.fromtimestamp(int(params.get("timestamp", "")), tz=CHINA)
        except ValueError:
            raise SimError(CODE_TIMESTAMP, "timestamp 格式错误") from None
        if abs(sent - self.now()) > SKEW:
            raise SimError(CODE_TIMESTAMP, "timestamp 与服务器时间相差过大")
        if method != TOKEN_REFRESH and (params.get("access_token") != self.access_token or self.token_expired):
            raise SimError(CODE_TOKEN_EXPIRED, "access_token已过期")

    def throttle(self, method: str) -> None:
        bucket = self.limits.get(method)
        wait = bucket.take() if bucket else 0.0
        if wait > 0:
            raise banned(CODE_THROTTLED, wait, "接口调用超过限制")
        wait = self.shop_limit.take() if self.shop_limit else 0.0
        if wait > 0:
            raise banned(CODE_TOO_FREQUENT, wait, "调用太频繁")

    def token_refresh(self, params: dict) -> dict:
        if params.get("refresh_token") != self.refresh_token:
            raise SimError(CODE_PARAM, "refresh_token 无效")
        with self._token_lock:
            serial = next(self._token_serial)
            self.access_token, self.refresh_token = f"pdd-token-{serial}", f"pdd-refresh-{serial}"
            self.token_expired = False
            self.token_refreshes += 1
            return {"access_token": self.access_token, "refresh_token": self.refresh_token, "expires_in": 86_400,
                    "owner_id": "10086", "scope": ["pdd.goods.add"]}

    # -- goods --------------------------------------------------------------------------------
    def _item(self, goods_id: Any) -> SimItem:
        item = self.catalogue.get(str(goods_id))
        if item is None:
            raise SimError(CODE_INVALID, f"商品 {goods_id} 不存在")
        return item

    def _put_skus(self, item: SimItem, skus: Any) -> None:
        if not isinstance(skus, list) or not skus:
            raise SimError(CODE_INVALID, "sku_list 不能为空")
        for sku in skus:
            outer, group, single = str(sku.get("out_sku_sn") or ""), int(sku.get("multi_price") or 0), int(sku.get("price") or 0)
            if not outer or group <= 0 or single <= group:
                raise SimError(CODE_INVALID, "SKU 缺少外部编码，或单买价不高于拼单价")
            if outer in item.skus:
                known = item.skus[outer]
                known.price, known.quantity = group, int(sku.get("quantity") or 0)
                known.attrs["single_price"] = single
            else:
                sku_id = self.catalogue.new_id()
                item.skus[outer] = SimSku(sku_id, outer, group, int(sku.get("quantity") or 0), {"single_price": single})
                self.sku_index[sku_id] = (item.remote_id, outer)

    def goods_add(self, params: dict) -> dict:
        if not params.get("goods_name") or not params.get("out_goods_id"):
            raise SimError(CODE_INVALID, "goods_name 和 out_goods_id 必填")
        with self.catalogue.lock:
            item = SimItem(remote_id=self.catalogue.new_id(), outer_id=params["out_goods_id"],
                           title=params["goods_name"], state="1", payload=dict(params))
            self._put_skus(item, _json_param(params, "sku_list"))
            self.catalogue.add(item)
            return {"goods_id": int(item.remote_id), "goods_commit_id": int(self.catalogue.new_id())}

    def goods_update(self, params: dict) -> dict:
        with self.catalogue.lock:
            item = self._item(params.get("goods_id"))
            item.title = params.get("goods_name") or item.title
            item.payload = dict(params)
            item.versions += 1
            self._put_skus(item, _json_param(params, "sku_list"))
            return {"is_success": True, "goods_id": int(item.remote_id)}

    def sale_status(self, params: dict) -> dict:
        with self.catalogue.lock:
            item = self._item(params.get("goods_id"))
            if params.get("is_onsale") not in ("0", "1"):
                raise SimError(CODE_INVALID, "is_onsale 只能是 0 或 1")
            item.state = params["is_onsale"]
            return {"is_success": True}

    def quantity_update(self, params: dict) -> dict:
        with self.catalogue.lock:
            item = self._item(params.get("goods_id"))
            outer = params.get("outer_id") or self.sku_index.get(params.get("sku_id", ""), ("", ""))[1]
            sku = item.skus.get(outer)
            if sku is None:
                raise SimError(CODE_INVALID, f"规格 {outer} 不存在")
            quantity = int(params.get("quantity") or 0)
            new = quantity if params.get("update_type", "1") == "1" else sku.quantity + quantity
            if new < 0:
                raise SimError(CODE_INVALID, "库存不能为负")
            sku.quantity = new
            return {"is_success": True}

    def sku_price_update(self, params: dict) -> dict:
        with self.catalogue.lock:
            item = self._item(params.get("goods_id"))
            entries = _json_param(params, "sku_price_list")
            if not isinstance(entries, list) or not entries:
                raise SimError(CODE_INVALID, "sku_price_list 不能为空")
            for entry in entries:
                owner, outer = self.sku_index.get(str(entry.get("sku_id")), ("", ""))
                group, single = int(entry.get("group_price") or 0), int(entry.get("single_price") or 0)
                if owner != item.remote_id:
                    raise SimError(CODE_INVALID, f"规格 {entry.get('sku_id')} 不属于商品 {item.remote_id}")
                if group <= 0 or single <= group:
                    raise SimError(CODE_INVALID, "单买价必须高于拼单价")
                item.skus[outer].price = group
                item.skus[outer].attrs["single_price"] = single
            return {"is_success": True}

    def goods_list(self, params: dict) -> dict:
        outer_goods, outer_sku = params.get("outer_goods_id"), params.get("outer_id")
        found = []
        with self.catalogue.lock:
            for item in sorted(self.catalogue.items.values(), key=lambda i: int(i.remote_id)):
                if outer_goods is not None and item.outer_id != outer_goods:
                    continue
                if outer_sku is not None and outer_sku not in item.skus:
                    continue
                found.append({"goods_id": int(item.remote_id), "goods_name": item.title, "is_onsale": int(item.state),
                              "outer_goods_id": item.outer_id,
                              "goods_quantity": sum(s.quantity for s in item.skus.values()),
                              "sku_list": [{"sku_id": int(s.remote_id), "outer_id": s.outer_id, "sku_quantity": s.quantity,
                                            "is_sku_onsale": 1, "group_price": s.price} for s in item.skus.values()]})
        size = int(params.get("page_size") or 20)
        return {"total_count": len(found), "goods_list": found[:size]}

    # -- the pavilion page ---------------------------------------------------------------------
    def shelf(self) -> list[ShelfItem]:
        with self.catalogue.lock:
            items = sorted(self.catalogue.items.values(), key=lambda i: int(i.remote_id))
            shelf = []
            for item in items:
                try:
                    images = json.loads(item.payload.get("carousel_gallery") or "[]")
                except ValueError:
                    images = []
                shelf.append(ShelfItem(
                    remote_id=item.remote_id, outer_id=item.outer_id, title=item.title,
                    state="在售" if item.state == "1" else "已下架", on_sale=item.state == "1",
                    image=str(images[0]) if isinstance(images, list) and images else "",
                    skus=tuple(ShelfSku(outer_id=sku.outer_id, remote_id=sku.remote_id,
                                        price=Decimal(sku.price) / 100, stock=sku.quantity)
                               for sku in item.skus.values()),
                ))
            return shelf


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="拼多多开放平台模拟网关（本机）")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--client-id", default="sim-app")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument("--access-token", default="sim-token")
    parser.add_argument("--refresh-token", default="sim-refresh")
    args = parser.parse_args(argv)
    simulator = PddSimulator(app_key=args.client_id, app_secret=args.client_secret, access_token=args.access_token,
                             refresh_token=args.refresh_token).start(args.port)
    print(f"Pinduoduo simulator listening on {simulator.url}{GATEWAY_PATH}; pavilion page {simulator.url}/",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
