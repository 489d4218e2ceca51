"""Creating and scheduling festival campaigns (the campaign manager's writes).

Every function validates everything first and raises one ``ValidationError``
(keyed by field: ``name``, ``slug``, ``theme``, ``starts_at``, ``ends_at``,
``product``, ``price``, ``quota``, ``per_customer_limit``, or ``__all__``) with
every problem in Chinese, then writes inside one transaction: nothing is
written when anything is wrong.

Rules:

* the window ends after it starts and, for a new or re-published campaign,
  after now; once a campaign has started its start stays, once it has ended
  nothing changes;
* a theme is a folder of ``themes/`` (``shop.campaigns.themes``);
* a product sits in at most one published campaign at any moment: publishing,
  moving a published window and adding a product to a published campaign are
  refused when a product is in another published campaign whose window
  overlaps (checked under a lock, so two managers cannot both get through);
* a campaign price is > 0 yuan, has at most two decimals and is below the
  product's regular price; a quota is at least 1 and never below what has been
  sold; a per-customer limit is at least 1 and at most the quota;
* a product with sales cannot be removed, and a published campaign keeps at
  least one product.

The sold counter (``CampaignProduct.sold``) belongs to the checkout
(``shop.campaigns.services``): these writes never touch it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from oscar.core.loading import get_class

from .landing import ensure_landing_page
from .models import Campaign, CampaignOrderLine, CampaignProduct
from .selectors import overlapping_items
from .themes import available_themes

Selector = get_class("partner.strategy", "Selector")

# pg_advisory_xact_lock key: one scheduling write at a time, so that two
# overlapping publications cannot both pass the overlap check.
SCHEDULING_LOCK = 5_050_017


@dataclass(frozen=True)
class CampaignInput:
    name: str
    slug: str
    theme: str
    summary: str
    starts_at: object
    ends_at: object


@dataclass(frozen=True)
class ItemInput:
    price: Decimal | None
    quota: int | None
    per_customer_limit: int | None


class _Errors:
    def __init__(self):
        self.by_field = {}

    def add(self, field, message):
        self.by_field.setdefault(field, []).append(message)

    def raise_if_any(self):
        if self.by_field:
            raise ValidationError({field: [ValidationError(m) for m in messages]
                                   for field, messages in self.by_field.items()})


def _lock():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEDULING_LOCK])


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def regular_price(product) -> Decimal | None:
    """The product's price outside any campaign (what the strategy shows as
    ``was`` while a campaign runs), or None when it has none."""
    price = Selector().strategy().fetch_for_product(product).price
    if not price.exists:
        return None
    return getattr(price, "was", None) or price.excl_tax


# -- campaigns ----------------------------------------------------------------
def _check_campaign(errors, data: CampaignInput, *, campaign=None, now):
    if not (data.name or "").strip():
        errors.add("name", _("请填写活动名称。"))
    if data.theme not in available_themes():
        errors.add("theme", _("没有名为「%(theme)s」的主题。") % {"theme": data.theme})
    clash = Campaign.objects.filter(slug=data.slug).exclude(pk=campaign.pk if campaign else None).first()
    if clash is not None:
        errors.add("slug", _("网址标识「%(slug)s」已被活动「%(name)s」使用。") % {"slug": data.slug, "name": clash.name})
    if data.starts_at is None or data.ends_at is None:
        return
    if data.ends_at <= data.starts_at:
        errors.add("ends_at", _("结束时间必须晚于开始时间。"))
    elif data.ends_at <= now:
        errors.add("ends_at", _("结束时间已过，请选择当前时间之后的时间。"))


def _overlap_messages(items) -> list[str]:
    return [
        _("「%(product)s」已在同时段的活动「%(campaign)s」（%(start)s 至 %(end)s）中，同一商品不能同时参加两个活动。") % {
            "product": item.product.get_title(), "campaign": item.campaign.name,
            "start": _when(item.campaign.starts_at), "end": _when(item.campaign.ends_at),
        }
        for item in items
    ]


def campaign_create(*, data: CampaignInput, user=None, now=None) -> Campaign:
    """A draft campaign, with its landing page."""
    now = now or timezone.now()
    errors = _Errors()
    with transaction.atomic():
        _lock()
        _check_campaign(errors, data, now=now)
        errors.raise_if_any()
        campaign = Campaign.objects.create(
            name=data.name.strip(), slug=data.slug, theme=data.theme, summary=data.summary.strip(),
            starts_at=data.starts_at, ends_at=data.ends_at, is_published=False, created_by=user,
        )
        ensure_landing_page(campaign)
    return campaign


def campaign_update(*, campaign: Campaign, data: CampaignInput, user=None, now=None) -> Campaign:
    now = now or timezone.now()
    errors = _Errors()
    with transaction.atomic():
        _lock()
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        state = campaign.state_at(now)
        if state == Campaign.State.ENDED:
            errors.add(NON_FIELD_ERRORS, _("活动已结束，不能再修改。"))
            errors.raise_if_any()
        _check_campaign(errors, data, campaign=campaign, now=now)
        if campaign.is_published and data.slug != campaign.slug:
            errors.add("slug", _("已发布的活动不能修改网址标识。"))
        if state == Campaign.State.LIVE and data.starts_at != campaign.starts_at:
            errors.add("starts_at", _("活动已开始，不能修改开始时间。"))
        if campaign.is_published and not errors.by_field:
            product_ids = campaign.items.values_list("product_id", flat=True)
            for message in _overlap_messages(overlapping_items(
                product_ids=product_ids, starts_at=data.starts_at, ends_at=data.ends_at,
                exclude_campaign_id=campaign.pk,
            )):
                errors.add(NON_FIELD_ERRORS, message)
        errors.raise_if_any()
        campaign.name, campaign.slug, campaign.theme = data.name.strip(), data.slug, data.theme
        campaign.summary, campaign.starts_at, campaign.ends_at = data.summary.strip(), data.starts_at, data.ends_at
        campaign.save(update_fields=["name", "slug", "theme", "summary", "starts_at", "ends_at", "updated"])
    return campaign


def campaign_publish(*, campaign: Campaign, user=None, now=None) -> Campaign:
    now = now or timezone.now()
    errors = _Errors()
    with transaction.atomic():
        _lock()
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.is_published:
            errors.add(NON_FIELD_ERRORS, _("活动已发布。"))
            errors.raise_if_any()
        if campaign.ends_at <= now:
            errors.add(NON_FIELD_ERRORS, _("活动结束时间已过，不能发布。"))
        items = list(campaign.items.select_related("product"))
        if not items:
            errors.add(NON_FIELD_ERRORS, _("请先添加至少一件活动商品，再发布活动。"))
        for item in items:
            regular = regular_price(item.product)
            if regular is None or item.price >= regular:
                errors.add(NON_FIELD_ERRORS, _("「%(product)s」的活动价 ¥%(price)s 不低于原价 ¥%(regular)s，请先修改活动价。") % {
                    "product": item.product.get_title(), "price": item.price, "regular": regular or "—"})
        for message in _overlap_messages(overlapping_items(
            product_ids=[item.product_id for item in items], starts_at=campaign.starts_at,
            ends_at=campaign.ends_at, exclude_campaign_id=campaign.pk,
        )):
            errors.add(NON_FIELD_ERRORS, message)
        errors.raise_if_any()
        campaign.is_published = True
        campaign.save(update_fields=["is_published", "updated"])
        ensure_landing_page(campaign)
    return campaign


def campaign_unpublish(*, campaign: Campaign, user=None, now=None) -> Campaign:
    """Back to draft (before or during the campaign: it stops at once)."""
    now = now or timezone.now()
    errors = _Errors()
    with transaction.atomic():
        _lock()
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not campaign.is_published:
            errors.add(NON_FIELD_ERRORS, _("活动尚未发布。"))
        elif campaign.state_at(now) == Campaign.State.ENDED:
            errors.add(NON_FIELD_ERRORS, _("活动已结束，不能撤回发布。"))
        errors.raise_if_any()
        campaign.is_published = False
        campaign.save(update_fields=["is_published", "updated"])
    return campaign


# -- campaign products --------------------------------------------------------
def _check_item(errors, data: ItemInput, *, product, sold=0):
    regular = regular_price(product) if product is not None else None
    price = data.price
    if price is None:
        errors.add("price", _("请填写活动价。"))
    elif price <= 0:
        errors.add("price", _("活动价必须大于 0 元。"))
    elif price != price.quantize(Decimal("0.01")):
        errors.add("price", _("活动价最多两位小数（精确到分）。"))
    elif product is not None and regular is not None and price >= regular:
        errors.add("price", _("活动价必须低于原价 ¥%(regular)s。") % {"regular": regular})
    if data.quota is not None:
        if data.quota < 1:
            errors.add("quota", _("限量至少 1 件；不限量请留空。"))
        elif data.quota < sold:
            errors.add("quota", _("已售出 %(sold)d 件，限量不能少于已售件数。") % {"sold": sold})
    if data.per_customer_limit is not None:
        if data.per_customer_limit < 1:
            errors.add("per_customer_limit", _("每人限购至少 1 件；不限购请留空。"))
        elif data.quota is not None and data.quota >= 1 and data.per_customer_limit > data.quota:
            errors.add("per_customer_limit", _("每人限购不能超过限量（%(quota)d 件）。") % {"quota": data.quota})


def _check_campaign_open(errors, campaign, now):
    if campaign.state_at(now) == Campaign.State.ENDED:
        errors.add(NON_FIELD_ERRORS, _("活动已结束，不能再修改活动商品。"))
        errors.raise_if_any()


def item_add(*, campaign: Campaign, product, data: ItemInput, now=None) -> CampaignProduct:
    now = now or timezone.now()
    errors = _Errors()
    with transaction.atomic():
        _lock()
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _check_campaign_open(errors, campaign, now)
        if product is None:
            errors.add("product", _("请选择商品。"))
        elif product.is_parent:
            errors.add("product", _("「%(product)s」有多个规格，请选择具体规格。") % {"product": product.get_title()})
        elif regular_price(product) is None:
            errors.add("product", _("「%(product)s」没有价格，不能参加活动。") % {"product": product.get_title()})
        elif campaign.items.filter(product=product).exists():
            errors.add("product", _("「%(product)s」已在本活动中。") % {"product": product.get_title()})
        elif campaign.is_published:
            for message in _overlap_messages(overlapping_items(
                product_ids=[product.pk], starts_at=campaign.starts_at, ends_at=campaign.ends_at,
                exclude_campaign_id=campaign.pk,
            )):
                errors.add("product", message)
        _check_item(errors, data, product=product if "product" not in errors.by_field else None)
        errors.raise_if_any()
        position = (campaign.items.aggregate(last=Max("position"))["last"] or 0) + 1
        return CampaignProduct.objects.create(
            campaign=campaign, product=product, price=data.price, quota=data.quota,
            per_customer_limit=data.per_customer_limit, position=position,
        )


def item_update(*, item: CampaignProduct, data: ItemInput, now=None) -> CampaignProduct:
    """Price, quota and limit; ``sold`` is read under a row lock and left alone."""
    now = now or timezone.now()
    errors = _Errors()
    with transaction.atomic():
        _lock()
        item = CampaignProduct.objects.select_for_update().select_related("campaign", "product").get(pk=item.pk)
        _check_campaign_open(errors, item.campaign, now)
        _check_item(errors, data, product=item.product, sold=item.sold)
        errors.raise_if_any()
        item.price, item.quota, item.per_customer_limit = data.price, data.quota, data.per_customer_limit
        item.save(update_fields=["price", "quota", "per_customer_limit"])
    return item


def item_remove(*, item: CampaignProduct, now=None) -> None:
    now = now or timezone.now()
    errors = _Errors()
    with transaction.atomic():
        _lock()
        item = CampaignProduct.objects.select_for_update().select_related("campaign", "product").get(pk=item.pk)
        _check_campaign_open(errors, item.campaign, now)
        if item.sold or CampaignOrderLine.objects.filter(item=item).exists():
            errors.add(NON_FIELD_ERRORS, _("「%(product)s」已有成交记录，不能移除。") % {"product": item.product.get_title()})
        elif item.campaign.is_published and item.campaign.items.count() == 1:
            errors.add(NON_FIELD_ERRORS, _("已发布的活动至少保留一件商品；请先撤回发布。"))
        errors.raise_if_any()
        item.delete()
