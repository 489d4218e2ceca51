"""TOP trades → ChannelOrder, and the backward-paging cursor for
``taobao.trades.sold.increment.get`` (platforms.md: read pages last to first, or
orders modified mid-scan slide onto a page already read and are missed ✅[T3])."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import ChannelOrder, ChannelOrderLine, yuan
from .taobao_wire import listed, parse_time

INCREMENT_METHOD = "taobao.trades.sold.increment.get"
FULLINFO_METHOD = "taobao.trade.fullinfo.get"
MAX_PAGE_SIZE = 100            # page_size 1–100 ✅[T3]

# Only what we need is asked for; whatever else comes back is dropped from ``raw`` too.
TRADE_KEYS = ("tid", "status", "type", "created", "modified", "pay_time", "end_time", "payment",
              "total_fee", "post_fee", "discount_fee", "receiver_city")
LINE_KEYS = ("oid", "num_iid", "sku_id", "outer_iid", "outer_sku_id", "title", "num", "price",
             "total_fee", "payment", "status", "refund_status")
TRADE_FIELDS = ",".join(TRADE_KEYS + ("orders",))

UNPAID_STATUSES = frozenset({"TRADE_NO_CREATE_PAY", "WAIT_BUYER_PAY", "PAY_PENDING"})
CLOSED_STATUSES = frozenset({"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"})
ID_KEYS = frozenset({"tid", "oid", "num_iid", "sku_id"})


def _clean(node: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Whitelisted fields only (no buyer nick, name, phone or address); ids and money as text."""
    out = {}
    for key in keys:
        if key in node and node[key] is not None:
            value = node[key]
            out[key] = str(value) if key in ID_KEYS or not isinstance(value, (str, int)) else value
    return out


def trade_to_order(trade: Mapping[str, Any]) -> ChannelOrder:
    status = str(trade.get("status", ""))
    lines = listed(trade.get("orders"), "order")
    raw = _clean(trade, TRADE_KEYS)
    raw["orders"] = [_clean(line, LINE_KEYS) for line in lines]
    return ChannelOrder(
        external_id=str(trade["tid"]),
        status=status,
        paid=bool(trade.get("pay_time")) and status not in UNPAID_STATUSES,
        cancelled=status in CLOSED_STATUSES,
        created_at=parse_time(trade["created"]),
        updated_at=parse_time(trade["modified"]),
        total=yuan(trade.get("payment", "0")),
        lines=tuple(
            ChannelOrderLine(sku_key=str(line.get("outer_sku_id") or line.get("outer_iid") or ""),
                             title=str(line.get("title", "")), quantity=int(line.get("num", 0)),
                             unit_price=yuan(line.get("price", "0")),
                             remote_sku_id=str(line.get("sku_id") or ""))
            for line in lines),
        city=str(trade.get("receiver_city") or ""),
        raw=raw,
    )


@dataclass(frozen=True)
class PagePosition:
    """Where a backward scan is: the page to read next and how many the window had."""
    page: int
    pages: int

    def encode(self) -> str:
        return f"{self.page}/{self.pages}"

    @classmethod
    def decode(cls, cursor: str | None) -> "PagePosition | None":
        """None (or RESTART) means: count the window first."""
        if not cursor or cursor == RESTART:
            return None
        page, _, pages = cursor.partition("/")
        position = cls(int(page), int(pages))
        if not 1 <= position.page <= position.pages:
            raise ValueError(f"bad taobao order cursor {cursor!r}")
        return position


RESTART = "restart"     # the window grew while we read it: count it again


def pages_for(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))
