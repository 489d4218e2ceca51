"""WeChat Shop products ↔ our listings (pure functions, no network).

Outgoing: the add/update body of a ``Listing`` (``sale_price`` in fen, our keys in
``out_product_id`` / ``out_sku_id``).  Incoming: ``/channels/ec/product/get``'s
``product`` (online) and ``edit_product`` (draft) as a ``RemoteListing``."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Listing, RemoteListing, RemoteSku, fen_to_yuan, yuan_to_fen

NO_BRAND = "2100000000"       # WeChat's "no brand" id


def remote_state(status: int, edit_status: int) -> str:
    """Our state word from WeChat's ``status`` (online) and ``edit_status`` (draft)."""
    if edit_status == 2:
        return "in_review"
    if edit_status == 3:
        return "rejected"
    if status == 5:
        return "live"
    if status in (11, 12, 13, 14, 15, 20):     # 12 = sold out, auto-delisted ✅[W4]
        return "delisted"
    return "draft"


def product_content(listing: Listing, known_skus: Mapping[str, str], extra: Mapping[str, str]) -> dict:
    """The add/update body; ``known_skus`` (our SKU key → sku id) keeps an update on the same SKUs.
    ``extra``: ``cats_v2`` (comma-separated category ids) and ``freight_template_id``, when set."""
    images = list(listing.images)
    skus = []
    for sku in listing.skus:
        entry = {"out_sku_id": sku.key, "sale_price": yuan_to_fen(sku.price), "stock_num": int(sku.quantity),
                 "sku_attrs": [{"attr_key": name, "attr_value": value} for name, value in sku.attrs]}
        if images:
            entry["thumb_img"] = images[0]
        if known_skus.get(sku.key):
            entry["sku_id"] = known_skus[sku.key]
        skus.append(entry)
    content = {"title": listing.title, "head_imgs": images,
               "desc_info": {"desc": listing.description, "imgs": images},
               "brand_id": NO_BRAND, "extra_service": {"seven_day_return": 0, "freight_insurance": 0},
               "skus": skus}
    if extra.get("cats_v2"):
        content["cats_v2"] = [{"cat_id": cat.strip()} for cat in extra["cats_v2"].split(",") if cat.strip()]
    if extra.get("freight_template_id"):
        weights = [s.weight_grams for s in listing.skus if s.weight_grams]
        content["express_info"] = {"template_id": extra["freight_template_id"],
                                   **({"weight": max(weights)} if weights else {})}
    return content


def remote_listing(key: str, product_id: str, body: Mapping[str, Any]) -> RemoteListing:
    online, draft = body.get("product") or {}, body.get("edit_product") or {}
    shown = online or draft
    state = remote_state(int(shown.get("status") or 0), int((draft or online).get("edit_status") or 0))
    skus = tuple(RemoteSku(key=str(s.get("out_sku_id") or ""), remote_id=str(s["sku_id"]),
                           price=fen_to_yuan(s.get("sale_price") or 0), quantity=int(s.get("stock_num") or 0))
                 for s in shown.get("skus") or [])
    # ⚠️ ``audit_info.reject_reason`` on the draft: from SDK copies of the doc, not verified.
    reason = str((draft.get("audit_info") or {}).get("reject_reason") or "") if state == "rejected" else ""
    return RemoteListing(key=key, remote_id=str(product_id), state=state,
                         title=str((draft or online).get("title") or ""), skus=skus, reason=reason)
