"""The Taobao simulator's catalogue methods: item add/update/delisting, look-ups by
outer id (items.custom.get, skus.custom.get, at most 40 ids), full stock updates,
SKU price updates and image upload (a file param, to prove it is not signed)."""
from __future__ import annotations

import itertools
from decimal import Decimal, InvalidOperation

from .base import SimItem, SimSku
from .taobao_orders import TopError, top_time

FIRST_SKU_ID = 9_100_000_000_000_001
TITLE_MAX_WIDTH = 60                       # 30 Chinese characters (two each) or 60 ASCII
LOOKUP_MAX = 40


class ProductsMixin:
    """Mixed into TaobaoSimulator (which provides ``catalogue``, ``images`` and ``now``)."""

    def _init_products(self) -> None:
        self._sku_ids = itertools.count(FIRST_SKU_ID)
        self.images: dict[str, list[bytes]] = {}

    def item_add(self, params: dict, files: dict) -> dict:
        for name in ("title", "price", "num", "type", "stuff_status"):
            if not params.get(name):
                raise TopError(40, "Missing Required Arguments", f"isv.missing-parameter:{name}")
        _check_title(params["title"])
        skus = self._skus(params, {})
        with self.catalogue.lock:
            item = SimItem(remote_id=self.catalogue.new_id(), outer_id=params.get("outer_id", ""),
                           title=params["title"], state=params.get("approve_status", "instock"), skus=skus,
                           payload=dict(params))
            self.catalogue.add(item)
        return {"item": {"num_iid": int(item.remote_id), "created": top_time(self.now())}}

    def item_update(self, params: dict, files: dict) -> dict:
        item = self._item(params)
        if "title" in params:
            _check_title(params["title"])
        with self.catalogue.lock:
            if "sku_outer_ids" in params:
                item.skus = self._skus(params, item.skus)
            item.title = params.get("title", item.title)
            item.state = params.get("approve_status", item.state)
            item.payload.update(params)
            item.versions += 1
        return {"item": {"num_iid": int(item.remote_id), "modified": top_time(self.now())}}

    def item_delisting(self, params: dict, files: dict) -> dict:
        item = self._item(params)
        item.state = "instock"
        return {"item": {"num_iid": int(item.remote_id), "modified": top_time(self.now())}}

    def items_custom_get(self, params: dict, files: dict) -> dict:
        wanted = _outer_ids(params)
        with self.catalogue.lock:
            found = [item for item in self.catalogue.items.values() if item.outer_id in wanted]
        return {"items": {"item": [self._item_json(item) for item in found]}} if found else {}

    def skus_custom_get(self, params: dict, files: dict) -> dict:
        wanted = _outer_ids(params)
        with self.catalogue.lock:
            found = [(item, sku) for item in self.catalogue.items.values()
                     for sku in item.skus.values() if sku.outer_id in wanted]
        return {"skus": {"sku": [dict(self._sku_json(sku), num_iid=int(item.remote_id))
                                 for item, sku in found]}} if found else {}

    def item_quantity_update(self, params: dict, files: dict) -> dict:
        item = self._item(params)
        sku = self._sku(item, params.get("outer_id"), params.get("sku_id"))
        quantity = _number(params.get("quantity"), "quantity", int)
        kind = params.get("type", "1")
        if kind not in ("1", "2"):
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:type", "type 只能是 1（全量）或 2（增量）")
        if quantity < 0 and kind == "1":
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:quantity", "库存不能为负")
        with self.catalogue.lock:
            sku.quantity = quantity if kind == "1" else max(0, sku.quantity + quantity)
            num = sum(s.quantity for s in item.skus.values())
        return {"item": {"num_iid": int(item.remote_id), "num": num, "modified": top_time(self.now()),
                         "skus": {"sku": [{"sku_id": int(sku.remote_id), "quantity": sku.quantity}]}}}

    def item_sku_price_update(self, params: dict, files: dict) -> dict:
        item = self._item(params)
        properties = params.get("properties", "")
        sku = next((s for s in item.skus.values() if s.attrs.get("properties") == properties), None)
        if sku is None:
            raise TopError(15, "Remote service error", "isv.sku-not-exist", f"属性 {properties} 对应的 SKU 不存在")
        price = _number(params.get("price"), "price", Decimal)
        with self.catalogue.lock:
            sku.price = price.quantize(Decimal("0.01"))
            item.versions += 1
        return {"sku": {"sku_id": int(sku.remote_id), "modified": top_time(self.now())}}

    def item_img_upload(self, params: dict, files: dict) -> dict:
        item = self._item(params)
        if "image" not in files:
            raise TopError(40, "Missing Required Arguments", "isv.missing-parameter:image")
        self.images.setdefault(item.remote_id, []).append(files["image"])
        number = len(self.images[item.remote_id])
        return {"item_img": {"id": number, "position": number - 1,
                             "url": f"https://img.example.invalid/{item.remote_id}/{number}.jpg"}}

    # -- catalogue helpers -----------------------------------------------------
    def _item(self, params: dict) -> SimItem:
        item = self.catalogue.get(params.get("num_iid", ""))
        if item is None:
            raise TopError(15, "Remote service error", "isv.item-not-exist", f"商品 {params.get('num_iid')} 不存在")
        return item

    @staticmethod
    def _sku(item: SimItem, outer_id: str | None, sku_id: str | None) -> SimSku:
        for sku in item.skus.values():
            if (outer_id and sku.outer_id == outer_id) or (sku_id and sku.remote_id == sku_id):
                return sku
        raise TopError(15, "Remote service error", "isv.sku-not-exist", f"SKU {outer_id or sku_id} 不存在")

    def _skus(self, params: dict, old: dict[str, SimSku]) -> dict[str, SimSku]:
        columns = [params.get(name, "").split(",") for name in
                   ("sku_outer_ids", "sku_properties", "sku_quantities", "sku_prices")]
        if len({len(column) for column in columns}) != 1:
            raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:sku_properties",
                           "sku_properties、sku_quantities、sku_prices、sku_outer_ids 个数不一致")
        skus = {}
        for outer, properties, quantity, price in zip(*columns):
            remote_id = old[outer].remote_id if outer in old else str(next(self._sku_ids))
            skus[outer] = SimSku(remote_id=remote_id, outer_id=outer,
                                 price=_number(price, "sku_prices", Decimal).quantize(Decimal("0.01")),
                                 quantity=_number(quantity, "sku_quantities", int),
                                 attrs={"properties": properties})
        return skus

    def _item_json(self, item: SimItem) -> dict:
        prices = [sku.price for sku in item.skus.values()] or [Decimal("0")]
        return {"num_iid": int(item.remote_id), "outer_id": item.outer_id, "title": item.title,
                "approve_status": item.state, "num": sum(s.quantity for s in item.skus.values()),
                "price": f"{min(prices):.2f}",
                "skus": {"sku": [self._sku_json(sku) for sku in item.skus.values()]}}

    @staticmethod
    def _sku_json(sku: SimSku) -> dict:
        return {"sku_id": int(sku.remote_id), "outer_id": sku.outer_id, "properties": sku.attrs["properties"],
                "quantity": sku.quantity, "price": f"{sku.price:.2f}"}


def _outer_ids(params: dict) -> set[str]:
    wanted = [value for value in params.get("outer_id", "").split(",") if value]
    if not wanted:
        raise TopError(40, "Missing Required Arguments", "isv.missing-parameter:outer_id")
    if len(wanted) > LOOKUP_MAX:
        raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:outer_id", f"outer_id 最多 {LOOKUP_MAX} 个")
    return set(wanted)


def _number(text, name: str, kind):
    try:
        return kind(text)
    except (TypeError, ValueError, InvalidOperation):
        raise TopError(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", f"{name} 格式错误")


def _check_title(title: str) -> None:
    width = sum(2 if ord(ch) > 127 else 1 for ch in title)
    if width > TITLE_MAX_WIDTH:
        raise TopError(41, "Invalid Arguments", "isv.invalid-parameter:title", "宝贝标题不能超过 30 个汉字")
