"""Demo crowdfunding projects with seeded backers (``crowdfunding_seed_demo``,
called from the demo seed after the catalogue, households and accounts exist).

Live projects of the demo's Gaozhou lychee cooperative (认养一棵高州荔枝树) and of
the demo cooperative account's pomelo cooperative (认养一棵梅州金柚树), each with
tiers, households (members of the cooperative), two updates and backers whose
pledges are recorded as paid (``Pledge.Method.RECORDED``: no Stripe needed).
Idempotent: a rerun creates nothing that exists (projects by slug, tiers by
title, backers by e-mail, one pledge per backer and tier)."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from shop.brands.models import ProductOrigin
from shop.checkout.delivery import DeliveryChoice
from shop.producers.models import Household
from shop.regions.models import ServicePoint

from . import services
from .models import Pledge, Project, ProjectHousehold, ProjectUpdate, RewardTier

CONSUMER_EMAIL = "consumer@xiangpin.demo"
SURNAMES = "陈李张黄梁林何罗郑吴"
DEMO_PICKUP_POINT = "gz-th-liede"


@dataclass(frozen=True)
class DemoProject:
    slug: str
    brand_slug: str
    partner_code: str | None  # the cooperative; None: the brand's first product's
    title: str
    summary: str
    story: str
    goal: Decimal
    delivery_note: str
    tiers: tuple  # (title, amount, units, description, limit)
    updates: tuple  # (days after launch, title, body)
    backers: tuple  # (tier index, how many)
    launched_days_ago: int
    days: int


PROJECTS = (
    DemoProject(
        slug="adopt-gaozhou-lychee-tree", brand_slug="gaozhou-lychee", partner_code="gz-genzi-lizhi",
        title="认养一棵高州荔枝树", summary="认养根子镇贫困户管护的一棵白糖罂荔枝树，收获一整季鲜果",
        story=("高州根子镇柏桥村的荔枝园由建档立卡贫困户管护，许多果树树龄已过百年。\n"
               "认养款在开花前就到达果农手中，用于疏花、施有机肥和人工采摘，不再为了周转低价卖青果。\n"
               "众筹成功后，合作社在五月下旬至六月上旬分批采摘，采后两小时内预冷，冷链直达您选择的社区自提点；"
               "未筹满目标，全部款项自动原路退回。"),
        goal=Decimal("20000.00"), delivery_note="2027年5月下旬至6月上旬分批采摘，冷链配送到有冷藏条件的自提点",
        tiers=(("认养半棵树", Decimal("168.00"), 2, "白糖罂鲜果 2 箱（每箱 3 斤），分两次冷链到自提点", None),
               ("认养一棵树", Decimal("298.00"), 4, "白糖罂鲜果 4 箱（共 12 斤）+ 电子认养证书（挂牌认养人姓名）", None),
               ("家庭认养·三棵", Decimal("828.00"), 12, "鲜果 12 箱（共 36 斤），分三次配送，可邀请到园采摘一次", 20)),
        updates=((1, "认养开始：今年的树都挂牌了", "合作社为每棵认养树挂上编号牌，花期预计在二月下旬。"),
                 (12, "花开了", "柏桥村的荔枝进入盛花期，果农正在人工疏花，保证每穗坐果均匀。")),
        backers=((0, 9), (1, 14), (2, 2)), launched_days_ago=20, days=60,
    ),
    DemoProject(
        slug="adopt-meizhou-pomelo-tree", brand_slug="meizhou-jinyou", partner_code="mx-yanyang-jinyou",
        title="认养一棵梅州金柚树", summary="认养雁洋镇一棵金柚树，秋天收获一树金柚",
        story=("梅县区雁洋镇的金柚园由合作社带动贫困户统一管护、统一标准采摘。\n"
               "认养款用于春季施肥和套袋，众筹成功后于十月采摘发货，未成功全额退款。"),
        goal=Decimal("8000.00"), delivery_note="2027年10月采摘后配送到自提点",
        tiers=(("认养一棵树·半季", Decimal("120.00"), 2, "金柚 2 盒（每盒 2 个，约 5 斤）", None),
               ("认养一棵树·整季", Decimal("216.00"), 4, "金柚 4 盒（8 个，约 20 斤）+ 认养证书", 30)),
        updates=((2, "金柚树已挂牌", "每棵认养树都挂上了认养牌，春肥已施下。"),),
        backers=((0, 6), (1, 5)), launched_days_ago=10, days=70,
    ),
)


def _product_for(spec):
    origins = ProductOrigin.objects.filter(brand__slug=spec.brand_slug).select_related("market_subject__partner",
                                                                                         "product")
    if spec.partner_code:
        origins = origins.filter(market_subject__partner__code=spec.partner_code)
    origin = origins.order_by("product_id").first()
    return (origin.product, origin.market_subject) if origin else (None, None)


def _pickup_point(product):
    points = ServicePoint.objects.filter(is_active=True, kind__in=ServicePoint.URBAN_KINDS).order_by("code")
    if product.origin.is_fresh:
        points = points.filter(has_cold_storage=True)
    # The demo pickup account's point first, so its staff see these orders once shipped.
    return points.filter(code=DEMO_PICKUP_POINT).first() or points.first()


def _backers(count, offset):
    User = get_user_model()
    users = []
    consumer = User.objects.filter(username=CONSUMER_EMAIL).first()
    if consumer is not None and offset == 0:
        users.append(consumer)
    index = 0
    while len(users) < count:
        index += 1
        email = f"backer{offset + index:03d}@xiangpin.demo"
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": "支持者", "last_name": f"{offset + index:03d}"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    return users


def _seed_project(spec, now, offset):
    product, subject = _product_for(spec)
    point = _pickup_point(product) if product else None
    if product is None or point is None:
        return {}
    created = {"众筹项目": 0, "回报档位": 0, "众筹支持": 0}
    launched = now - datetime.timedelta(days=spec.launched_days_ago)
    project = Project.objects.filter(slug=spec.slug).first()
    if project is None:
        project = Project.objects.create(
            slug=spec.slug, title=spec.title, summary=spec.summary, story=spec.story, market_subject=subject,
            product=product, goal_amount=spec.goal, deadline=launched + datetime.timedelta(days=spec.days),
            delivery_note=spec.delivery_note, state=Project.State.LIVE, launched_at=launched,
        )
        created["众筹项目"] += 1
    tiers = []
    for position, (title, amount, units, description, limit) in enumerate(spec.tiers, start=1):
        tier, made = RewardTier.objects.get_or_create(project=project, title=title, defaults={
            "amount": amount, "quantity": units, "description": description, "limit": limit, "position": position})
        created["回报档位"] += made
        tiers.append(tier)
    members = (Household.objects.filter(memberships__market_subject=subject)
               .order_by("-alias_consent", "registration_number")[:8])
    for household in members:
        ProjectHousehold.objects.get_or_create(project=project, household=household)
    for days, title, body in spec.updates:
        ProjectUpdate.objects.get_or_create(project=project, title=title, defaults={
            "body": body, "published_at": launched + datetime.timedelta(days=days)})
    users = iter(_backers(sum(count for _tier, count in spec.backers), offset))
    for tier_index, count in spec.backers:
        tier = tiers[tier_index]
        for n in range(count):
            user = next(users)
            if Pledge.objects.filter(project=project, tier=tier, user=user).exists():
                continue
            delivery = DeliveryChoice(method_code=services.PICKUP_METHOD_BY_KIND[point.kind],
                                      recipient_name=SURNAMES[(offset + n) % len(SURNAMES)] + "女士",
                                      recipient_phone=f"1370009{offset + n:04d}", service_point_id=point.pk)
            services.pledge_record(project=project, tier=tier, user=user, delivery=delivery,
                                   paid_at=launched + datetime.timedelta(hours=6 + 9 * n + tier_index))
            created["众筹支持"] += 1
    return created


@transaction.atomic
def crowdfunding_seed_demo(*, now=None) -> dict:
    """Seed the demo projects; returns {label: rows created}. Idempotent."""
    now = now or timezone.now()
    totals = {}
    for offset, spec in enumerate(PROJECTS):
        for label, count in _seed_project(spec, now, offset * 100).items():
            totals[label] = totals.get(label, 0) + count
    return totals
