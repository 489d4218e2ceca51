"""A lychee-tree adoption project (认养一棵高州荔枝树) of a Gaozhou cooperative,
its households and batch, backers, and helpers that pledge through the real
pages against the local Stripe emulator (tests/payments: localstripe behind the
front that keeps idempotency keys and emulates wallet intents)."""
import datetime
import json
from decimal import Decimal

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from shop.crowdfunding.models import Pledge, Project, ProjectHousehold, RewardTier
from tests.checkout.conftest import cold_point, plain_point, tianhe, yuexiu  # noqa: F401  (fixtures)
from tests.factories import (
    CountyFactory,
    MarketSubjectFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    make_batch,
    make_household,
    make_product,
)
from tests.payments.conftest import deliver, localstripe_url, stripe_front, stripe_on  # noqa: F401  (fixtures)

LAUNCHED = timezone.now() - datetime.timedelta(days=30)


class Gaozhou:
    """The cooperative, its households (two behind the project, one not), the
    product, an older batch of the same product, the project's batch and tiers."""

    def __init__(self):
        county = CountyFactory(code="440981", name="高州市", city__code="440900", city__name="茂名市")
        village = VillageFactory(township=TownshipFactory(county=county, code="440981100", name="根子镇"),
                                 code="440981100201", name="柏桥村", is_provincial_poor_village=True)
        self.subject = MarketSubjectFactory(name="高州市根子镇荔枝专业合作社", county=county)
        self.h1 = make_household(village=village, head_name="梁荣辉", market_subjects=[self.subject])
        self.h2 = make_household(village=village, head_name="陈秀英", market_subjects=[self.subject])
        self.h_private = make_household(village=village, head_name="黎家豪", market_subjects=[self.subject],
                                        alias_consent=False)
        self.h_other = make_household(village=village, head_name="何志强", market_subjects=[self.subject])
        self.product = make_product(title="高州荔枝·认养树鲜果 1斤", market_subject=self.subject, village=village,
                                    price=Decimal("39.00"), stock=0, is_fresh=True)
        # Harvested first: first-harvested-first-sold would take it; the project's lines must not.
        self.old_batch = make_batch(product=self.product, quantity=50, households=[(self.h_other, 50)],
                                    harvested_on=datetime.date(2026, 6, 1))
        self.project = Project.objects.create(
            slug="adopt-gaozhou-lychee", title="认养一棵高州荔枝树", summary="一棵树一季果，成熟后冷链到社区",
            story="根子镇柏桥村的荔枝树由建档立卡贫困户管护。\n认养款直接用于疏花、施肥和采摘。",
            market_subject=self.subject, product=self.product, goal_amount=Decimal("1000.00"),
            deadline=LAUNCHED + datetime.timedelta(days=40), state=Project.State.LIVE, launched_at=LAUNCHED,
        )
        self.tree = RewardTier.objects.create(project=self.project, title="认养一棵树", amount=Decimal("298.00"),
                                              description="一季鲜果 5 斤，挂牌认养证书", quantity=5, position=1)
        self.half = RewardTier.objects.create(project=self.project, title="认养半棵树", amount=Decimal("120.00"),
                                              description="一季鲜果 2 斤", quantity=2, limit=3, position=2)
        for household in (self.h1, self.h2, self.h_private):
            ProjectHousehold.objects.create(project=self.project, household=household)

    def batch_add(self, quantity=100):
        """The project's batch: 100 units from its three households (50 + 30 + 20)."""
        batch = make_batch(product=self.product, quantity=quantity,
                           households=[(self.h1, 50), (self.h2, 30), (self.h_private, 20)],
                           harvested_on=datetime.date(2026, 6, 20))
        Project.objects.filter(pk=self.project.pk).update(batch=batch)
        self.project.refresh_from_db()
        return batch


@pytest.fixture
def gaozhou(db):
    return Gaozhou()


def after_deadline(project):
    return project.deadline + datetime.timedelta(minutes=1)


def backer(n):
    return UserFactory(email=f"backer{n}@example.com", first_name="小", last_name=f"支持者{n}")


def pledge_post(client, user, project, tier, point, method):
    """A signed-in backer's pledge through the project page's form."""
    client.force_login(user)
    response = client.post(reverse("crowdfunding:pledge-create", args=[project.slug]), {
        "tier": tier.pk, "method": method, "service_point": point.pk, "recipient_name": "陈小敏",
        "recipient_phone": "138 0013 8000",
    })
    assert response.status_code == 302, response.content.decode()
    pledge = Pledge.objects.filter(user=user).latest("pk")
    assert response.url == pledge.get_absolute_url()
    return pledge


def wallet_pay(client, stripe_front, pledge):
    """The backer pays in the wallet; Stripe's signed event tells the store."""
    response = client.post(reverse("crowdfunding:pledge", args=[pledge.reference]))
    pledge.refresh_from_db()
    payment = pledge.payment
    if pledge.method == "alipay":
        assert (response.status_code, response.url) == (302, f"https://hooks.stripe.com/alipay/{payment.intent_id}")
    else:
        assert response.status_code == 200 and 'id="wechat-qr"' in response.content.decode()
    deliver(client, "payment_intent.succeeded", stripe_front.wallet_update(payment.intent_id, status="succeeded"))
    pledge.refresh_from_db()
    assert pledge.state == "paid"
    return pledge


def card_save(client, localstripe_url, pledge, number="4242424242424242"):
    """What the pledge page's script does: Stripe.js confirms the SetupIntent with
    the card typed in (at localstripe, as the browser would), then tells the store."""
    page = client.get(reverse("crowdfunding:pledge", args=[pledge.reference]))
    secret = page.context["client_secret"]
    setup_intent = secret.split("_secret_")[0]
    confirmed = requests.post(f"{localstripe_url}/v1/setup_intents/{setup_intent}/confirm", data=json.dumps({
        "key": "pk_test_xiangpin", "use_stripe_sdk": True, "client_secret": secret,
        "payment_method_data": {"type": "card", "card": {"number": number, "exp_month": "12", "exp_year": "2031",
                                                         "cvc": "123"}},
    }), timeout=5)
    assert confirmed.status_code == 200, confirmed.text
    response = client.post(reverse("crowdfunding:pledge-card", args=[pledge.reference]))
    assert response.json() == {"redirect": pledge.get_absolute_url()}
    pledge.refresh_from_db()
    assert pledge.state == "card_saved"
    return pledge


def pledge_paid(client, stripe_front, localstripe_url, user, project, tier, point, method):
    pledge = pledge_post(client, user, project, tier, point, method)
    if method == "card":
        return card_save(client, localstripe_url, pledge)
    return wallet_pay(client, stripe_front, pledge)
