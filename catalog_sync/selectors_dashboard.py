"""What the channel dashboard (渠道同步看板) shows, read in a constant number of
queries whatever the number of channels, listings or calls.

- ``channel_summaries``: per channel, listings by state, the last successful
  sync, the error rate of the window (failed items / items of its ``SyncCall``
  rows), the retry queue, open dead letters, imported orders and those needing
  attention, unsent changes.
- ``hourly_calls``: calls and failures per clock hour over the same window.
- the detail's lists: dead letters, retry queue, failed listings, imported orders.
- ``listing_statuses``: a cooperative's products on every channel, with the last
  error in plain words (no channel credentials, no platform codes).

The window is the 24 clock hours ending with the current one (local time), so
the chart's bars add up to the error rate's figures.  Texts shown from the
platforms (error messages) have the channel's secrets blanked out."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .connectors.base import ErrorKind
from .models import (Channel, ChannelListing, ChannelProduct, DeadLetter, ImportedOrder, OutboxEntry, Platform,
                     RemoteDelist, SyncCall)
from .orders import imported_orders_needing_attention

State = ChannelListing.State

HOURS = 24
LIST_LIMIT = 100            # rows per list on the detail page
LATEST_ORDERS = 20
SECRET_FIELDS = ("app_secret", "access_token", "refresh_token")
REDACTED = "******"


def window_start(now: datetime) -> datetime:
    """The start of the 24 clock hours that end with the current one."""
    hour = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    return hour - timedelta(hours=HOURS - 1)


def retry_queue_q(now: datetime) -> Q:
    """Listings waiting for another go: scheduled later or already tried, and not dead."""
    return ~Q(state=State.FAILED) & (Q(next_attempt_at__gt=now) | Q(attempts__gt=0))


def channel_has_orders(channel) -> bool:
    """A product feed has no orders to import."""
    return channel.platform != Platform.MERCHANT_FEED


def error_rate(items: int, failed: int) -> Decimal | None:
    """Failed items per hundred items, to one decimal; None without any item."""
    if not items:
        return None
    return (Decimal(failed) * 100 / Decimal(items)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- secrets ---------------------------------------------------------------------------

def channel_secrets(channel) -> tuple[str, ...]:
    """The secret values a text about ``channel`` must never show (its own fields
    and those of the environment)."""
    from .channels import channel_config

    values = {getattr(channel, name, None) for name in SECRET_FIELDS}
    config = channel_config(channel)
    values |= {config.app_secret, config.access_token, config.refresh_token,
               (config.extra or {}).get("push_token")}
    return tuple(sorted((value for value in values if value and len(value) >= 4), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


# --- channel figures -------------------------------------------------------------------

@dataclass(frozen=True)
class ChannelSummary:
    channel: Channel
    states: dict[str, int]                 # every ChannelListing.State value → listings
    last_success_at: datetime | None
    since: datetime
    calls: int                             # SyncCall rows in the window
    items: int
    failed_items: int
    retry_queue: int
    dead_letters: int                      # open ones
    imported_orders: int
    orders_needing_attention: int
    pending_changes: int                   # unprocessed outbox entries

    @property
    def error_rate(self) -> Decimal | None:
        return error_rate(self.items, self.failed_items)

    @property
    def listings(self) -> int:
        return sum(self.states.values())

    @property
    def state_rows(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.states[value]) for value, label in State.choices]

    @property
    def has_orders(self) -> bool:
        return channel_has_orders(self.channel)


def _by_channel(rows, key="channel_id"):
    return {row.pop(key): row for row in rows}


def channel_summaries(channels=None, *, now: datetime | None = None) -> list[ChannelSummary]:
    """The figures of ``channels`` (default: every channel), in code order: eight queries."""
    now = now or timezone.now()
    since = window_start(now)
    if channels is None:
        channels = Channel.objects.defer(*SECRET_FIELDS).order_by("code")
    channels = list(channels)
    ids = [channel.pk for channel in channels]
    states: dict[int, dict[str, int]] = {pk: dict.fromkeys(State.values, 0) for pk in ids}
    for row in (ChannelListing.objects.filter(channel_id__in=ids).values("channel_id", "state")
                .annotate(n=Count("pk")).order_by()):
        states[row["channel_id"]][row["state"]] = row["n"]
    # Enabled but never yet claimed by a relay (no listing row): waiting for their first push too.
    listed = ChannelListing.objects.filter(channel=OuterRef("channel"), product=OuterRef("product"))
    for row in (ChannelProduct.objects.filter(channel_id__in=ids, is_enabled=True).exclude(Exists(listed))
                .values("channel_id").annotate(n=Count("pk")).order_by()):
        states[row["channel_id"]][State.PENDING] += row["n"]
    listings = _by_channel(ChannelListing.objects.filter(channel_id__in=ids).values("channel_id").annotate(
        synced=Max("last_synced_at"), retry=Count("pk", filter=retry_queue_q(now))).order_by())
    in_window = Q(at__gte=since, at__lte=now)
    calls = _by_channel(SyncCall.objects.filter(channel_id__in=ids).values("channel_id").annotate(
        ok=Max("at", filter=Q(failed=0, error_kind="")), calls=Count("pk", filter=in_window),
        items=Sum("items", filter=in_window), failed=Sum("failed", filter=in_window)).order_by())
    dead = _by_channel(DeadLetter.objects.filter(listing__channel_id__in=ids, resolved_at__isnull=True)
                       .values("listing__channel_id").annotate(n=Count("pk")).order_by(), key="listing__channel_id")
    orders = _by_channel(ImportedOrder.objects.filter(channel_id__in=ids).values("channel_id")
                         .annotate(n=Count("pk")).order_by())
    attention = _by_channel(imported_orders_needing_attention().filter(channel_id__in=ids)
                            .values("channel_id").annotate(n=Count("pk")).order_by())
    pending = _by_channel(OutboxEntry.objects.filter(channel_id__in=ids, processed_at__isnull=True)
                          .values("channel_id").annotate(n=Count("pk")).order_by())
    summaries = []
    for channel in channels:
        listing = listings.get(channel.pk, {})
        call = calls.get(channel.pk, {})
        successes = [at for at in (call.get("ok"), listing.get("synced")) if at is not None]
        summaries.append(ChannelSummary(
            channel=channel, states=states[channel.pk], last_success_at=max(successes) if successes else None,
            since=since, calls=call.get("calls") or 0, items=call.get("items") or 0,
            failed_items=call.get("failed") or 0, retry_queue=listing.get("retry") or 0,
            dead_letters=dead.get(channel.pk, {}).get("n", 0), imported_orders=orders.get(channel.pk, {}).get("n", 0),
            orders_needing_attention=attention.get(channel.pk, {}).get("n", 0),
            pending_changes=pending.get(channel.pk, {}).get("n", 0),
        ))
    return summaries


def channel_summary(channel, *, now: datetime | None = None) -> ChannelSummary:
    return channel_summaries([channel], now=now)[0]


@dataclass(frozen=True)
class HourBucket:
    start: datetime          # local time, on the hour
    calls: int = 0
    failed_calls: int = 0    # calls with any failed item (or failed as a whole)
    items: int = 0
    failed_items: int = 0


def hourly_calls(channel, *, now: datetime | None = None) -> list[HourBucket]:
    """The window's 24 clock hours, oldest first, each with its calls and failures."""
    now = now or timezone.now()
    since = window_start(now)
    rows = (SyncCall.objects.filter(channel=channel, at__gte=since, at__lte=now)
            .annotate(hour=TruncHour("at")).values("hour")
            .annotate(calls=Count("pk"), failed_calls=Count("pk", filter=Q(failed__gt=0) | ~Q(error_kind="")),
                      items=Sum("items"), failed_items=Sum("failed")).order_by())
    found = {timezone.localtime(row["hour"]): row for row in rows}
    buckets = []
    for index in range(HOURS):
        start = since + timedelta(hours=index)
        row = found.get(start)
        buckets.append(HourBucket(start=start) if row is None else HourBucket(
            start=start, calls=row["calls"], failed_calls=row["failed_calls"], items=row["items"] or 0,
            failed_items=row["failed_items"] or 0))
    return buckets


def chart_data(buckets: list[HourBucket]) -> dict:
    """What channel-sync.js draws (the page's table holds the same figures)."""
    return {
        "labels": [bucket.start.strftime("%H:%M") for bucket in buckets],
        "calls": [bucket.calls for bucket in buckets],
        "failed_calls": [bucket.failed_calls for bucket in buckets],
        "texts": {"calls": _("调用次数"), "failed_calls": _("失败调用")},
    }


# --- the detail's lists ----------------------------------------------------------------

def open_dead_letters(channel, limit: int = LIST_LIMIT) -> list[DeadLetter]:
    secrets = channel_secrets(channel)
    letters = list(DeadLetter.objects.filter(listing__channel=channel, resolved_at__isnull=True)
                   .select_related("listing__product").order_by("-created_at", "-pk")[:limit])
    for letter in letters:
        letter.message = redact(letter.message, secrets)
    return letters


def waiting_remote_delists(channel, limit: int = LIST_LIMIT) -> list[RemoteDelist]:
    """Listings of products deleted here that the channel has not yet confirmed delisted."""
    secrets = channel_secrets(channel)
    rows = list(RemoteDelist.objects.filter(channel=channel, done_at__isnull=True).order_by("created_at", "pk")[:limit])
    for row in rows:
        row.last_error = redact(row.last_error, secrets)
    return rows


def _listings_shown(channel, queryset, limit):
    secrets = channel_secrets(channel)
    rows = list(queryset.select_related("product")[:limit])
    for row in rows:
        row.last_error = redact(row.last_error, secrets)
        row.plain_error = plain_error(row.last_error_kind, row.state)
    return rows


def retry_queue(channel, *, now: datetime | None = None, limit: int = LIST_LIMIT) -> list[ChannelListing]:
    now = now or timezone.now()
    queryset = ChannelListing.objects.filter(retry_queue_q(now), channel=channel).order_by("next_attempt_at", "pk")
    return _listings_shown(channel, queryset, limit)


def failed_listings(channel, limit: int = LIST_LIMIT) -> list[ChannelListing]:
    queryset = (ChannelListing.objects.filter(channel=channel, state__in=[State.FAILED, State.REJECTED])
                .order_by("-updated_at", "-pk"))
    return _listings_shown(channel, queryset, limit)


def latest_imported_orders(channel, limit: int = LATEST_ORDERS) -> list[ImportedOrder]:
    return list(ImportedOrder.objects.filter(channel=channel).select_related("order")
                .order_by("-placed_at", "-pk")[:limit])


def orders_needing_attention(channel, limit: int = LIST_LIMIT) -> list[ImportedOrder]:
    return list(imported_orders_needing_attention(channel).order_by("-placed_at", "-pk")[:limit])


def order_cursor_error(channel) -> str:
    cursor = getattr(channel, "order_cursor", None)
    return redact(cursor.last_error, channel_secrets(channel)) if cursor is not None else ""


# --- a cooperative's view ----------------------------------------------------------------

PLAIN_ERRORS = {
    ErrorKind.THROTTLED.value: gettext_lazy("平台限流，系统稍后自动重试。"),
    ErrorKind.QUOTA_EXHAUSTED.value: gettext_lazy("平台调用额度已用完，额度恢复后自动重试。"),
    ErrorKind.TRANSIENT.value: gettext_lazy("平台暂时无法处理，系统会自动重试。"),
    ErrorKind.AUTH_EXPIRED.value: gettext_lazy("渠道授权已过期，需要运营人员重新授权。"),
    ErrorKind.CLOCK_SKEW.value: gettext_lazy("与平台的时间校验未通过，系统会自动重试。"),
    ErrorKind.CONFIG.value: gettext_lazy("渠道账号或权限配置有误，请联系运营人员。"),
    ErrorKind.INVALID.value: gettext_lazy("平台不接受这件商品的信息（标题、图片、类目或价格等），请修改商品后联系运营人员重试。"),
    ErrorKind.NOT_FOUND.value: gettext_lazy("平台上找不到这件商品，系统会重新上架。"),
    ErrorKind.UNKNOWN_OUTCOME.value: gettext_lazy("上次推送没有收到平台答复，系统会先查询再重试。"),
}


def plain_error(kind: str, state: str = "") -> str:
    """The listing's trouble in words a cooperative understands ('' when there is none)."""
    if kind:
        return str(PLAIN_ERRORS.get(kind, _("同步出错，运营人员会处理。")))
    if state == State.REJECTED:
        return _("平台审核未通过，请联系运营人员。")
    if state == State.FAILED:
        return _("多次同步失败，运营人员会处理。")
    return ""


def platform_message(last_error: str) -> str:
    """The platform's own words from ``relay``'s "operation: code message" text."""
    _operation, _sep, rest = last_error.partition(": ")
    _code, _sep, message = rest.partition(" ")
    return message.strip()


@dataclass(frozen=True)
class ListingStatus:
    product_id: int
    product_title: str
    channel_name: str
    platform: str
    state: str                    # a ChannelListing.State value, "" when not pushed yet
    state_label: str
    enabled: bool                 # the product is (still) meant to be on the channel
    last_synced_at: datetime | None
    problem: str = ""             # plain words
    detail: str = ""              # the platform's words, when they help the cooperative fix the product


@dataclass
class _Row:
    channel: Channel
    product: object
    listing: ChannelListing | None = None
    enabled: bool = True


def listing_statuses(products) -> list[ListingStatus]:
    """``products`` (a queryset, already scoped to the user) on every channel they are
    enabled on or listed in, by product title then channel: two queries (three when
    a platform's message is shown, to blank out the channel's secrets)."""
    rows: dict[tuple[int, int], _Row] = {}
    channel_fields = ("channel__name", "channel__platform")
    for listing in (ChannelListing.objects.filter(product__in=products).select_related("product", "channel")
                    .only("product__title", *channel_fields, "state", "last_synced_at", "last_error",
                          "last_error_kind")):
        rows[listing.product_id, listing.channel_id] = _Row(channel=listing.channel, product=listing.product,
                                                            listing=listing)
    for choice in (ChannelProduct.objects.filter(product__in=products).select_related("product", "channel")
                   .only("product__title", *channel_fields, "is_enabled")):
        row = rows.setdefault((choice.product_id, choice.channel_id),
                              _Row(channel=choice.channel, product=choice.product))
        row.enabled = choice.is_enabled
    details = {key: platform_message(row.listing.last_error) for key, row in rows.items()
               if row.listing is not None and row.listing.last_error_kind == ErrorKind.INVALID.value}
    secrets = {}
    if any(details.values()):
        channel_ids = {channel_id for (_product_id, channel_id), text in details.items() if text}
        secrets = {channel.pk: channel_secrets(channel) for channel in Channel.objects.filter(pk__in=channel_ids)}
    statuses = []
    for key, row in rows.items():
        listing = row.listing
        if listing is None:
            state, label, synced, problem = "", _("尚未推送"), None, ""
        else:
            state, label, synced = listing.state, listing.get_state_display(), listing.last_synced_at
            problem = plain_error(listing.last_error_kind, listing.state)
        statuses.append(ListingStatus(
            product_id=row.product.pk, product_title=row.product.title, channel_name=row.channel.name,
            platform=row.channel.get_platform_display(), state=state, state_label=str(label), enabled=row.enabled,
            last_synced_at=synced, problem=problem, detail=redact(details.get(key, ""), secrets.get(key[1], ())),
        ))
    return sorted(statuses, key=lambda status: (status.product_title, status.product_id, status.channel_name))
