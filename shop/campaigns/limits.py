"""Flash quotas and per-customer limits, checked wherever units are held or sold.

``shop.checkout.stock.basket_stock_shortfalls`` calls ``basket_campaign_shortfalls``
after its stock check, so the same check runs for the checkout pre-check, for
``shop.inventory.services.basket_reserve`` (before an online payment) and for
``shop.checkout.placement.order_create``.  With ``lock=True`` the basket's stock
records are already locked ``FOR UPDATE`` (pk order) and this module then locks
the campaign products ``FOR UPDATE`` (pk order) too: every reserver and placer of
a campaign product queues on the same rows in the same order, so what it reads
next (sold, reservations, the customer's purchases) cannot change under it.

A basket line is sold in a campaign when the strategy priced it there
(``shop.campaigns.strategy.CampaignPrice``): the line that pays the campaign
price is the line counted against the campaign's quota and limit. (A basket
without a strategy, re-reserved outside a request, goes by the campaigns live
now.)

For one campaign product and one basket:

- quota left = quota − sold − units *other* baskets hold in unexpired stock
  reservations of the product (their buyers are paying);
- the customer's share left = per-customer limit − units in their placed orders
  (``CustomerPurchase``) − units their *other* baskets hold in unexpired
  reservations.  Guests cannot buy a product with a per-customer limit: a limit
  needs an account to count against.

The shortfalls have the ``title``, ``requested``, ``available`` and ``message`` of
``shop.checkout.stock.StockShortfall``, so ``BasketStockUnavailable`` carries them
and the checkout shows them as it shows 已售罄."""
from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext as _

from shop.inventory.selectors import reservations_active

from .models import CampaignProduct, CustomerPurchase
from .selectors import live_items_by_product

# The CHECK constraint keeping sold <= quota (models.CampaignProduct); it appears
# in the IntegrityError's text should an increment ever pass a quota.
QUOTA_CONSTRAINT = "campaignproduct_sold_lte_quota"


@dataclass(frozen=True)
class QuotaShortfall:
    """The campaign's quota cannot cover the basket's units."""

    title: str
    requested: int
    available: int

    @property
    def message(self):
        if self.available <= 0:
            return _("「%(title)s」已抢光，请从购物车中移除后再结算。") % {"title": self.title}
        return _("「%(title)s」限量仅剩 %(available)d 件，您要购买 %(requested)d 件，请减少数量后再结算。") % {
            "title": self.title, "available": self.available, "requested": self.requested,
        }


@dataclass(frozen=True)
class LimitShortfall:
    """The customer's per-customer limit cannot cover the basket's units.
    ``bought``: units in their placed orders; ``paying``: units their other
    baskets hold while they pay; ``signed_in``: False for a guest."""

    title: str
    requested: int
    limit: int
    bought: int = 0
    paying: int = 0
    signed_in: bool = True

    @property
    def available(self):
        if not self.signed_in:
            return 0
        return max(self.limit - self.bought - self.paying, 0)

    @property
    def message(self):
        values = {"title": self.title, "limit": self.limit, "bought": self.bought, "paying": self.paying,
                  "available": self.available}
        if not self.signed_in:
            return _("「%(title)s」每人限购 %(limit)d 件，请登录后抢购。") % values
        if self.paying and self.available:
            return _("「%(title)s」每人限购 %(limit)d 件，您已购买 %(bought)d 件，另有 %(paying)d 件正在付款，"
                     "本单最多还能购买 %(available)d 件。") % values
        if self.paying:
            return _("「%(title)s」每人限购 %(limit)d 件，您已购买 %(bought)d 件，另有 %(paying)d 件正在付款，"
                     "不能再购买了。") % values
        if self.available:
            return _("「%(title)s」每人限购 %(limit)d 件，您已购买 %(bought)d 件，本单最多还能购买 %(available)d 件。") % values
        return _("「%(title)s」每人限购 %(limit)d 件，您已购买 %(bought)d 件，不能再购买了。") % values


@dataclass
class _Demand:
    product_id: int
    title: str
    requested: int = 0


def basket_lines_in_campaigns(*, basket):
    """[(line, campaign product id)] for the basket's lines sold in a campaign:
    priced there by the basket's strategy; for a basket without a strategy (a
    frozen basket re-reserved by a background step), in a campaign live now."""
    lines = list(basket.all_lines())
    if not lines:
        return []
    if not basket.has_strategy:
        live = live_items_by_product(product_ids={line.product_id for line in lines})
        return [(line, live[line.product_id].item_id) for line in lines if line.product_id in live]
    in_campaigns = []
    for line in lines:
        live_item = getattr(line.purchase_info.price, "live_item", None)
        if live_item is not None:
            in_campaigns.append((line, live_item.item_id))
    return in_campaigns


def basket_campaign_items(*, basket):
    """{product_id: campaign product id} for the basket's lines sold in a campaign."""
    return {line.product_id: item_id for line, item_id in basket_lines_in_campaigns(basket=basket)}


def _demand(basket, skip_product_ids):
    demand = {}
    for line, item_id in basket_lines_in_campaigns(basket=basket):
        if line.product_id in skip_product_ids:
            continue
        entry = demand.setdefault(item_id, _Demand(product_id=line.product_id, title=line.product.get_title()))
        entry.requested += line.quantity
    return demand


def _reserved_by_product(reservations, product_ids):
    rows = (
        reservations.filter(stockrecord__product_id__in=list(product_ids))
        .values("stockrecord__product_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {row["stockrecord__product_id"]: row["units"] for row in rows}


def basket_campaign_shortfalls(*, basket, lock=False, skip_product_ids=()):
    """The basket's campaign lines that the quota or the customer's limit cannot
    cover (one shortfall per product, the quota's first).  With ``lock=True``
    (inside a transaction, after the stock records) the campaign products stay
    locked until the transaction ends.  ``skip_product_ids``: products already
    short of stock (their 已售罄 says enough)."""
    demand = _demand(basket, set(skip_product_ids))
    if not demand:
        return []
    rows = CampaignProduct.objects.filter(pk__in=list(demand)).order_by("pk")
    if lock:
        rows = rows.select_for_update()
    items = list(rows)  # read (and locked) first: what follows is read under the lock
    product_ids = {demand[item.pk].product_id for item in items}
    others = reservations_active().exclude(basket_id=basket.pk)
    held_by_others = _reserved_by_product(others, product_ids)
    owner_id = basket.owner_id
    limited = [item for item in items if item.per_customer_limit is not None]
    bought, paying = {}, {}
    if owner_id is not None and limited:
        bought = dict(
            CustomerPurchase.objects.filter(user_id=owner_id, item__in=limited).values_list("item_id", "quantity")
        )
        paying = _reserved_by_product(others.filter(basket__owner_id=owner_id),
                                      {demand[item.pk].product_id for item in limited})
    shortfalls = []
    for item in items:
        wanted = demand[item.pk]
        if item.quota is not None:
            left = item.quota - item.sold - held_by_others.get(wanted.product_id, 0)
            if wanted.requested > left:
                shortfalls.append(
                    QuotaShortfall(title=wanted.title, requested=wanted.requested, available=max(left, 0))
                )
                continue
        if item.per_customer_limit is None:
            continue
        shortfall = LimitShortfall(
            title=wanted.title, requested=wanted.requested, limit=item.per_customer_limit,
            bought=bought.get(item.pk, 0), paying=paying.get(wanted.product_id, 0), signed_in=owner_id is not None,
        )
        if wanted.requested > shortfall.available:
            shortfalls.append(shortfall)
    return shortfalls


def is_quota_constraint_violation(error):
    return QUOTA_CONSTRAINT in str(error)

