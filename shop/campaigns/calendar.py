"""The campaign calendar: every published campaign's window, theme and landing
page, and the products of those not yet ended — what the storefront needs to
know about campaigns *besides* the live quota counters (which the pricing
strategy reads fresh).

It changes only when a campaign, a campaign product or a landing page changes;
each such change bumps the *campaign version* in the shared cache
(``bump_campaign_version``, from ``shop.campaigns.receivers``), and each process
keeps one copy of the calendar for the current version: reading it costs one
cache round trip, and two queries once per change per process.

The calendar also names the **time epoch** of the page cache
(``shop.core.cache.register_epoch_source``): the last campaign start or end
passed. A page rendered before a campaign starts or ends is keyed with the
previous epoch, so nobody is served it afterwards — without any write at the
boundary, and the same in every process (they read the same campaigns)."""
from __future__ import annotations

import bisect
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

VERSION_KEY = "campaigns:version"


@dataclass(frozen=True)
class CampaignInfo:
    pk: int
    name: str
    slug: str
    theme: str
    summary: str
    starts_at: object
    ends_at: object
    landing_path: str | None  # the landing page's path under the site root ("nianhuo-2027/"), if any

    def is_live(self, now) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class PlannedItem:
    """A product's place in a published campaign that has not ended."""

    campaign: CampaignInfo
    price: Decimal
    quota: int | None
    per_customer_limit: int | None


@dataclass(frozen=True)
class Calendar:
    campaigns: tuple[CampaignInfo, ...] = ()  # published, by start
    boundaries: tuple[float, ...] = ()  # every start and end, as sorted timestamps
    items: dict = field(default_factory=dict)  # {product_id: (PlannedItem, ...) by campaign start}

    def epoch(self, now) -> str:
        """The last boundary at or before ``now`` ("0" before the first)."""
        index = bisect.bisect_right(self.boundaries, now.timestamp())
        return "0" if index == 0 else f"{self.boundaries[index - 1]:.6f}"

    def live(self, now) -> list[CampaignInfo]:
        return [campaign for campaign in self.campaigns if campaign.is_live(now)]

    def featured(self, now) -> CampaignInfo | None:
        """The live campaign that dresses the store: the one started last
        (then the one ending first)."""
        live = self.live(now)
        if not live:
            return None
        return max(live, key=lambda c: (c.starts_at, -c.ends_at.timestamp(), -c.pk))

    def upcoming_item(self, product_id, now) -> PlannedItem | None:
        """The product's item in the next campaign to start (not yet started)."""
        for item in self.items.get(product_id, ()):
            if item.campaign.starts_at > now:
                return item
        return None


def _landing_paths(campaign_ids) -> dict[int, str]:
    """{campaign id: path under its site's root} of live landing pages."""
    from cms.models import CampaignPage
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return {}
    root = site.root_page.url_path
    paths = {}
    for campaign_id, url_path in (
        CampaignPage.objects.live().filter(campaign_id__in=campaign_ids, url_path__startswith=root)
        .order_by("-first_published_at", "-pk").values_list("campaign_id", "url_path")
    ):
        paths.setdefault(campaign_id, url_path[len(root):])
    return paths


def build_calendar(*, now=None) -> Calendar:
    from .models import Campaign, CampaignProduct

    now = now or timezone.now()
    rows = list(Campaign.objects.filter(is_published=True).order_by("starts_at", "pk").values_list(
        "pk", "name", "slug", "theme", "summary", "starts_at", "ends_at"))
    landing = _landing_paths([row[0] for row in rows if row[6] > now]) if rows else {}
    campaigns = tuple(CampaignInfo(*row, landing_path=landing.get(row[0])) for row in rows)
    by_pk = {campaign.pk: campaign for campaign in campaigns}
    boundaries = sorted({moment.timestamp() for c in campaigns for moment in (c.starts_at, c.ends_at)})
    items = {}
    open_ids = [c.pk for c in campaigns if c.ends_at > now]
    if open_ids:
        for campaign_id, product_id, price, quota, limit in (
            CampaignProduct.objects.filter(campaign_id__in=open_ids)
            .order_by("campaign__starts_at", "campaign_id", "position", "pk")
            .values_list("campaign_id", "product_id", "price", "quota", "per_customer_limit")
        ):
            items.setdefault(product_id, []).append(PlannedItem(by_pk[campaign_id], price, quota, limit))
    return Calendar(campaigns, tuple(boundaries), {key: tuple(value) for key, value in items.items()})


# -- the campaign version and this process's copy -----------------------------
_memo_lock = threading.Lock()
_memo: tuple = (None, None)  # (version, Calendar)


def _read_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Random, not 0: after a cache restart a fresh counter must not meet a
        # version some process still holds a calendar for.
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def current_calendar() -> Calendar:
    global _memo
    version = _read_version()
    memo_version, calendar = _memo
    if memo_version == version:
        return calendar
    calendar = build_calendar()
    with _memo_lock:
        _memo = (version, calendar)
    return calendar


def _bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)


def bump_campaign_version() -> None:
    """Campaigns changed: every process rebuilds its calendar. Now (so the
    writer's next read is fresh) and after the commit (so a calendar built from
    the old rows between the change and the commit is not kept)."""
    _bump_version()
    transaction.on_commit(_bump_version)


def campaign_epoch() -> str:
    """The page cache's epoch source (registered by the app config)."""
    return current_calendar().epoch(timezone.now())
