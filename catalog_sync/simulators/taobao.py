"""A loopback Taobao/Tmall TOP gateway (``/router/rest``) and a stand-in for the
OAuth refresh (``POST /token`` with grant_type=refresh_token; the real one lives at
oauth.taobao.com/token — this is deliberately minimal).

It checks what TOP checks, in TOP's words: the app key (29), the timestamp within
±10 minutes (31), the signature (25, md5 or hmac, file params excluded), the
session (27); then per-method token buckets and a daily app quota (7 with
``accesscontrol.*`` sub codes and "This ban will last for N more seconds"), then
the injected faults.  Errors come back as ``error_response`` inside HTTP 200.

    python -m catalog_sync.simulators.taobao --port 8611
"""
from __future__ import annotations

import argparse
import email.parser
import email.policy
import hashlib
import hmac
import math
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from .base import CHINA, Catalogue, Faults, Request, Response, Simulator, TokenBucket
from .taobao_orders import TIME_FORMAT, TopError, TradesMixin
from .taobao_products import ProductsMixin

GATEWAY_PATH = "/router/rest"
TOKEN_PATH = "/token"
FIRST_ITEM_ID = 9_007_199_254_741_001      # above 2**53: a float would round it
SKEW = timedelta(minutes=10)               # ⚠️ platforms.md: ±10 min
API_BAN = "accesscontrol.limited-by-api-access-count"
APP_BAN = "accesscontrol.limited-by-app-access-count"


class TaobaoSimulator(ProductsMixin, TradesMixin, Simulator):
    name = "taobao"

    def __init__(self, *, refresh_token: str = "sim-refresh", first_item_id: int = FIRST_ITEM_ID,
                 skip_empty: bool = False, faults: Faults | None = None, **kwargs):
        super().__init__(faults=faults, **kwargs)
        self.catalogue = Catalogue(first_id=first_item_id)
        self.refresh_token = refresh_token
        self.skip_empty = skip_empty           # True: sign as the Java reference (empty values left out)
        self.skew = SKEW
        self.token_valid = True
        self.token_refreshes = 0
        self._token_lock = threading.Lock()
        self.limits: dict[str, TokenBucket] = {}
        self.app_calls_left: int | None = None  # the app's daily quota; None: unlimited
        self.throttle_ban_seconds = 7           # the ban the "throttle" fault announces
        self.bans: list[int] = []               # every N announced in "This ban will last for N more seconds"
        self.errors: list[dict] = []            # every error_response sent
        self._quota_lock = threading.Lock()
        self._init_products()
        self._init_trades()
        self.methods = {
            "taobao.item.add": self.item_add,
            "taobao.item.update": self.item_update,
            "taobao.item.update.delisting": self.item_delisting,
            "taobao.items.custom.get": self.items_custom_get,
            "taobao.skus.custom.get": self.skus_custom_get,
            "taobao.item.quantity.update": self.item_quantity_update,
            "taobao.item.sku.price.update": self.item_sku_price_update,
            "taobao.item.img.upload": self.item_img_upload,
            "taobao.trades.sold.increment.get": self.trades_sold_increment_get,
            "taobao.trade.fullinfo.get": self.trade_fullinfo_get,
        }

    # -- switches --------------------------------------------------------------
    def limit(self, method: str, rate: int, per: float) -> None:
        self.limits[method] = TokenBucket(rate, per)

    def expire_token(self) -> None:
        """The current session key stops working until the client refreshes it."""
        self.token_valid = False

    # -- HTTP --------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path == TOKEN_PATH:
            return self._token(request)
        if request.path != GATEWAY_PATH:
            return Response({"error": "not found"}, status=404)
        params, files = read_params(request)
        method = params.get("method", "")
        self.record(method, params)
        try:
            self._check(params)
            handler = self.methods.get(method)
            if handler is None:
                raise TopError(22, "Invalid Method", None, f"不存在的方法名 {method}")
            self._throttle(method)
            fault = self.faults.draw(method)
            if fault == "fail":
                raise TopError(10, "Service Currently Unavailable")
            if fault == "throttle":
                raise self._ban(API_BAN, self.throttle_ban_seconds)
            if fault == "quota":
                raise self._ban(APP_BAN, self._seconds_to_midnight())
            if fault == "auth":
                raise TopError(27, "Invalid session", "invalid-sessionkey", "SessionKey非法")
            body = handler(params, files)
        except TopError as err:
            return self.error(err)
        response = Response({method.removeprefix("taobao.").replace(".", "_") + "_response": body})
        if fault == "timeout":
            response.delay = self.faults.timeout_seconds      # committed above; the answer comes too late
        return response

    def error(self, err: TopError) -> Response:
        body = {"code": err.code, "msg": err.msg, "request_id": f"sim{len(self.errors) + 1}"}
        if err.sub_code:
            body["sub_code"] = err.sub_code
        if err.sub_msg:
            body["sub_msg"] = err.sub_msg
        with self.calls_lock:
            self.errors.append(body)
        return Response({"error_response": body})

    def _check(self, params: dict) -> None:
        if params.get("app_key") != self.app_key:
            raise TopError(29, "Invalid app Key")
        moment = parse_timestamp(params.get("timestamp", ""))
        if moment is None or abs(moment - self.now()) > self.skew:
            raise TopError(31, "Invalid timestamp", None, "时间戳与服务器时间相差超过 10 分钟")
        sign_method = params.get("sign_method", "md5")
        if sign_method not in ("md5", "hmac"):
            raise TopError(25, "Invalid signature", None, f"不支持的签名方法 {sign_method}")
        if not hmac.compare_digest(params.get("sign", ""), self.sign(params, sign_method)):
            raise TopError(25, "Invalid signature")
        if params.get("session") != self.access_token or not self.token_valid:
            raise TopError(27, "Invalid session", "invalid-sessionkey", "SessionKey非法")

    def sign(self, params: dict, sign_method: str) -> str:
        """The simulator's own implementation (independent of the connector's)."""
        pairs = sorted((k, v) for k, v in params.items() if k != "sign" and not (self.skip_empty and v == ""))
        text = "".join(k + v for k, v in pairs).encode("utf-8")
        secret = self.app_secret.encode("utf-8")
        if sign_method == "hmac":
            return hmac.new(secret, text, hashlib.md5).hexdigest().upper()
        return hashlib.md5(secret + text + secret).hexdigest().upper()

    def _throttle(self, method: str) -> None:
        with self._quota_lock:
            if self.app_calls_left is not None:
                if self.app_calls_left <= 0:
                    raise self._ban(APP_BAN, self._seconds_to_midnight())
                self.app_calls_left -= 1
        bucket = self.limits.get(method)
        wait = bucket.take() if bucket else 0.0
        if wait > 0:
            raise self._ban(API_BAN, math.ceil(wait))

    def _ban(self, sub_code: str, seconds: int) -> TopError:
        with self.calls_lock:
            self.bans.append(seconds)
        return TopError(7, "App Call Limited", sub_code, f"This ban will last for {seconds} more seconds")

    def _seconds_to_midnight(self) -> int:
        now = self.now()
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return math.ceil((midnight - now).total_seconds())

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        if (form.get("grant_type") != "refresh_token" or form.get("client_id") != self.app_key
                or form.get("client_secret") != self.app_secret or form.get("refresh_token") != self.refresh_token):
            return Response({"error": "invalid_grant", "error_description": "refresh_token 无效"}, status=400)
        with self._token_lock:
            self.token_refreshes += 1
            self.access_token = f"sim-token-{self.token_refreshes}"
            self.token_valid = True
        return Response({"access_token": self.access_token, "token_type": "Bearer", "expires_in": 86400,
                         "refresh_token": self.refresh_token, "re_expires_in": 2592000,
                         "taobao_user_id": "2200000000001"})


def read_params(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """System params from the query, business params from the body (urlencoded or
    multipart; a multipart part with a filename is a file param, never signed)."""
    params = dict(request.query)
    files: dict[str, bytes] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + request.body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = data
            else:
                params[name] = data.decode("utf-8")
    elif request.body:
        params.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    return params, files


def parse_timestamp(text: str) -> datetime | None:
    """The doc's 'yyyy-MM-dd HH:mm:ss' (GMT+8) or, as the Python SDK sends, epoch ms."""
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, CHINA)
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA)
    except (ValueError, OverflowError):
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="淘宝 TOP 模拟网关（仅本机回环）")
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--app-key", default="sim-app")
    parser.add_argument("--app-secret", default="sim-secret")
    parser.add_argument("--access-token", default="sim-token")
    parser.add_argument("--refresh-token", default="sim-refresh")
    args = parser.parse_args(argv)
    simulator = TaobaoSimulator(app_key=args.app_key, app_secret=args.app_secret,
                                access_token=args.access_token, refresh_token=args.refresh_token).start(args.port)
    print(f"taobao simulator on {simulator.url}{GATEWAY_PATH}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
