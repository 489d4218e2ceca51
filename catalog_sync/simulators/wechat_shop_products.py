"""The simulated WeChat Shop's products: drafts, audit, live versions, stock.

Each product keeps a draft (``edit_product``) and, once an audit passed, an online
version (``product``).  ``status`` is the online state (0 never listed, 5 on sale,
11 delisted by the shop); ``edit_status`` the draft's (1 editing, 2 in review,
3 rejected, 4 approved).  Add and update share the 200-an-hour / 1000-a-day quota
(an hour over → 1002001, a day over → 45009); ``listing`` while in review is
refused with 10020067; stock and the audit-free price update cost no quota and
never touch the audit.  ``SimItem.state`` carries our word for the state."""
from __future__ import annotations

import base64
import copy
import itertools
from datetime import datetime, timedelta
from typing import Any

from .base import SimItem, SimSku
from .wechat_shop_errors import error, ok

PRODUCT_ID_START = 10_000_000_000_000_001      # > 2**53: ids must travel as strings
SKU_ID_START = 20_000_000_000_000_001
STATUS_NEW, STATUS_LIVE, STATUS_DELISTED = 0, 5, 11
EDITING, IN_REVIEW, REJECTED, APPROVED = 1, 2, 3, 4
CONTENT_FIELDS = ("title", "sub_title", "head_imgs", "desc_info", "cats", "cats_v2", "attrs", "brand_id",
                  "express_info", "extra_service", "limited_info", "aftersale_desc", "spu_code")
LIST_MAX_PAGE = 30
TITLE_MAX = 60


def our_state(status: int, edit_status: int) -> str:
    if edit_status == IN_REVIEW:
        return "in_review"
    if edit_status == REJECTED:
        return "rejected"
    if status == STATUS_LIVE:
        return "live"
    if status == STATUS_DELISTED:
        return "delisted"
    return "draft"


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ProductDesk:
    def __init__(self, sim, *, hourly_cap: int = 200, daily_cap: int = 1000,
                 auto_approve_after: float | None = None):
        self.sim = sim
        self.catalogue = sim.catalogue
        self.lock = sim.catalogue.lock
        self.sku_ids = itertools.count(SKU_ID_START)
        self.hourly_cap, self.daily_cap = hourly_cap, daily_cap
        self.auto_approve_after = auto_approve_after   # seconds in review before the platform approves
        self.writes: list[datetime] = []               # add/update times, by the platform's clock
        self.audits = 0                                # submissions accepted by ``listing``
        self.decisions: list[tuple[str, bool]] = []    # (product id, approved)
        self.stock_updates = 0

    # -- rules ------------------------------------------------------------------------
    def _validate(self, p: dict, creating: bool) -> dict | None:
        if creating or "title" in p:
            title = str(p.get("title") or "")
            if not title.strip():
                return error(10020020)
            if len(title) > TITLE_MAX:
                return error(10020021)
        if creating and not p.get("head_imgs"):
            return error(10020022)
        if creating or "skus" in p:
            skus = p.get("skus")
            if not isinstance(skus, list) or not 1 <= len(skus) <= 500:
                return error(10020013)
            for sku in skus:
                if not _whole(sku.get("sale_price")) or not _whole(sku.get("stock_num", 0)):
                    return error(47001)
                if sku["sale_price"] <= 0:
                    return error(10020039)
        return None

    def _quota(self) -> dict | None:
        """Take one add/update from the shared quota (the platform's clock)."""
        with self.lock:
            now = self.sim.now()
            self.writes = [t for t in self.writes if now - t < timedelta(days=1)]
            today = sum(1 for t in self.writes if t.date() == now.date())
            hour = sum(1 for t in self.writes if now - t < timedelta(hours=1))
            if today >= self.daily_cap:
                return error(45009)
            if hour >= self.hourly_cap:
                return error(1002001)
            self.writes.append(now)
            return None

    def _item(self, p: dict) -> SimItem | None:
        return self.catalogue.get(str(p.get("product_id") or ""))

    def _skus(self, item: SimItem, entries: list[dict]) -> list[dict]:
        by_id = {sku.remote_id: sku for sku in item.skus.values()}
        kept, draft = {}, []
        for entry in entries:
            sku = by_id.get(str(entry.get("sku_id") or "")) or item.skus.get(str(entry.get("out_sku_id") or ""))
            if sku is None:
                sku = SimSku(remote_id=str(next(self.sku_ids)), outer_id=str(entry.get("out_sku_id") or ""),
                             price=0, quantity=0)
            sku.price, sku.quantity = entry["sale_price"], int(entry.get("stock_num") or 0)
            sku.attrs = {a.get("attr_key"): a.get("attr_value") for a in entry.get("sku_attrs") or []}
            kept[sku.outer_id or sku.remote_id] = sku
            draft.append({"sku_id": sku.remote_id, "out_sku_id": sku.outer_id, "sale_price": sku.price,
                          "sku_attrs": entry.get("sku_attrs") or [], "thumb_img": entry.get("thumb_img", "")})
        item.skus = kept
        return draft

    def _settle(self, item: SimItem) -> None:
        item.state = our_state(item.payload["status"], item.payload["edit_status"])

    # -- the API ----------------------------------------------------------------------
    def add(self, p: dict) -> dict:
        problem = self._validate(p, creating=True) or self._quota()
        if problem:
            return problem
        with self.lock:
            now = self.sim.now()
            item = SimItem(remote_id=self.catalogue.new_id(), outer_id=str(p.get("out_product_id") or ""),
                           title=str(p["title"]), state="draft")
            draft = {field: copy.deepcopy(p[field]) for field in CONTENT_FIELDS if field in p}
            draft["skus"] = self._skus(item, p["skus"])
            item.payload = {"status": STATUS_NEW, "edit_status": EDITING, "draft": draft, "online": None,
                            "submitted_at": None, "reason": "", "audits": 0, "create_time": _fmt(now)}
            self.catalogue.add(item)
            return ok(data={"product_id": item.remote_id, "create_time": _fmt(now)})

    def update(self, p: dict) -> dict:
        item = self._item(p)
        if item is None:
            return error(10020052)
        problem = self._validate(p, creating=False) or self._quota()
        if problem:
            return problem
        with self.lock:
            draft = item.payload["draft"]
            draft.update({field: copy.deepcopy(p[field]) for field in CONTENT_FIELDS if field in p})
            if "skus" in p:
                draft["skus"] = self._skus(item, p["skus"])
            item.title = str(draft.get("title") or item.title)
            item.versions += 1
            # A new draft replaces one waiting in review: it has to be submitted again.
            item.payload.update(edit_status=EDITING, submitted_at=None)
            self._settle(item)
            return ok(data={"product_id": item.remote_id, "create_time": _fmt(self.sim.now())})

    def listing(self, p: dict) -> dict:
        item = self._item(p)
        if item is None:
            return error(10020052)
        with self.lock:
            data = item.payload
            if data["edit_status"] == IN_REVIEW:
                return error(10020067)
            if not data["draft"].get("skus"):
                return error(10020038)
            if data["edit_status"] == APPROVED:      # nothing new to audit: back on sale
                data["status"] = STATUS_LIVE
            else:
                data.update(edit_status=IN_REVIEW, submitted_at=self.sim.now(), reason="")
                data["audits"] += 1
                self.audits += 1
            self._settle(item)
            return ok()

    def delisting(self, p: dict) -> dict:
        item = self._item(p)
        if item is None:
            return error(10020052)
        with self.lock:
            data = item.payload
            if data["status"] == STATUS_LIVE:
                data["status"] = STATUS_DELISTED
            if data["edit_status"] == IN_REVIEW:     # the pending audit is withdrawn
                data.update(edit_status=EDITING, submitted_at=None)
            self._settle(item)
            return ok()

    def _render(self, item: SimItem, content: dict) -> dict:
        stock = {sku.remote_id: sku.quantity for sku in item.skus.values()}
        data = item.payload
        skus = [{**sku, "stock_num": stock.get(sku["sku_id"], 0)} for sku in content.get("skus") or []]
        return {**copy.deepcopy(content), "product_id": item.remote_id, "out_product_id": item.outer_id,
                "status": data["status"], "edit_status": data["edit_status"], "skus": skus,
                "min_price": min((s["sale_price"] for s in skus), default=0), "create_time": data["create_time"]}

    def get(self, p: dict) -> dict:
        item = self._item(p)
        if item is None:
            return error(10020052)
        data_type = int(p.get("data_type") or 1)
        with self.lock:
            body = {}
            online = item.payload["online"]
            if data_type in (1, 3) and online is not None:
                body["product"] = self._render(item, online)
            if data_type in (2, 3):
                body["edit_product"] = self._render(item, item.payload["draft"])
                if item.payload["edit_status"] == REJECTED:
                    body["edit_product"]["audit_info"] = {"reject_reason": item.payload["reason"]}
            return ok(**body)

    def list(self, p: dict) -> dict:
        page_size = p.get("page_size", 10)
        if not _whole(page_size) or not 1 <= page_size <= LIST_MAX_PAGE:
            return error(40097, f"invalid args: page_size must be 1..{LIST_MAX_PAGE}")
        key = str(p.get("next_key") or "")
        try:
            offset = int(base64.urlsafe_b64decode(key.encode()).decode()) if key else 0
        except ValueError:
            return error(40097, "invalid args: next_key")
        with self.lock:
            ids = [pid for pid, item in self.catalogue.items.items()
                   if "status" not in p or item.payload["status"] == p["status"]]
        page = ids[offset:offset + page_size]
        following = base64.urlsafe_b64encode(str(offset + len(page)).encode()).decode() if page else ""
        return ok(product_ids=page, next_key=following, total_num=len(ids))

    def _sku(self, item: SimItem, sku_id: str) -> SimSku | None:
        return next((sku for sku in item.skus.values() if sku.remote_id == sku_id), None)

    def stock_update(self, p: dict) -> dict:
        item = self._item(p)
        if item is None:
            return error(10020052)
        diff_type, num = p.get("diff_type"), p.get("num")
        if diff_type not in (1, 2, 3) or not _whole(num) or num < 0:
            return error(40097, "invalid args: diff_type 1/2/3 and num ≥ 0")
        with self.lock:
            sku = self._sku(item, str(p.get("sku_id") or ""))
            if sku is None:
                return error(10020056)
            if diff_type == 2 and num > sku.quantity:
                return error(10020209)
            sku.quantity = sku.quantity + num if diff_type == 1 else sku.quantity - num if diff_type == 2 else num
            self.stock_updates += 1
            return ok()

    def audit_free(self, p: dict) -> dict:
        item = self._item(p)
        if item is None:
            return error(10020052)
        entries = p.get("skus") or []
        with self.lock:
            for entry in entries:
                if self._sku(item, str(entry.get("sku_id") or "")) is None:
                    return error(10020056)
                if "sale_price" in entry and (not _whole(entry["sale_price"]) or entry["sale_price"] <= 0):
                    return error(10020039)
            for entry in entries:
                sku = self._sku(item, str(entry["sku_id"]))
                if "stock_num" in entry:
                    sku.quantity = int(entry["stock_num"])
                if "sale_price" in entry:
                    sku.price = entry["sale_price"]
                    for version in (item.payload["draft"], item.payload["online"] or {}):
                        for line in version.get("skus") or []:
                            if line["sku_id"] == sku.remote_id:
                                line["sale_price"] = entry["sale_price"]
            return ok()

    # -- the audit ----------------------------------------------------------------------
    def audit(self, product_id: str, approve: bool = True, reason: str = "") -> SimItem:
        """The platform's decision on a product in review."""
        with self.lock:
            item = self.catalogue.get(str(product_id))
            if item is None or item.payload["edit_status"] != IN_REVIEW:
                raise ValueError(f"product {product_id} is not in review")
            data = item.payload
            if approve:
                data.update(online=copy.deepcopy(data["draft"]), status=STATUS_LIVE, edit_status=APPROVED)
            else:
                data.update(edit_status=REJECTED, reason=reason or "商品信息不符合规范")
            data["submitted_at"] = None
            self.decisions.append((item.remote_id, approve))
            self._settle(item)
            return item

    def auto_audit(self) -> None:
        if self.auto_approve_after is None:
            return
        now = self.sim.now()
        with self.lock:
            due = [item.remote_id for item in self.catalogue.items.values()
                   if item.payload["edit_status"] == IN_REVIEW
                   and (now - item.payload["submitted_at"]).total_seconds() >= self.auto_approve_after]
            for product_id in due:
                self.audit(product_id, approve=True)
