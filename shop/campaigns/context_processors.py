"""``live_campaign`` for the storefront layout: the live campaign that dresses
the store (its theme's CSS, its banner with a countdown to the end and a link
to its landing page), or None. Lazy: only pages that show it read the
calendar (one cache round trip; no query)."""
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .calendar import CampaignInfo, current_calendar
from .themes import DEFAULT_BANNER, Theme, get_theme


@dataclass(frozen=True)
class LiveCampaign:
    campaign: CampaignInfo
    theme: Theme | None
    landing_url: str | None

    @property
    def name(self):
        return self.campaign.name

    @property
    def slug(self):
        return self.campaign.slug

    @property
    def summary(self):
        return self.campaign.summary

    @property
    def ends_at(self):
        return self.campaign.ends_at

    @property
    def css(self):
        return self.theme.css if self.theme else ""

    @property
    def banner_template(self):
        return self.theme.banner_template if self.theme else DEFAULT_BANNER


def _landing_url(path):
    if path is None:
        return None
    try:
        return reverse("wagtail_serve", args=[path])
    except NoReverseMatch:
        return None


def featured_live_campaign(now=None):
    campaign = current_calendar().featured(now or timezone.now())
    if campaign is None:
        return None
    return LiveCampaign(campaign, get_theme(campaign.theme), _landing_url(campaign.landing_path))


def live_campaign(request):
    return {"live_campaign": SimpleLazyObject(featured_live_campaign)}
