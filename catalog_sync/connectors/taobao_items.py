"""How our listings and SKUs become TOP item params, and which TOP method does what.
⚠️/❓ choices from platforms.md (Taobao table) are named here."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .base import Listing
from .taobao_wire import yuan_text

ADD_METHOD = "taobao.item.add"
UPDATE_METHOD = "taobao.item.update"
DELIST_METHOD = "taobao.item.update.delisting"
LOOKUP_METHOD = "taobao.items.custom.get"          # by outer_id, at most 40 per call ✅
SKU_LOOKUP_METHOD = "taobao.skus.custom.get"       # by SKU outer_id (to find num_iid + properties)
STOCK_METHOD = "taobao.item.quantity.update"       # type=1: full quantity ✅[T4]
STOCK_TYPE_FULL = 1
# ⚠️ platforms.md: one claim says item.price.update is retired; the SKU call is used.
PRICE_METHOD = "taobao.item.sku.price.update"


@dataclass(frozen=True)
class SkuRef:
    """How TOP addresses one of our SKUs: the item's num_iid, and the SKU's id and
    property string when known (the price call needs the property string)."""
    num_iid: str
    properties: str = ""
    sku_id: str = ""


def sku_properties(attrs: Sequence[tuple[str, str]], key: str, single: bool) -> str:
    """Custom properties '$规格:5斤装;$产地:梅州' (TOP's custom-property form; we have no
    category pid:vid ids).  ❓ Real items in most categories need category properties."""
    pairs = list(attrs) or [("规格", "默认" if single else key)]
    for name, value in pairs:
        if any(ch in f"{name}{value}" for ch in ",;:$"):
            raise ValueError(f"SKU {key}: property {name}={value} contains , ; : or $")
    return ";".join(f"${name}:{value}" for name, value in pairs)


def item_params(listing: Listing, extra: Mapping[str, str]) -> dict[str, Any]:
    if not listing.skus:
        raise ValueError("至少需要一个 SKU")
    single = len(listing.skus) == 1
    for sku in listing.skus:
        if "," in sku.key or sku.quantity < 0:
            raise ValueError(f"SKU {sku.key}: bad key or quantity")
    prices = [yuan_text(sku.price) for sku in listing.skus]
    return {
        "outer_id": listing.key,
        "title": listing.title,
        "desc": listing.description,
        "type": "fixed",
        "stuff_status": "new",
        "approve_status": "onsale" if listing.active else "instock",
        "num": sum(sku.quantity for sku in listing.skus),
        "price": yuan_text(min(sku.price for sku in listing.skus)),
        "cid": listing.category if listing.category.isdigit() else extra.get("cid"),
        "location.state": extra.get("location_state", "广东"),
        "location.city": listing.origin.get("city") or extra.get("location_city"),
        "pic_path": listing.images[0] if listing.images else None,
        "sku_properties": ",".join(sku_properties(s.attrs, s.key, single) for s in listing.skus),
        "sku_quantities": ",".join(str(s.quantity) for s in listing.skus),
        "sku_prices": ",".join(prices),
        "sku_outer_ids": ",".join(s.key for s in listing.skus),
    }


def stock_params(key: str, ref: SkuRef, quantity: int) -> dict[str, Any]:
    if int(quantity) != quantity or quantity < 0:
        raise ValueError(f"SKU {key}: quantity {quantity} must be a whole number ≥ 0")
    return {"num_iid": ref.num_iid, "outer_id": key, "sku_id": ref.sku_id or None, "quantity": int(quantity),
            "type": STOCK_TYPE_FULL}


def price_params(key: str, ref: SkuRef, price: Decimal) -> dict[str, Any]:
    """The params of PRICE_METHOD for one SKU (switch both together)."""
    if PRICE_METHOD == "taobao.item.price.update":
        return {"num_iid": ref.num_iid, "price": yuan_text(price)}
    return {"num_iid": ref.num_iid, "properties": ref.properties, "price": yuan_text(price)}
