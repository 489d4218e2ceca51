"""Run the demo seeding stages in order; every stage is idempotent."""
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from oscar.core.loading import get_model
from tqdm import tqdm

from shop.brands.models import Brand, ProductOrigin
from shop.campaigns.demo import campaign_seed_demo
from shop.crowdfunding.demo import crowdfunding_seed_demo
from shop.fulfilment.rates import rates_seed_demo
from shop.presale.demo import presale_seed_demo
from shop.producers.models import Household, MarketSubject, Membership
from shop.regions.models import City, County, ServicePoint, Township, Village

from .accounts import DEMO_PASSWORD, seed_accounts
from .brands import seed_brands
from .catalogue import seed_products
from .channels import seed_channels
from .cms_pages import seed_cms
from .fulfilment import seed_fulfilment, waves_to_seed
from .harvest import demo_plan, demo_products, history_exists, seed_harvest
from .households import seed_households
from .orders import seed_orders
from .points import seed_service_points
from .regions import seed_regions
from .subjects import seed_market_subjects

DEFAULT_HOUSEHOLDS = 520
DEFAULT_PRODUCTS = 220


@dataclass
class SeedReport:
    created: dict = field(default_factory=dict)
    stage_seconds: dict = field(default_factory=dict)
    accounts: list = field(default_factory=list)
    password: str = DEMO_PASSWORD


class Stages:
    """Stage lines (or tqdm bars for long stages) written to ``out``."""

    def __init__(self, out=None, show_progress=True):
        self.out = out
        self.show_progress = show_progress and out is not None

    def line(self, text):
        if self.out is not None:
            self.out.write(text + "\n")
            self.out.flush()

    @contextmanager
    def bar(self, label, total):
        bar = tqdm(total=total, desc=label, unit="条", file=self.out, disable=not self.show_progress,
                   leave=True, dynamic_ncols=True, mininterval=0.3)
        try:
            yield bar
        finally:
            bar.close()


def _run(report, stages, name, func, *args, total=None):
    started = time.monotonic()
    with transaction.atomic():
        if total is None:
            result = func(*args)
        else:
            with stages.bar(name, total) as bar:
                result = func(*args, progress=bar)
    report.stage_seconds[name] = time.monotonic() - started
    report.created.update(result)
    created = "，".join(f"{model} +{count}" for model, count in result.items())
    stages.line(f"  ✓ {name}（{report.stage_seconds[name]:.1f} 秒）{created}")
    return result


def seed_demo(*, households=DEFAULT_HOUSEHOLDS, products=DEFAULT_PRODUCTS, out=None, show_progress=True) -> SeedReport:
    report = SeedReport()
    stages = Stages(out, show_progress)
    stages.line("乡品通演示数据：开始")
    _run(report, stages, "行政区划（市、县、镇、村）", seed_regions)
    _run(report, stages, "服务网点（县乡村三级与城市自提点）", seed_service_points)
    _run(report, stages, "区域公用品牌", seed_brands)
    _run(report, stages, "市场主体（合作社、龙头企业、创业带头人）", seed_market_subjects)
    _run(report, stages, "建档立卡贫困户", seed_households, households, total=households)
    _run(report, stages, "商品（含库存、产地认定、图片）", seed_products, products, total=products)
    _run(report, stages, "运费标准与商品重量", rates_seed_demo)
    _run(report, stages, "内容页面（首页、关于、故事）", seed_cms)

    def accounts_stage():
        result, report.accounts = seed_accounts()
        return result

    _run(report, stages, "角色与演示账号", accounts_stage)
    history = history_exists()
    _run(report, stages, "采收批次与流通事件", seed_harvest, total=0 if history else len(demo_products()))
    _run(report, stages, "历史订单与收益归属", seed_orders, total=0 if history else len(demo_plan().orders))
    _run(report, stages, "配送波次、到货签收与自提交付", seed_fulfilment, total=waves_to_seed())
    _run(report, stages, "节庆活动（年货节限量抢购）", campaign_seed_demo)
    _run(report, stages, "预售（定金与尾款）", presale_seed_demo)
    _run(report, stages, "众筹认养项目与支持者", crowdfunding_seed_demo)
    _run(report, stages, "渠道同步（京东特产馆本地模拟）", seed_channels)
    return report


def model_counts() -> dict[str, int]:
    Product = get_model("catalogue", "Product")
    StockRecord = get_model("partner", "StockRecord")
    ProductImage = get_model("catalogue", "ProductImage")
    Category = get_model("catalogue", "Category")
    Partner = get_model("partner", "Partner")
    from cms.models import StoryPage
    from wagtail.models import Page

    from shop.attribution.models import LedgerEntry, LineAllocation
    from shop.fulfilment.models import DeliveryRate, DeliveryWave, OrderPickup
    from shop.harvest.models import BatchContribution, HarvestBatch, TraceEvent

    models = [
        ("地级市", City), ("县（市、区）", County), ("乡镇", Township), ("行政村", Village),
        ("服务网点", ServicePoint), ("区域公用品牌", Brand), ("市场主体", MarketSubject), ("销售商", Partner),
        ("建档立卡贫困户", Household), ("成员关系", Membership), ("商品分类", Category), ("商品", Product),
        ("库存记录", StockRecord), ("商品产地与认定", ProductOrigin), ("商品图片", ProductImage),
        ("CMS 页面", Page), ("故事与新闻", StoryPage), ("用户", get_user_model()),
        ("采收批次", HarvestBatch), ("农户供货", BatchContribution), ("流通事件", TraceEvent),
        ("订单", get_model("order", "Order")), ("订单行", get_model("order", "Line")), ("订单自提信息", OrderPickup),
        ("运费标准", DeliveryRate), ("配送波次", DeliveryWave),
        ("批次分配", LineAllocation), ("收益归属台账", LedgerEntry),
    ]
    counts = {label: model.objects.count() for label, model in models}
    counts["其中省定贫困村"] = Village.objects.filter(is_provincial_poor_village=True).count()
    counts["其中城市自提点/提货柜"] = ServicePoint.objects.filter(kind__in=ServicePoint.URBAN_KINDS).count()
    return counts
