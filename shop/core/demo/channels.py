"""The demo's channel (渠道同步): ``jd-pavilion``, a JD pavilion served by the local
JD simulator that ``make demo`` starts on http://127.0.0.1:8801 (its page is the
simulator's ``/``), with the simulator's demo credentials.

A few products of each brand are enabled on it — public, with a price and units
to sell, and a passed harvest batch with units left, so that an order placed on
the pavilion is attributed to the batch's households — and marked dirty in the
outbox.  Nothing is sent now: the operator presses 立即推送 (or runs
``manage.py catalog_sync_push --channel jd-pavilion``) in the running demo.
Idempotent: once the channel exists nothing is added."""
from collections import defaultdict

from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce
from oscar.core.loading import get_model

from catalog_sync.models import Channel, ChannelProduct, OutboxEntry, Platform
from catalog_sync.outbox import outbox_mark_channel
from catalog_sync.simulators import jd as jd_simulator
from shop.harvest.models import BatchContribution, HarvestBatch

Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")

CODE = "jd-pavilion"
NAME = "京东特产馆（本地模拟）"
BASE_URL = f"http://{jd_simulator.DEMO_HOST}:{jd_simulator.DEMO_PORT}"
PER_BRAND = 2
LIMIT = 20


def channel_products(*, per_brand: int = PER_BRAND, limit: int = LIMIT) -> list:
    """The products to list on the pavilion: up to ``per_brand`` of each brand
    (featured brands first, then the brands' own order; within a brand by SKU),
    at most ``limit``.  Pre-sale and crowdfunding products stay in this store."""
    sellable_batch = HarvestBatch.objects.filter(
        product=OuterRef("pk"), inspection_result=HarvestBatch.Inspection.PASSED,
        quantity_allocated__lt=F("quantity"),
    ).filter(Exists(BatchContribution.objects.filter(batch=OuterRef("pk"))))
    in_stock = (StockRecord.objects.filter(product=OuterRef("pk"), price__isnull=False)
                .alias(allocated=Coalesce("num_allocated", 0)).filter(num_in_stock__gt=F("allocated")))
    candidates = (
        Product.objects.filter(is_public=True, structure=Product.STANDALONE, origin__isnull=False)
        .exclude(upc__isnull=True).exclude(upc="")
        .filter(Exists(sellable_batch), Exists(in_stock))
        .filter(presales__isnull=True, crowdfunding_projects__isnull=True)
        .select_related("origin__brand")
        .order_by("-origin__brand__is_featured", "origin__brand__display_order", "origin__brand__name", "upc")
    )
    taken, chosen = defaultdict(int), []
    for product in candidates:
        brand = product.origin.brand_id
        if taken[brand] >= per_brand:
            continue
        taken[brand] += 1
        chosen.append(product)
        if len(chosen) >= limit:
            break
    return chosen


def seed_channels(*, base_url: str = BASE_URL) -> dict:
    if Channel.objects.filter(code=CODE).exists():
        return {}
    channel = Channel.objects.create(
        code=CODE, name=NAME, platform=Platform.JD, base_url=base_url,
        app_key=jd_simulator.DEMO_APP_KEY, app_secret=jd_simulator.DEMO_APP_SECRET,
        access_token=jd_simulator.DEMO_ACCESS_TOKEN, refresh_token=jd_simulator.DEMO_REFRESH_TOKEN,
    )
    products = channel_products()
    ChannelProduct.objects.bulk_create([ChannelProduct(channel=channel, product=product) for product in products])
    marked = outbox_mark_channel(channel, products, OutboxEntry.Kind.CONTENT)
    return {"渠道": 1, "渠道商品": len(products), "待推送": marked}
