"""Orders made on the pavilions, brought home: each stored once, the paid ones
turned into orders of this store that take their stock and are attributed to
the households of the batches they came from.

Two ways in, one write path (``order_import_one``):

- **polling** (``orders_import``): from the channel's cursor (minus an overlap,
  so an order the platform showed late is still seen) to a little behind now
  (Pinduoduo wants the end ≥3 min behind its clock), in windows no longer than
  the connector takes, every page of each window.  The cursor moves to a
  window's end only after every order in it is committed; a crash mid-window
  re-reads that window and the unique (channel, external id) makes the
  repeats no-ops.
- **push** (``push_receive``): the platform's message, verified by the
  connector (a bad signature writes nothing), de-duplicated by its event id;
  an order event re-reads the order itself (``get_order``), so events that
  arrive out of order (paid before new) still end in the order's real state.

``order_import_one`` in one transaction: the ``ImportedOrder`` row is taken
(created, or locked when it exists: two workers importing the same order
queue on it); a paid, not cancelled order becomes an Oscar order (status
待发货, the buyer's total, lines mapped by SKU key to our stock records), its
stock is allocated with a conditional update that never goes past what is in
stock (an order the platform already sold is recorded even when our stock is
short, and flagged), and it is attributed to households in the same
transaction.  A later cancellation goes through the store's own cancel path
(status 已取消: ledger reversed, units back to batches and stock).  An order
whose SKU we do not know is recorded with state ``failed`` and its problem,
never crashing the run; it is retried each time the order is seen again."""
from __future__ import annotations

import json
import logging
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.attribution.models import Channel as SaleChannel
from shop.attribution.services import order_attribute
from shop.fulfilment.statuses import AWAITING_SHIPMENT, CANCELLED

from . import outbox
from .audits import AUDIT_TOPIC, audit_event_record
from .connectors.base import FEN, ChannelEvent, ChannelOrder, ChannelOrderLine
from .models import ImportedOrder, OrderCursor, OutboxEntry, Platform, PushReceipt

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")
Line = get_model("order", "Line")
StockRecord = get_model("partner", "StockRecord")
InvalidOrderStatus = get_class("order.exceptions", "InvalidOrderStatus")
State = ImportedOrder.State

# Version of the SKU → household mapping rule stored on each import: a channel
# line's SKU key is our stock record's partner SKU, its units are taken from the
# product's passed batches first harvested first, and split over the batches'
# contributions as they stand at import time.  The result of that mapping is
# frozen in the line's batch allocations and the append-only ledger, so a later
# change of batches or contributions never rewrites a past sale; this number
# changes only when the rule itself changes.
MAPPING_VERSION = 1

FIRST_RUN_SPAN = timedelta(days=1)        # how far back the first run of a channel looks
DEFAULT_OVERLAP = timedelta(minutes=5)    # each run re-reads this much before the cursor
RECONCILE_SPAN = timedelta(days=2)        # the nightly re-scan
# How far behind now a window ends: Pinduoduo asks for ≥3 min; elsewhere a minute
# keeps us clear of the platform's clock and its late index.
PLATFORM_LAG = {Platform.PINDUODUO: timedelta(minutes=3)}
DEFAULT_LAG = timedelta(minutes=1)
MAX_PAGES_PER_WINDOW = 10_000             # a connector whose cursor never ends is a bug

SALE_CHANNEL = {
    Platform.JD: SaleChannel.JD,
    Platform.TAOBAO: SaleChannel.TAOBAO,
    Platform.PINDUODUO: SaleChannel.PINDUODUO,
    Platform.WECHAT_SHOP: SaleChannel.WECHAT_SHOP,
    Platform.PLATFORM_832: SaleChannel.PLATFORM_832,
}


# --- the connector of a channel ------------------------------------------------------

def channel_connector(channel):
    """The channel's connector: ``settings.CATALOG_SYNC_CONNECTOR_FACTORY`` (a dotted
    path to ``f(channel) -> connector``, for tests and local simulators) when set,
    else the channel's platform connector with its credentials."""
    factory = getattr(settings, "CATALOG_SYNC_CONNECTOR_FACTORY", "")
    if factory:
        return import_string(factory)(channel)
    from .channels import connector_for

    return connector_for(channel)


def order_lag(channel) -> timedelta:
    """How far behind now an import reads: the platform's index lag, or
    ``CATALOG_SYNC_<CODE>_ORDER_LAG`` seconds (e.g. 0 for a local simulator)."""
    from .channels import env_prefix

    configured = os.environ.get(env_prefix(channel.code) + "ORDER_LAG", "").strip()
    if configured:
        return timedelta(seconds=float(configured))
    return PLATFORM_LAG.get(channel.platform, DEFAULT_LAG)


def order_number(channel, external_id: str) -> str:
    return f"{channel.code.upper()}-{external_id}"


# --- personal data -------------------------------------------------------------------

# A key holding any of these (case and separators ignored) is the buyer's or the
# recipient's: dropped with everything under it before the payload is stored.
_PERSONAL_WORDS = (
    "receiver", "recipient", "consignee", "buyer", "customer", "phone", "mobile", "telephone", "address",
    "email", "openid", "unionid", "idcard", "nick", "contact", "postcode", "zipcode", "realname", "fullname",
    "username", "identity", "memo", "message", "remark",
)
_PERSONAL_KEYS = frozenset({"tel", "zip", "name", "addr"})
_SEPARATORS = re.compile(r"[^a-z0-9]")


def is_personal_key(key: str) -> bool:
    compact = _SEPARATORS.sub("", str(key).lower())
    return compact in _PERSONAL_KEYS or any(word in compact for word in _PERSONAL_WORDS)


def personal_data_removed(value: Any) -> Any:
    """``value`` (a platform's order) with every personal key and its subtree
    dropped, as plain JSON (decimals and times as strings)."""
    if isinstance(value, Mapping):
        return {str(k): personal_data_removed(v) for k, v in value.items() if not is_personal_key(k)}
    if isinstance(value, (list, tuple)):
        return [personal_data_removed(item) for item in value]
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _payload(channel_order: ChannelOrder) -> dict:
    if channel_order.raw:
        return personal_data_removed(channel_order.raw)
    return personal_data_removed({
        "external_id": channel_order.external_id, "status": channel_order.status, "total": channel_order.total,
        "city": channel_order.city,
        "lines": [asdict(line) for line in channel_order.lines],
    })


# --- one order -----------------------------------------------------------------------

@dataclass(frozen=True)
class OrderImportResult:
    external_id: str
    state: str
    is_new: bool = False            # the ImportedOrder row was created now
    order_created: bool = False     # an Oscar order was made now
    order_cancelled: bool = False   # the Oscar order was cancelled now
    stale: bool = False             # older than what we have: nothing changed
    order_number: str = ""
    problem: str = ""


def _record_take(channel, channel_order: ChannelOrder) -> tuple[ImportedOrder, bool]:
    """The order's row, locked for this transaction: created if new.  Two workers
    inserting the same order at once: the second one's insert waits on the first
    one's, fails on the unique constraint when it commits, and only its savepoint
    is rolled back; it then reads and locks the committed row."""
    rows = ImportedOrder.objects.select_for_update()
    record = rows.filter(channel=channel, external_id=channel_order.external_id).first()
    if record is not None:
        return record, False
    try:
        with transaction.atomic():
            record = ImportedOrder.objects.create(
                channel=channel, external_id=channel_order.external_id, status=channel_order.status[:40],
                total=channel_order.total, placed_at=channel_order.created_at,
                remote_updated_at=channel_order.updated_at, mapping_version=MAPPING_VERSION,
                payload=_payload(channel_order), state=State.AWAITING_PAYMENT,
            )
        return record, True
    except IntegrityError:
        logger.info("channel %s order %s: imported concurrently elsewhere", channel.code, channel_order.external_id)
        return rows.get(channel=channel, external_id=channel_order.external_id), False


def _line_amounts(lines: Iterable[ChannelOrderLine], total: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(before discounts, net) yuan of each line.  When the buyer paid less than
    the lines (a platform coupon), the difference is spread over the lines in
    proportion, to the fen (largest remainders), so the lines sum to the total."""
    before = [(Decimal(line.unit_price) * line.quantity).quantize(FEN) for line in lines]
    subtotal = sum(before, Decimal("0.00"))
    if total >= subtotal or subtotal == 0:
        return [(amount, amount) for amount in before]
    discount = subtotal - total
    exact = [discount * amount / subtotal for amount in before]
    shares = [value.quantize(FEN, rounding=ROUND_DOWN) for value in exact]
    left = int((discount - sum(shares, Decimal("0"))) / FEN)
    by_remainder = sorted(range(len(exact)), key=lambda i: (exact[i] - shares[i], -i), reverse=True)
    for index in by_remainder[:left]:
        shares[index] += FEN
    return [(amount, amount - share) for amount, share in zip(before, shares)]


def _stock_records(sku_keys: set[str]) -> dict[str, list]:
    found = defaultdict(list)
    for record in (StockRecord.objects.filter(partner_sku__in=sku_keys)
                   .select_related("partner", "product__product_class", "product__parent__product_class")):
        found[record.partner_sku].append(record)
    return found


def _unknown_skus(channel_order: ChannelOrder, found) -> str:
    missing = sorted({line.sku_key for line in channel_order.lines if not found.get(line.sku_key)})
    ambiguous = sorted({line.sku_key for line in channel_order.lines if len(found.get(line.sku_key, ())) > 1})
    problems = []
    if not channel_order.lines:
        problems.append(_("订单没有商品行"))
    if missing:
        problems.append(_("本店没有这些 SKU：%(skus)s") % {"skus": "、".join(missing) or "（空）"})
    if ambiguous:
        problems.append(_("多个合作社使用同一 SKU 编码：%(skus)s") % {"skus": "、".join(ambiguous)})
    return "；".join(problems)


def _stock_allocate(lines) -> list[str]:
    """Allocate each line's units with a conditional update (in stock-record order,
    the order checkout locks them in), never beyond what is in stock.  A line the
    stock cannot cover takes nothing (``num_allocated`` 0, so a later cancellation
    gives nothing back) and is reported."""
    short = []
    for line in sorted(lines, key=lambda line: (line.stockrecord_id, line.pk)):
        if not line.product.get_product_class().track_stock:
            Line.objects.filter(pk=line.pk).update(num_allocated=line.quantity)
            continue
        allocated = Coalesce(F("num_allocated"), 0)
        taken = StockRecord.objects.filter(pk=line.stockrecord_id,
                                           num_in_stock__gte=allocated + line.quantity).update(
            num_allocated=allocated + line.quantity)
        if taken:
            Line.objects.filter(pk=line.pk).update(num_allocated=line.quantity)
            continue
        record = StockRecord.objects.get(pk=line.stockrecord_id)
        available = max((record.num_in_stock or 0) - (record.num_allocated or 0), 0)
        short.append(_("SKU %(sku)s 库存不足：渠道已售 %(wanted)d 件，本店可用 %(available)d 件") % {
            "sku": line.partner_sku, "wanted": line.quantity, "available": available})
    return short


def _order_create(channel, channel_order: ChannelOrder):
    """(the Oscar order, problem) or (None, problem) when the SKUs do not map."""
    found = _stock_records({line.sku_key for line in channel_order.lines})
    problem = _unknown_skus(channel_order, found)
    if problem:
        return None, problem
    amounts = _line_amounts(channel_order.lines, channel_order.total)
    shipping = max(channel_order.total - sum((before for before, _net in amounts), Decimal("0.00")), Decimal("0.00"))
    order = Order.objects.create(
        number=order_number(channel, channel_order.external_id), site=Site.objects.filter(pk=settings.SITE_ID).first(),
        currency="CNY",
        total_incl_tax=channel_order.total, total_excl_tax=channel_order.total,
        shipping_incl_tax=shipping, shipping_excl_tax=shipping,
        shipping_method=channel.name, shipping_code=f"channel-{channel.code}",
        status=AWAITING_SHIPMENT, date_placed=channel_order.created_at,
    )
    lines = []
    for channel_line, (before, net) in zip(channel_order.lines, amounts):
        record = found[channel_line.sku_key][0]
        product = record.product
        lines.append(Line.objects.create(
            order=order, partner=record.partner, partner_name=record.partner.name, partner_sku=record.partner_sku,
            stockrecord=record, product=product, title=(channel_line.title or product.get_title())[:255],
            upc=product.upc, quantity=channel_line.quantity,
            line_price_incl_tax=net, line_price_excl_tax=net,
            line_price_before_discounts_incl_tax=before, line_price_before_discounts_excl_tax=before,
            unit_price_incl_tax=channel_line.unit_price, unit_price_excl_tax=channel_line.unit_price,
            num_allocated=0,
        ))
    short = _stock_allocate(lines)
    order_attribute(order=order, channel=SALE_CHANNEL.get(channel.platform, SaleChannel.STORE),
                    occurred_at=channel_order.created_at)
    # The allocation bypassed StockRecord.save(): tell the other channels the stock moved.
    outbox.outbox_mark({line.product_id for line in lines}, OutboxEntry.Kind.STOCK)
    return order, "；".join(short)


def _order_cancel(record: ImportedOrder) -> tuple[bool, str]:
    """Cancel the store's order the platform cancelled: (cancelled now, problem)."""
    order = Order.objects.select_for_update().get(pk=record.order_id)
    if order.status == CANCELLED:
        return False, ""
    try:
        order.set_status(CANCELLED)   # the ledger is reversed, units go back (shop.attribution.receivers)
    except InvalidOrderStatus:
        return False, _("渠道已取消该订单，但本店订单状态为「%(status)s」，无法自动取消，请人工处理") % {
            "status": order.status}
    return True, ""


def order_import_one(channel, channel_order: ChannelOrder) -> OrderImportResult:
    """Store one channel order (once, whatever how often it is seen) and bring our
    order in line with it.  Its own transaction (a savepoint when nested)."""
    with transaction.atomic():
        record, is_new = _record_take(channel, channel_order)
        if not is_new and channel_order.updated_at < record.remote_updated_at:
            return OrderImportResult(external_id=record.external_id, state=record.state, stale=True,
                                     order_number=record.order.number if record.order_id else "",
                                     problem=record.problem)
        record.status = channel_order.status[:40]
        record.total = channel_order.total
        record.remote_updated_at = channel_order.updated_at
        record.payload = _payload(channel_order)
        created = cancelled = False
        if record.order_id is None:
            if channel_order.cancelled:
                record.state, record.problem = State.CANCELLED, ""
            elif record.state == State.CANCELLED:
                pass   # a cancelled order never comes back
            elif not channel_order.paid:
                record.state = State.AWAITING_PAYMENT
            else:
                order, problem = _order_create(channel, channel_order)
                record.problem = problem
                if order is None:
                    record.state = State.FAILED
                else:
                    record.order, record.state, record.mapping_version = order, State.IMPORTED, MAPPING_VERSION
                    created = True
        elif channel_order.cancelled and record.state != State.CANCELLED:
            cancelled, problem = _order_cancel(record)
            if cancelled:
                record.state = State.CANCELLED
            else:
                record.problem = problem or record.problem
        record.save()
    if record.problem:
        logger.warning("channel %s order %s: %s", channel.code, record.external_id, record.problem)
    return OrderImportResult(
        external_id=record.external_id, state=record.state, is_new=is_new, order_created=created,
        order_cancelled=cancelled, order_number=record.order.number if record.order_id else "",
        problem=record.problem,
    )


def imported_orders_needing_attention(channel=None):
    """Imports staff must look at (unknown SKU, stock short, a cancellation refused)."""
    rows = ImportedOrder.objects.exclude(problem="").select_related("channel", "order")
    return rows.filter(channel=channel) if channel is not None else rows


# --- polling -------------------------------------------------------------------------

@dataclass
class ImportReport:
    channel: str
    start: datetime | None = None
    end: datetime | None = None
    windows: int = 0
    pages: int = 0
    seen: int = 0                   # orders read, repeats included
    new: int = 0                    # ImportedOrder rows created
    orders_created: int = 0         # Oscar orders made
    cancelled: int = 0              # Oscar orders cancelled
    stale: int = 0
    problems: dict[str, str] = field(default_factory=dict)   # external id → problem
    imported_until: datetime | None = None

    def add(self, result: OrderImportResult) -> None:
        self.seen += 1
        self.new += result.is_new
        self.orders_created += result.order_created
        self.cancelled += result.order_cancelled
        self.stale += result.stale
        if result.problem:
            self.problems[result.external_id] = result.problem
        else:
            self.problems.pop(result.external_id, None)


def order_windows(start: datetime, end: datetime, size: timedelta) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows no longer than ``size``."""
    windows = []
    while start < end:
        stop = min(start + size, end)
        windows.append((start, stop))
        start = stop
    return windows


def _window_import(channel, connector, window: tuple[datetime, datetime], report: ImportReport) -> None:
    cursor = None
    for _page in range(MAX_PAGES_PER_WINDOW):
        page = connector.fetch_orders(window[0], window[1], cursor)
        report.pages += 1
        for channel_order in page.orders:
            report.add(order_import_one(channel, channel_order))
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
    raise RuntimeError(f"{channel.code}: more than {MAX_PAGES_PER_WINDOW} pages in one order window")


def _cursor_advance(cursor: OrderCursor, until: datetime) -> None:
    """Forward only (a re-scan of older windows never moves it back)."""
    OrderCursor.objects.filter(pk=cursor.pk, imported_until__lt=until).update(imported_until=until)
    OrderCursor.objects.filter(pk=cursor.pk, imported_until__isnull=True).update(imported_until=until)


def orders_import(channel, connector, *, now: datetime | None = None, overlap: timedelta = DEFAULT_OVERLAP,
                  lag: timedelta | None = None, since: datetime | None = None,
                  on_window: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import the channel's orders changed since its cursor (or ``since``, for a
    re-scan).  Call it outside any transaction: each order commits on its own and
    the cursor follows only what is committed.  A failure stops the run (the
    cursor stays at the last complete window) and is raised after being noted."""
    now = now or timezone.now()
    lag = order_lag(channel) if lag is None else lag
    cursor, _created = OrderCursor.objects.get_or_create(channel=channel)
    OrderCursor.objects.filter(pk=cursor.pk).update(last_run_at=now)
    start = (since or cursor.imported_until or now - FIRST_RUN_SPAN) - overlap
    end = now - lag
    windows = order_windows(start, end, connector.max_order_window)
    report = ImportReport(channel=channel.code, start=start, end=end, windows=len(windows),
                          imported_until=cursor.imported_until)
    try:
        for index, window in enumerate(windows, 1):
            _window_import(channel, connector, window, report)
            _cursor_advance(cursor, window[1])
            report.imported_until = max(filter(None, (report.imported_until, window[1])))
            if on_window is not None:
                on_window(index, len(windows))
    except Exception as exc:
        OrderCursor.objects.filter(pk=cursor.pk).update(last_error=repr(exc)[:2000])
        raise
    OrderCursor.objects.filter(pk=cursor.pk).update(last_success_at=now, last_error="")
    return report


# --- push ------------------------------------------------------------------------------

@dataclass
class PushReport:
    events: int = 0
    duplicates: int = 0
    audits: int = 0                 # audit results recorded on a listing in review
    ignored: int = 0                # verified, but nothing to do (e.g. a product update notice)
    orders: list[OrderImportResult] = field(default_factory=list)


def event_to_dict(event: ChannelEvent) -> dict:
    return {"event_id": event.event_id, "topic": event.topic, "order_id": event.order_id, "status": event.status,
            "product_id": event.product_id, "reason": event.reason,
            "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None}


def event_from_dict(data: Mapping) -> ChannelEvent:
    occurred_at = datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else None
    return ChannelEvent(event_id=str(data["event_id"]), topic=data["topic"], order_id=data.get("order_id"),
                        status=data.get("status"), product_id=data.get("product_id"), reason=data.get("reason") or "",
                        occurred_at=occurred_at)


def push_verify(connector, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
    """The message's events; raises ``InvalidSignature`` (answer 401, write nothing)."""
    return list(connector.parse_push(headers, body))


def push_events_process(channel, connector, events: Iterable[ChannelEvent]) -> PushReport:
    """Each event once (PushReceipt), its receipt committed with the order it
    imports: a failed import leaves no receipt, so the redelivery is processed."""
    report = PushReport()
    for event in events:
        report.events += 1
        if PushReceipt.objects.filter(channel=channel, event_id=event.event_id).exists():
            report.duplicates += 1
            continue
        # Read the order as it is now (outside the transaction: a network call).
        channel_order = connector.get_order(str(event.order_id)) if event.order_id else None
        with transaction.atomic():
            try:
                with transaction.atomic():
                    PushReceipt.objects.create(channel=channel, event_id=event.event_id, topic=event.topic[:60])
            except IntegrityError:   # the same event, processed meanwhile by another worker
                report.duplicates += 1
                continue
            if channel_order is not None:
                report.orders.append(order_import_one(channel, channel_order))
            elif event.topic == AUDIT_TOPIC and audit_event_record(channel, event):
                report.audits += 1
            else:
                report.ignored += 1
    return report


def push_receive(channel, connector, headers: Mapping[str, str], body: bytes) -> PushReport:
    """Verify, de-duplicate and import a push message (all of it, now)."""
    return push_events_process(channel, connector, push_verify(connector, headers, body))
