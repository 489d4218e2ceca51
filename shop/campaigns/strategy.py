"""Oscar's pricing and availability strategy with campaigns in it.

Outside a campaign it is Oscar's ``Default`` (first stock record, stock
required, no tax). While a product is in a live campaign its price is the
campaign price and the units it can sell are also capped by what is left of the
campaign's quota; once the quota is used up it is 已抢光 (unavailable).
Whether a product is in a live campaign comes from the campaign calendar
(``calendar.current_calendar``: no query); the live products' quota counters
are read once per strategy, only when one is on the page.

Oscar loads ``partner.strategy.Selector`` through ``get_class``;
``shop.core.loading.class_loader`` (``OSCAR_DYNAMIC_CLASS_LOADER``) hands it
this module's ``Selector`` without forking the partner app."""
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.apps.partner import availability, prices
from oscar.apps.partner.strategy import Default

from .calendar import current_calendar
from .selectors import live_items_by_product


class QuotaSoldOut(availability.Unavailable):
    code = "sold_out"
    message = _("已抢光")


class CampaignStock(availability.StockRequired):
    """Stock capped by the quota left; says 限量 when the quota is the limit."""

    def __init__(self, num_available, *, quota_left):
        super().__init__(num_available)
        self.quota_left = quota_left


class CampaignPrice(prices.FixedPrice):
    def __init__(self, currency, excl_tax, *, was, live_item):
        super().__init__(currency=currency, excl_tax=excl_tax, tax=Decimal("0.00"))
        self.was = was
        self.live_item = live_item


class CampaignStrategy(Default):
    def __init__(self, request=None, user=None):
        super().__init__(request)
        if user is not None and getattr(user, "is_authenticated", False):
            self.user = user
        self._live_items = None
        self._calendar = self._now = None

    def live_items(self):
        """The live campaign products with their current ``sold`` (one query,
        made only when a product on the page is in a live campaign)."""
        if self._live_items is None:
            self._live_items = live_items_by_product()
        return self._live_items

    def _in_live_campaign(self, product_id):
        """From the campaign calendar (this process's copy, no query): is the
        product in a campaign that is live now?"""
        if self._calendar is None:
            self._calendar, self._now = current_calendar(), timezone.now()
        return any(item.campaign.is_live(self._now) for item in self._calendar.items.get(product_id, ()))

    def live_item(self, product):
        if not self._in_live_campaign(product.pk):
            return None
        return self.live_items().get(product.pk)

    def pricing_policy(self, product, stockrecord):
        policy = super().pricing_policy(product, stockrecord)
        item = self.live_item(product)
        if item is None or not policy.exists:
            return policy
        return CampaignPrice(stockrecord.price_currency, item.price, was=policy.excl_tax, live_item=item)

    def availability_policy(self, product, stockrecord):
        policy = super().availability_policy(product, stockrecord)
        item = self.live_item(product)
        if item is None or not stockrecord or item.quota is None:
            return policy
        if item.is_sold_out:
            return QuotaSoldOut()
        if not product.get_product_class().track_stock:
            return CampaignStock(item.quota_left, quota_left=item.quota_left)
        return CampaignStock(min(stockrecord.net_stock_level, item.quota_left), quota_left=item.quota_left)


class Selector:
    def strategy(self, request=None, user=None, **kwargs):
        return CampaignStrategy(request, user=user)
