"""Demo accounts, one per role (usernames are e-mail addresses), and the
django.contrib.sites Site Oscar uses in e-mails and links."""
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sites.models import Site as DjangoSite
from oscar.core.loading import get_model

from shop.core import roles
from shop.regions.models import ServicePoint

Partner = get_model("partner", "Partner")

DEMO_PASSWORD = "xiangpin-demo-2026"
SITE_DOMAIN = "127.0.0.1:8000"
SITE_NAME = "乡品通"
COOP_PARTNER_CODE = "mx-yanyang-jinyou"
PICKUP_POINT_CODE = "gz-th-liede"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    first_name: str
    last_name: str
    group: str | None = None
    is_staff: bool = False
    is_superuser: bool = False
    scope: str = ""


ACCOUNTS = [
    DemoAccount("消费者", "consumer@xiangpin.demo", "小敏", "陈"),
    DemoAccount("合作社工作人员", "coop@xiangpin.demo", "国强", "叶", group=roles.COOPERATIVE_STAFF,
                scope="梅县区雁洋镇金柚专业合作社"),
    DemoAccount("运营", "campaign@xiangpin.demo", "嘉怡", "梁", group=roles.CAMPAIGN_MANAGER, is_staff=True),
    DemoAccount("自提点工作人员", "pickup@xiangpin.demo", "志华", "黄", group=roles.PICKUP_STAFF,
                scope="猎德社区扶贫产品自提点"),
    DemoAccount("项目官员", "officer@xiangpin.demo", "文华", "李", group=roles.PROGRAMME_OFFICER),
    DemoAccount("管理员", "admin@xiangpin.demo", "管理员", "", is_staff=True, is_superuser=True),
]


def ensure_django_site() -> None:
    site, created = DjangoSite.objects.get_or_create(pk=1, defaults={"domain": SITE_DOMAIN, "name": SITE_NAME})
    if not created and (site.domain, site.name) != (SITE_DOMAIN, SITE_NAME):
        site.domain, site.name = SITE_DOMAIN, SITE_NAME
        site.save()


def _demo_password_hash(users) -> str:
    """One hash for every demo account, so a rerun hashes at most once."""
    for user in users:
        if user.check_password(DEMO_PASSWORD):
            return user.password
    return make_password(DEMO_PASSWORD)


def _ensure_users(groups: dict) -> tuple[dict, int]:
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[a.email for a in ACCOUNTS])}
    password = _demo_password_hash(users.values())
    created = 0
    for account in ACCOUNTS:
        user = users.get(account.email)
        if user is None:
            user = User(username=account.email, email=account.email, first_name=account.first_name,
                        last_name=account.last_name)
            created += 1
        wanted = {"is_staff": account.is_staff, "is_superuser": account.is_superuser, "password": password}
        if user.pk is None or any(getattr(user, field) != value for field, value in wanted.items()):
            for field, value in wanted.items():
                setattr(user, field, value)
            user.save()
        if account.group:
            user.groups.add(groups[account.group])
        users[account.email] = user
    return users, created


def seed_accounts() -> tuple[dict, list[DemoAccount]]:
    ensure_django_site()
    groups = roles.ensure_roles()
    users, created = _ensure_users(groups)
    partner = Partner.objects.filter(code=COOP_PARTNER_CODE).first()
    if partner:
        partner.users.add(users["coop@xiangpin.demo"])
    point = ServicePoint.objects.filter(code=PICKUP_POINT_CODE).first()
    if point:
        point.staff.add(users["pickup@xiangpin.demo"])
    return {"User": created}, ACCOUNTS
