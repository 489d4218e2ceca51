"""A loopback JD JOS gateway (``/routerjson``) for the tests and the demo.

It checks what JD checks (platforms.md, "JD JOS"): the MD5 sign over the system
params and the byte-exact ``360buy_param_json`` (its own implementation, not the
connector's), the ``yyyy-MM-dd HH:mm:ss`` timestamp within ±6 min ⚠️, the access
token.  Errors come back inside HTTP 200 as ``{"error_response": {code, zh_desc,
en_desc}}`` (2 App Call Limited with "This ban will last for N more seconds",
8 timestamp, 12 sign, 19 token ❓); a transient failure is an HTTP 503.

Faults (``self.faults.draw(method)``): "fail" → 503, "throttle" → code 2 with a
short ban, "quota" → code 2 with a day-long ban, "auth" → code 19, "invalid" →
a business refusal, "timeout" → the write is committed, the answer held for
``faults.timeout_seconds``.  Anything else ("ok") means no fault, so a test can
arm ``("ok", "ok", "fail")`` to fail the third call only.

Ids are emitted as JSON numbers (as JD does) so a client that parses them as
floats would break on ids past 2**53; ``first_id`` sets where they start.

For people, ``GET /`` is the pavilion page and ``POST /_sim/orders`` places a paid
order (``pavilion.py``); ``python -m catalog_sync.simulators.jd`` serves the demo's
pavilion on ``DEMO_PORT`` with the demo credentials (``--state`` keeps it on disk,
``jd_state.py``)."""
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

from . import jd_state
from .base import CHINA, Catalogue, Request, Response, SimItem, SimSku, Simulator, TokenBucket
from .jd_orders import JdOrders
from .pavilion import Pavilion, ShelfItem, ShelfSku

GATEWAY_PATH = "/routerjson"
TOKEN_PATH = "/oauth2/refresh_token"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
SKEW = timedelta(minutes=6)
ON_SALE, OFF_SALE = 8, 2

CODE_THROTTLED, CODE_TIMESTAMP, CODE_SIGNATURE, CODE_TOKEN = "2", "8", "12", "19"
CODE_INVALID = "10100001"       # a business refusal (the simulator's choice)
CODE_NOT_FOUND = "10100015"     # no such ware / sku (the simulator's choice)

# The demo's pavilion (shop/core/demo/channels.py points the channel jd-pavilion here).
DEMO_HOST, DEMO_PORT = "127.0.0.1", 8801
DEMO_APP_KEY, DEMO_APP_SECRET = "sim-app", "sim-secret"
DEMO_ACCESS_TOKEN, DEMO_REFRESH_TOKEN = "sim-token", "sim-refresh"
DEMO_TITLE = "京东特产馆（本地模拟）"

WARE_STATES = {str(ON_SALE): "在售", str(OFF_SALE): "已下架"}
ORDER_STATES = {"WAIT_SELLER_STOCK_OUT": "等待出库（已付款）", "WAIT_GOODS_RECEIVE_CONFIRM": "等待确认收货",
                "FINISHED_L": "完成", "TRADE_CANCELED": "已取消", "LOCKED": "已锁定"}


class SimError(Exception):
    def __init__(self, code: str, zh: str, en: str = ""):
        super().__init__(zh)
        self.code, self.zh, self.en = code, zh, en or zh


def throttled(seconds: float) -> SimError:
    return SimError(CODE_THROTTLED, "调用次数超限",
                    f"App Call Limited, This ban will last for {int(math.ceil(seconds))} more seconds")


def expected_sign(params: dict[str, str], secret: str) -> str:
    text = secret + "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign" and params[k] != "") + secret
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


class JdSimulator(JdOrders, Pavilion, Simulator):
    name = "jd-simulator"
    pavilion_title = DEMO_TITLE
    platform_name = "京东（JOS）"
    order_states = ORDER_STATES

    def __init__(self, *, refresh_token: str = DEMO_REFRESH_TOKEN, first_id: int = 10_000_000_000,
                 fault_ban_seconds: int = 7, quota_ban_seconds: int = 86_400, state_path: str | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.state_path = state_path
        self.catalogue = Catalogue(first_id=first_id)
        self.refresh_token = refresh_token
        self.fault_ban_seconds, self.quota_ban_seconds = fault_ban_seconds, quota_ban_seconds
        self.token_expired = False
        self.token_refreshes = 0
        self.limits: dict[str, TokenBucket] = {}
        self.sku_index: dict[str, tuple[str, str]] = {}     # sku id → (ware id, outer sku id)
        self._serial = itertools.count(1)
        self._token_lock = threading.Lock()
        self.init_orders()
        self.methods: dict[str, Callable[[dict], dict]] = {
            "jingdong.ware.write.add": self.ware_add,
            "jingdong.ware.write.updateWare": self.ware_update,
            "jingdong.ware.write.upOrDown": self.ware_up_or_down,
            "jingdong.stock.write.updateSkuStock": self.sku_stock,
            "jingdong.price.write.updateSkuJdPrice": self.sku_price,
            "jingdong.sku.read.searchSkuList": self.sku_search,
            "jingdong.pop.order.enSearch": self.order_search,
            "jingdong.pop.order.get": self.order_get,
        }

    # -- switches for tests ---------------------------------------------------------------
    def set_limit(self, method: str, rate: int, per: float) -> None:
        self.limits[method] = TokenBucket(rate, per)

    def expire_token(self) -> None:
        self.token_expired = True

    # -- HTTP -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        response = self.pavilion_handle(request) or self.gateway(request)
        if self.state_path and request.method == "POST":
            jd_state.state_save(self, self.state_path)
        return response

    def gateway(self, request: Request) -> Response:
        if request.path == TOKEN_PATH:
            return self.token_refresh(request.query)
        if request.path != GATEWAY_PATH:
            return Response({"error_response": {"code": "404", "zh_desc": "接口不存在"}}, status=404)
        params = request.form()
        method = params.get("method", "")
        try:
            business = json.loads(params.get("360buy_param_json") or "{}", parse_float=Decimal)
        except ValueError:
            business = None
        self.record(method, business if isinstance(business, dict) else {})
        fault = None
        try:
            self.verify(params)
            if not isinstance(business, dict):
                raise SimError(CODE_INVALID, "360buy_param_json 不是合法的 JSON 对象")
            fault = self.faults.draw(method)
            if fault == "fail":
                return Response({"error_response": {"code": "503", "zh_desc": "服务暂不可用",
                                                    "en_desc": "Service Unavailable"}}, status=503)
            if fault == "throttle":
                raise throttled(self.fault_ban_seconds)
            if fault == "quota":
                raise throttled(self.quota_ban_seconds)
            if fault == "auth":
                raise SimError(CODE_TOKEN, "access_token 已过期", "Invalid access_token")
            if fault == "invalid":
                raise SimError(CODE_INVALID, "商品信息不合法", "Invalid ware")
            bucket = self.limits.get(method)
            wait = bucket.take() if bucket else 0.0
            if wait > 0:
                raise throttled(wait)
            handler = self.methods.get(method)
            if handler is None:
                raise SimError(CODE_INVALID, f"不支持的方法 {method}", "Invalid method")
            result = handler(business)
        except SimError as exc:
            return Response({"error_response": {"code": exc.code, "zh_desc": exc.zh, "en_desc": exc.en}})
        key = method.replace(".", "_") + "_responce"
        delay = self.faults.timeout_seconds if fault == "timeout" else 0.0
        return Response({key: {"code": "0", **result}}, delay=delay)

    def verify(self, params: dict[str, str]) -> None:
        if params.get("app_key") != self.app_key or params.get("sign") != expected_sign(params, self.app_secret):
            raise SimError(CODE_SIGNATURE, "签名无效", "Invalid signature")
        try:
            sent = datetime.strptime(params.get("timestamp", ""), TIMESTAMP_FORMAT).replace(tzinfo=CHINA)
        except ValueError:
            raise SimError(CODE_TIMESTAMP, "时间戳格式错误", "Invalid timestamp") from None
        if abs(sent - self.now()) > SKEW:
            raise SimError(CODE_TIMESTAMP, "时间戳与服务器时间相差超过6分钟", "Invalid timestamp")
        if params.get("access_token") != self.access_token or self.token_expired:
            raise SimError(CODE_TOKEN, "access_token 无效或已过期", "Invalid access_token")

    def token_refresh(self, query: dict[str, str]) -> Response:
        self.record("oauth2.refresh_token", {})
        if (query.get("app_key") != self.app_key or query.get("app_secret") != self.app_secret
                or query.get("grant_type") != "refresh_token" or query.get("refresh_token") != self.refresh_token):
            return Response({"code": "401", "msg": "refresh_token 无效"}, status=401)
        with self._token_lock:
            serial = next(self._serial)
            self.access_token = f"jd-token-{serial}"
            self.refresh_token = f"jd-refresh-{serial}"
            self.token_expired = False
            self.token_refreshes += 1
            return Response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                             "expires_in": 86_400, "token_type": "bearer", "code": 0})

    # -- wares --------------------------------------------------------------------------------
    def _item(self, ware_id: Any) -> SimItem:
        item = self.catalogue.get(str(ware_id))
        if item is None:
            raise SimError(CODE_NOT_FOUND, f"商品 {ware_id} 不存在", "Ware not found")
        return item

    def _put_skus(self, item: SimItem, skus: list[dict]) -> None:
        for sku in skus:
            outer = str(sku.get("outerId") or "")
            price = Decimal(str(sku.get("jdPrice")))
            if not outer or price <= 0:
                raise SimError(CODE_INVALID, "SKU 缺少外部编码或价格不合法", "Invalid sku")
            attrs = {a.get("attrName"): a.get("attrValue") for a in sku.get("saleAttrs") or []}
            if outer in item.skus:
                known = item.skus[outer]
                known.price, known.quantity, known.attrs = price, int(sku.get("stockNum") or 0), attrs
            else:
                sku_id = self.catalogue.new_id()
                item.skus[outer] = SimSku(sku_id, outer, price, int(sku.get("stockNum") or 0), attrs)
                self.sku_index[sku_id] = (item.remote_id, outer)

    def _ware_out(self, item: SimItem) -> dict:
        return {"wareId": int(item.remote_id), "itemNum": item.outer_id, "title": item.title,
                "wareStatus": int(item.state),
                "skus": [{"skuId": int(s.remote_id), "outerId": s.outer_id} for s in item.skus.values()]}

    def ware_add(self, business: dict) -> dict:
        ware = business.get("ware") or {}
        if not ware.get("title") or not ware.get("itemNum"):
            raise SimError(CODE_INVALID, "商品标题和商家货号必填", "title and itemNum are required")
        with self.catalogue.lock:
            item = SimItem(remote_id=self.catalogue.new_id(), outer_id=str(ware["itemNum"]), title=ware["title"],
                           state=str(ON_SALE), payload=business)
            self._put_skus(item, business.get("skus") or [])
            self.catalogue.add(item)
            return {"ware": self._ware_out(item)}

    def ware_update(self, business: dict) -> dict:
        ware = business.get("ware") or {}
        with self.catalogue.lock:
            item = self._item(ware.get("wareId"))
            item.title = ware.get("title") or item.title
            item.payload = business
            item.versions += 1
            self._put_skus(item, business.get("skus") or [])
            return {"ware": self._ware_out(item)}

    def ware_up_or_down(self, business: dict) -> dict:
        with self.catalogue.lock:
            item = self._item(business.get("wareId"))
            op = str(business.get("opType"))
            if op not in ("1", "2"):
                raise SimError(CODE_INVALID, "opType 只能是 1（上架）或 2（下架）", "Invalid opType")
            item.state = str(ON_SALE if op == "1" else OFF_SALE)
            return {"success": True}

    def _sku(self, sku_id: Any) -> SimSku:
        ware_id, outer = self.sku_index.get(str(sku_id), (None, None))
        item = self.catalogue.get(ware_id) if ware_id else None
        if item is None:
            raise SimError(CODE_NOT_FOUND, f"SKU {sku_id} 不存在", "Sku not found")
        return item.skus[outer]

    def sku_stock(self, business: dict) -> dict:
        with self.catalogue.lock:
            quantity = int(business.get("stockNum", -1))
            if quantity < 0:
                raise SimError(CODE_INVALID, "库存不能为负", "Invalid stockNum")
            self._sku(business.get("skuId")).quantity = quantity
            return {"success": True}

    def sku_price(self, business: dict) -> dict:
        with self.catalogue.lock:
            price = Decimal(str(business.get("jdPrice")))
            if price <= 0 or price != price.quantize(Decimal("0.01")):
                raise SimError(CODE_INVALID, "京东价不合法", "Invalid jdPrice")
            self._sku(business.get("skuId")).price = price
            return {"success": True}

    def sku_search(self, business: dict) -> dict:
        item_num, out_id = business.get("itemNum"), business.get("outId")
        rows = []
        with self.catalogue.lock:
            for item in sorted(self.catalogue.items.values(), key=lambda i: int(i.remote_id)):
                if item_num is not None and item.outer_id != item_num:
                    continue
                for sku in item.skus.values():
                    if out_id is not None and sku.outer_id != out_id:
                        continue
                    rows.append({"skuId": int(sku.remote_id), "wareId": int(item.remote_id), "outerId": sku.outer_id,
                                 "itemNum": item.outer_id, "wareTitle": item.title, "wareStatus": int(item.state),
                                 "jdPrice": str(sku.price), "stockNum": sku.quantity})
        size = int(business.get("page_size") or 20)
        return {"page": {"pageNo": 1, "pageSize": size, "totalItem": len(rows), "data": rows[:size]}}


    # -- the pavilion page ---------------------------------------------------------------------
    def shelf(self) -> list[ShelfItem]:
        with self.catalogue.lock:
            items = sorted(self.catalogue.items.values(), key=lambda i: int(i.remote_id))
            return [ShelfItem(
                remote_id=item.remote_id, outer_id=item.outer_id, title=item.title,
                state=WARE_STATES.get(item.state, item.state), on_sale=item.state == str(ON_SALE),
                image=next(iter((item.payload.get("ware") or {}).get("images") or []), ""),
                skus=tuple(ShelfSku(outer_id=sku.outer_id, remote_id=sku.remote_id, price=Decimal(sku.price),
                                    stock=sku.quantity, spec=" ".join(str(v) for v in sku.attrs.values() if v))
                           for sku in item.skus.values()),
            ) for item in items]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="京东 JOS 模拟网关（本机），首页是模拟店铺页面")
    parser.add_argument("--port", type=int, default=DEMO_PORT)
    parser.add_argument("--app-key", default=DEMO_APP_KEY)
    parser.add_argument("--app-secret", default=DEMO_APP_SECRET)
    parser.add_argument("--access-token", default=DEMO_ACCESS_TOKEN)
    parser.add_argument("--refresh-token", default=DEMO_REFRESH_TOKEN)
    parser.add_argument("--title", default=DEMO_TITLE, help="店铺页面的标题")
    parser.add_argument("--state", default=None, help="把商品和订单保存在这个 JSON 文件里（重启后继续）")
    args = parser.parse_args(argv)
    simulator = JdSimulator(app_key=args.app_key, app_secret=args.app_secret, access_token=args.access_token,
                            refresh_token=args.refresh_token, state_path=args.state)
    simulator.pavilion_title = args.title
    if args.state and jd_state.state_load(simulator, args.state):
        print(f"JD simulator: {len(simulator.catalogue.items)} wares and {len(simulator.orders.orders)} orders "
              f"read from {args.state}", flush=True)
    simulator.start(args.port)
    print(f"JD simulator listening on {simulator.url}{GATEWAY_PATH}; pavilion page {simulator.url}/", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
