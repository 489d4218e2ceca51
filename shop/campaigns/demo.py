"""The demo's festival campaign: a 年货节 warm-up sale running now (red-and-gold
theme, landing page), three demo products at campaign prices with flash quotas
and per-customer limits, and the demo consumer's two flash purchases so its
live chart has sales. Made through the dashboard's own services; idempotent."""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from oscar.core.loading import get_model

from . import scheduling
from .flash import FlashRefused, flash_purchase
from .models import Campaign

Product = get_model("catalogue", "Product")

SLUG = "nianhuo-2027-warmup"
CONSUMER_EMAIL = "consumer@xiangpin.demo"
# (share of the regular price, quota, per-customer limit)
ITEMS = [(Decimal("0.60"), 30, 2), (Decimal("0.75"), 50, 3), (Decimal("0.80"), 80, None)]


def _products():
    """Three products that keep (not fresh), with stock left, of three brands."""
    chosen, brands = [], set()
    rows = (Product.objects.filter(is_public=True, origin__is_fresh=False, stockrecords__num_in_stock__gt=100)
            .select_related("origin").order_by("pk"))
    for product in rows:
        if product.origin.brand_id in brands:
            continue
        record = product.stockrecords.first()
        if record is None or record.net_stock_level < 100:
            continue
        chosen.append(product)
        brands.add(product.origin.brand_id)
        if len(chosen) == len(ITEMS):
            break
    return chosen


def campaign_seed_demo(*, now=None) -> dict:
    now = now or timezone.now()
    if Campaign.objects.filter(slug=SLUG).exists():
        return {}
    products = _products()
    if not products:
        return {}
    campaign = scheduling.campaign_create(data=scheduling.CampaignInput(
        name="2027 年货节 · 扶贫好物抢鲜购", slug=SLUG, theme="nianhuo",
        summary="粤东粤西北贫困村的年货提前抢：限量特价，每人限购，到社区自提点付款取货。",
        starts_at=now - datetime.timedelta(days=1), ends_at=now + datetime.timedelta(days=14),
    ), now=now)
    for product, (share, quota, limit) in zip(products, ITEMS):
        price = (product.stockrecords.first().price * share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        scheduling.item_add(campaign=campaign, product=product, now=now,
                            data=scheduling.ItemInput(price=Decimal(price).quantize(Decimal("0.01")), quota=quota,
                                                      per_customer_limit=limit))
    scheduling.campaign_publish(campaign=campaign, now=now)
    created = {"节庆活动": 1, "活动商品": len(products), "活动订单": 0}
    consumer = get_user_model().objects.filter(email=CONSUMER_EMAIL).first()
    from shop.fulfilment.selectors import pickup_points_active

    point = pickup_points_active().filter(code="gz-th-liede").first() or pickup_points_active().first()
    if consumer is not None and point is not None:
        for item in campaign.items.select_related("campaign", "product").order_by("position", "pk")[:2]:
            try:
                flash_purchase(user=consumer, item=item, quantity=1, service_point=point, recipient_name="陈小敏",
                               recipient_phone="13700000001")
                created["活动订单"] += 1
            except FlashRefused:
                pass
    return created
