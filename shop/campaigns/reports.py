"""A campaign's results, for the live page, its JSON and the exports.

Read from ``CampaignOrderLine`` (one row per order line sold in the campaign,
with its unit price and time); lines whose order was cancelled (``released_at``
set: quota and limit given back) count nowhere except in the order-line sheet.

* per product: campaign price, quota, units sold, quota left, revenue
  (quantity × unit price), buyers (distinct customers) and orders;
* totals: orders, units, sales (¥) and buyers over the whole campaign (a buyer
  of two products counts once);
* the chart: units sold over time, cumulative, per product, from the campaign's
  start to now (or its end).

A buyer is the signed-in customer, or the guest's e-mail address (lower case).
Queries: the campaign's products (1), its order lines (1)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from .models import Campaign, CampaignOrderLine


@dataclass(frozen=True)
class ProductResult:
    item_id: int
    product_id: int
    title: str
    upc: str
    price: Decimal
    quota: int | None
    sold: int
    quota_left: int | None
    revenue: Decimal
    buyers: int
    orders: int


@dataclass(frozen=True)
class Totals:
    orders: int
    units: int
    sales: Decimal
    buyers: int


@dataclass(frozen=True)
class OrderLineRow:
    order_number: str
    placed_at: object
    title: str
    upc: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    buyer: str  # masked
    released_at: object | None


@dataclass(frozen=True)
class CampaignResults:
    campaign: Campaign
    state: str
    products: list[ProductResult]
    totals: Totals
    series: dict  # {item_id: [(moment, cumulative units), ...]}
    lines: list[OrderLineRow]
    generated_at: object


def _buyer_key(user_id, guest_email):
    return f"user:{user_id}" if user_id else f"guest:{(guest_email or '').strip().lower()}"


def mask_email(value: str) -> str:
    """'chen.xiao@example.com' -> 'c***@example.com'."""
    if not value or "@" not in value:
        return ""
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


def campaign_results(campaign: Campaign, *, now=None) -> CampaignResults:
    now = now or timezone.now()
    items = list(campaign.items.select_related("product").order_by("position", "pk"))
    rows = list(
        CampaignOrderLine.objects.filter(item__campaign=campaign)
        .order_by("sold_at", "pk")
        .values_list("item_id", "quantity", "unit_price", "sold_at", "released_at", "line__order__number",
                     "line__order__user_id", "line__order__user__email", "line__order__guest_email")
    )
    by_item = defaultdict(lambda: {"revenue": Decimal("0.00"), "units": 0, "buyers": set(), "orders": set()})
    all_buyers, all_orders = set(), set()
    units_total, sales_total = 0, Decimal("0.00")
    series = {item.pk: [] for item in items}
    titles = {item.pk: (item.product.get_title(), item.product.upc or "") for item in items}
    lines = []
    for item_id, quantity, unit_price, sold_at, released_at, number, user_id, user_email, guest_email in rows:
        amount = (unit_price * quantity).quantize(Decimal("0.01"))
        title, upc = titles.get(item_id, ("", ""))
        lines.append(OrderLineRow(number, sold_at, title, upc, quantity, unit_price, amount,
                                  mask_email(user_email or guest_email or ""), released_at))
        if released_at is not None:
            continue
        buyer = _buyer_key(user_id, guest_email)
        stats = by_item[item_id]
        stats["revenue"] += amount
        stats["units"] += quantity
        stats["buyers"].add(buyer)
        stats["orders"].add(number)
        all_buyers.add(buyer)
        all_orders.add(number)
        units_total += quantity
        sales_total += amount
        points = series.setdefault(item_id, [])
        points.append((sold_at, (points[-1][1] if points else 0) + quantity))
    until = min(now, campaign.ends_at)
    for item_id, points in series.items():
        total = points[-1][1] if points else 0
        points.insert(0, (campaign.starts_at, 0))
        if until > points[-1][0]:
            points.append((until, total))
    products = []
    for item in items:
        stats = by_item[item.pk]
        products.append(ProductResult(
            item_id=item.pk, product_id=item.product_id, title=titles[item.pk][0], upc=titles[item.pk][1],
            price=item.price, quota=item.quota, sold=item.sold, quota_left=item.quota_left,
            revenue=stats["revenue"], buyers=len(stats["buyers"]), orders=len(stats["orders"]),
        ))
    return CampaignResults(
        campaign=campaign, state=campaign.state_at(now), products=products,
        totals=Totals(orders=len(all_orders), units=units_total, sales=sales_total, buyers=len(all_buyers)),
        series=series, lines=lines, generated_at=now,
    )


def results_json(results: CampaignResults) -> dict:
    """What the live page polls: figures, per-product rows and chart series
    (times as epoch milliseconds, money as strings)."""
    def ms(moment):
        return int(moment.timestamp() * 1000)

    campaign = results.campaign
    return {
        "state": results.state,
        "state_label": str(Campaign.State(results.state).label),
        "starts_at": ms(campaign.starts_at),
        "ends_at": ms(campaign.ends_at),
        "generated_at": ms(results.generated_at),
        "totals": {
            "orders": results.totals.orders, "units": results.totals.units,
            "sales": f"{results.totals.sales:.2f}", "buyers": results.totals.buyers,
        },
        "products": [
            {
                "item": row.item_id, "title": row.title, "price": f"{row.price:.2f}", "quota": row.quota,
                "sold": row.sold, "quota_left": row.quota_left, "revenue": f"{row.revenue:.2f}",
                "buyers": row.buyers, "orders": row.orders,
            }
            for row in results.products
        ],
        "series": [
            {"item": row.item_id, "label": row.title,
             "points": [[ms(moment), units] for moment, units in results.series.get(row.item_id, [])]}
            for row in results.products
        ],
    }
