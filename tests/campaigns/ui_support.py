"""Helpers for the campaign dashboard, landing page and theme tests: a Wagtail
home page, a campaign scheduled through the real services, a clock the tests
move, and campaign sales recorded the way the checkout records them."""
import datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from oscar.core.loading import get_model
from wagtail.models import Page, Site

from cms.models import HomePage
from shop.campaigns import scheduling
from shop.campaigns.models import CampaignOrderLine, CampaignProduct, CustomerPurchase
from tests.factories import place_order

Order = get_model("order", "Order")
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def beijing(year, month, day, hour=0, minute=0, second=0):
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


class Clock:
    """``timezone.now()`` for every caller, moved by the test."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment):
        self.now = moment

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


def make_home_page():
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="乡品通", slug="xiangpin-home", hero_title="广东扶贫好物"))
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    return home


def schedule_campaign(*, name="2027 年货节", slug="nianhuo-2027", theme="nianhuo", summary="红红火火过大年",
                      starts_at, ends_at, items=(), publish=True, now=None):
    """A campaign through the scheduling services; ``items`` are
    (product, price, quota, per_customer_limit)."""
    campaign = scheduling.campaign_create(data=scheduling.CampaignInput(
        name=name, slug=slug, theme=theme, summary=summary, starts_at=starts_at, ends_at=ends_at), now=now)
    for product, price, quota, limit in items:
        scheduling.item_add(campaign=campaign, product=product, now=now,
                            data=scheduling.ItemInput(price=Decimal(price), quota=quota, per_customer_limit=limit))
    if publish:
        campaign = scheduling.campaign_publish(campaign=campaign, now=now)
    return campaign


def record_sale(item: CampaignProduct, *, quantity, user=None, guest_email="", sold_at=None, number=None):
    """An order of ``quantity`` units of the item's product, recorded against the
    campaign as the checkout does (sold counter, customer purchase, order line
    record). Returns the order."""
    order = place_order(lines=[(item.product, quantity)], user=user, attribute=False)
    if guest_email:
        Order.objects.filter(pk=order.pk).update(guest_email=guest_email)
    if number:
        Order.objects.filter(pk=order.pk).update(number=number)
        order.number = number
    line = order.lines.get()
    if not CampaignOrderLine.objects.filter(line=line).exists():
        CampaignProduct.objects.filter(pk=item.pk).update(sold=F("sold") + quantity)
        if user is not None:
            purchase, _ = CustomerPurchase.objects.get_or_create(item=item, user=user)
            CustomerPurchase.objects.filter(pk=purchase.pk).update(quantity=F("quantity") + quantity)
        CampaignOrderLine.objects.create(item=item, line=line, quantity=quantity, unit_price=item.price,
                                         sold_at=sold_at or timezone.now())
    item.refresh_from_db()
    return order
