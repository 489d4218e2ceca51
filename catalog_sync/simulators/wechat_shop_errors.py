"""WeChat's native error bodies (always inside an HTTP 200), for the simulator."""
from __future__ import annotations

import itertools
import threading

MESSAGES = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40097: "invalid args",
    40125: "invalid appsecret",
    40066: "invalid url",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    47001: "data format error",
    48001: "api unauthorized",
    1002001: "提审次数超过限制",
    10020013: "sku 数量需在 1 到 500 之间",
    10020020: "商品标题不能为空",
    10020021: "商品标题过长",
    10020022: "商品主图不能为空",
    10020038: "上架商品缺少 sku",
    10020039: "sku 售卖价格不能为 0",
    10020052: "商品不存在",
    10020056: "sku 不存在",
    10020067: "商品审核中，不可重复提交审核",
    10020209: "库存不足",
    10021001: "订单不存在",
}

_rids = itertools.count(1)
_lock = threading.Lock()


def error(code: int, message: str | None = None) -> dict:
    with _lock:
        rid = f"{next(_rids):08x}-sim"
    return {"errcode": code, "errmsg": f"{message or MESSAGES.get(code, 'error')} rid: {rid}"}


def ok(**fields) -> dict:
    return {"errcode": 0, "errmsg": "ok", **fields}
