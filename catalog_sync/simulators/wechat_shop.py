"""A loopback WeChat Shop (微信小店) speaking the platform's wire format.

- ``POST /cgi-bin/stable_token`` issues the access token; every other call needs
  ``?access_token=`` of the current one, else errcode 40001.  ``expire_token()``
  makes the current one stale (the next stable_token call issues a new one).
- JSON bodies in and out; errors are ``{"errcode", "errmsg"}`` inside HTTP 200.
- Products (``wechat_shop_products``): drafts, audit (``audit(product_id, approve)``
  or ``auto_approve_after`` seconds), the shared add+update quota, stock and
  audit-free price updates.  Orders (``wechat_shop_orders``): 7-day ranges,
  ``next_key``/``has_more`` paging, ``place_order``/``modify_order``.
- Faults, drawn per path (``faults.arm("/channels/ec/product/add", "ok", "fail")``):
  "fail" → -1 system error, "throttle" → 45011, "quota" → 45009, "audit_quota" →
  1002001, "auth" → the token expires and 40001, "timeout" → the write is done,
  the answer held ``faults.timeout_seconds``; "ok" → no fault for that call.
- ``minute_limits={path: calls per minute}`` token buckets answer 45011 beyond.
- ``push_message(event, ...)`` builds a signed plaintext push message (query, body).

Run for the demo: ``python -m catalog_sync.simulators.wechat_shop --port 8610``."""
from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from urllib.parse import urlencode

from .base import Catalogue, Faults, Request, Response, Simulator, TokenBucket
from .wechat_shop_errors import error
from .wechat_shop_orders import OrderDesk
from .wechat_shop_products import PRODUCT_ID_START, ProductDesk

TOKEN_PATH = "/cgi-bin/stable_token"
PRODUCT = "/channels/ec/product/"
PUSH_TOKEN = "xiangpin-push"
PRODUCT_EVENT_KEYS = {"product_spu_audit": "ProductSpuAudit", "product_spu_listing": "ProductSpuListing",
                      "product_spu_update": "ProductSpuUpdate"}


class WechatShopSimulator(Simulator):
    name = "wechat_shop"

    def __init__(self, *, app_key: str = "wx-sim-appid", app_secret: str = "wx-sim-secret",
                 access_token: str = "wx-sim-token-1", push_token: str = PUSH_TOKEN, faults: Faults | None = None,
                 minute_limits: dict[str, int] | None = None, hourly_cap: int = 200, daily_cap: int = 1000,
                 auto_approve_after: float | None = None):
        super().__init__(app_key=app_key, app_secret=app_secret, access_token=access_token, faults=faults)
        self.catalogue = Catalogue(first_id=PRODUCT_ID_START)
        self.push_token = push_token
        self.token_valid = True
        self.tokens_issued = 1
        self.token_lock = threading.Lock()
        self.buckets = {path: TokenBucket(rate, 60.0) for path, rate in (minute_limits or {}).items()}
        self.products = ProductDesk(self, hourly_cap=hourly_cap, daily_cap=daily_cap,
                                    auto_approve_after=auto_approve_after)
        self.order_desk = OrderDesk(self)
        self.routes = {
            PRODUCT + "add": self.products.add,
            PRODUCT + "update": self.products.update,
            PRODUCT + "listing": self.products.listing,
            PRODUCT + "delisting": self.products.delisting,
            PRODUCT + "get": self.products.get,
            PRODUCT + "list/get": self.products.list,
            PRODUCT + "stock/update": self.products.stock_update,
            PRODUCT + "auditfree": self.products.audit_free,
            "/channels/ec/order/list/get": self.order_desk.list,
            "/channels/ec/order/get": self.order_desk.get,
        }

    # -- switches and helpers for tests ---------------------------------------------------
    def expire_token(self) -> None:
        with self.token_lock:
            self.token_valid = False

    @property
    def audits(self) -> int:
        return self.products.audits

    def audit(self, product_id: str, approve: bool = True, reason: str = ""):
        return self.products.audit(product_id, approve=approve, reason=reason)

    def place_order(self, outer_sku_id: str, quantity: int = 1, **kwargs):
        return self.order_desk.place(outer_sku_id, quantity, **kwargs)

    def modify_order(self, order_id: str, **kwargs):
        return self.order_desk.modify(order_id, **kwargs)

    def set_between_pages(self, callback) -> None:
        self.order_desk.between_pages = callback

    def push_message(self, event: str, *, order_id: str | None = None, product_id: str | None = None,
                     status: int | None = None, reason: str = "", create_time: int | None = None,
                     timestamp: str | None = None, nonce: str = "") -> tuple[dict[str, str], bytes]:
        """A plaintext (明文模式) JSON push message and its signed query string."""
        created = int(time.time()) if create_time is None else create_time
        message: dict = {"ToUserName": "gh_sim_xiangpin", "FromUserName": "oSimPlatform", "CreateTime": created,
                         "MsgType": "event", "Event": event}
        if order_id is not None:
            info: dict = {"order_id": int(order_id)}
            if event.endswith("_pay"):
                info["pay_time"] = created
            if event.endswith("_cancel"):
                info["cancel_type"] = 1
            message["order_info"] = info
        if event in PRODUCT_EVENT_KEYS:
            message[PRODUCT_EVENT_KEYS[event]] = {"product_id": int(product_id or 0), "status": status,
                                                  "reason": reason}
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        timestamp = str(created) if timestamp is None else timestamp
        joined = "".join(sorted([self.push_token, timestamp, nonce]))
        query = {"signature": hashlib.sha1(joined.encode("utf-8")).hexdigest(), "timestamp": timestamp,
                 "nonce": nonce}
        return query, body

    def deliver(self, url: str, event: str, **kwargs) -> tuple[int, str]:
        """POST a push message to ``url`` (our push endpoint), as WeChat would."""
        query, body = self.push_message(event, **kwargs)
        request = urllib.request.Request(f"{url}?{urlencode(query)}", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    # -- HTTP -----------------------------------------------------------------------------
    def start(self, port: int = 0) -> "WechatShopSimulator":
        super().start(port)
        # Headers and body go out in two writes: without TCP_NODELAY every keep-alive
        # request waits out the client's delayed ACK (~40 ms).
        self._server.RequestHandlerClass.disable_nagle_algorithm = True
        return self

    def _token(self, params: dict) -> Response:
        if params.get("grant_type") != "client_credential":
            return Response(error(40002))
        if params.get("appid") != self.app_key:
            return Response(error(40013))
        if params.get("secret") != self.app_secret:
            return Response(error(40125))
        with self.token_lock:
            if params.get("force_refresh") or not self.token_valid:
                self.tokens_issued += 1
                self.access_token = f"wx-sim-token-{self.tokens_issued}"
                self.token_valid = True
            return Response({"access_token": self.access_token, "expires_in": 7200})

    def handle(self, request: Request) -> Response:
        try:
            params = json.loads(request.body.decode("utf-8") or "{}")
        except ValueError:
            params = None
        path = request.path
        self.record(path, {k: v for k, v in (params or {}).items() if k != "secret"})
        if not isinstance(params, dict):
            return Response(error(47001))
        fault = self.faults.draw(path)
        if fault == "fail":
            return Response(error(-1))
        if path == TOKEN_PATH:
            return self._token(params)
        with self.token_lock:
            authorised = self.token_valid and request.query.get("access_token") == self.access_token
        if not authorised:
            return Response(error(40001))
        if fault == "auth":
            self.expire_token()
            return Response(error(40001))
        if fault in ("throttle", "quota", "audit_quota"):
            return Response(error({"throttle": 45011, "quota": 45009, "audit_quota": 1002001}[fault]))
        bucket = self.buckets.get(path)
        if bucket is not None and bucket.take() > 0:
            return Response(error(45011))
        route = self.routes.get(path)
        if route is None:
            return Response(error(40066))
        self.products.auto_audit()
        body = route(params)
        return Response(body, delay=self.faults.timeout_seconds if fault == "timeout" else 0.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="微信小店模拟器 (loopback)")
    parser.add_argument("--port", type=int, default=8610)
    parser.add_argument("--auto-approve", type=float, default=5.0,
                        help="seconds a product stays in review before it is approved")
    args = parser.parse_args(argv)
    sim = WechatShopSimulator(auto_approve_after=args.auto_approve).start(args.port)
    print(f"WeChat Shop simulator on {sim.url} (appid {sim.app_key}, secret {sim.app_secret}, "
          f"push token {sim.push_token}); started {datetime.now():%H:%M:%S}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":
    main()
