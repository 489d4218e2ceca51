"""crowdfunding_seed_demo: live projects with backers recorded as paid (no
Stripe), households of the cooperative, tiers and updates; a rerun adds nothing."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shop.crowdfunding.demo import crowdfunding_seed_demo
from shop.crowdfunding.models import Pledge, Project, ProjectHousehold
from shop.crowdfunding.selectors import progress_of, projects_public
from tests.factories import BrandFactory, MarketSubjectFactory, UserFactory, make_household, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(cold_point):
    subject = MarketSubjectFactory(name="高州市根子镇荔枝专业合作社")
    subject.partner.code = "gz-genzi-lizhi"
    subject.partner.save()
    brand = BrandFactory(slug="gaozhou-lychee", name="高州荔枝")
    make_product(title="高州荔枝 白糖罂 3斤", market_subject=subject, brand=brand, is_fresh=True)
    for n in range(3):
        make_household(head_name=f"梁{n}", market_subjects=[subject])
    return UserFactory(username="consumer@xiangpin.demo", email="consumer@xiangpin.demo")


def test_a_live_project_with_backers_and_a_rerun_adds_nothing(demo_world, cold_point):
    created = crowdfunding_seed_demo()
    # The pomelo cooperative is not in this world: only the lychee project.
    assert created == {"众筹项目": 1, "回报档位": 3, "众筹支持": 25}
    project = Project.objects.get()
    assert (project.slug, project.state, project.goal_amount) == ("adopt-gaozhou-lychee-tree", "live",
                                                                  Decimal("20000.00"))
    assert (project.deadline - project.launched_at).days == 60
    progress = progress_of(projects_public().get())
    assert (progress.raised, progress.backers, progress.percent) == (Decimal("7340.00"), 25, 36)
    assert set(Pledge.objects.values_list("method", "state")) == {("recorded", "paid")}
    assert Pledge.objects.filter(user=demo_world).count() == 1
    assert ProjectHousehold.objects.count() == 3
    assert {p.delivery["service_point_id"] for p in Pledge.objects.all()} == {cold_point.pk}

    users = get_user_model().objects.count()
    assert crowdfunding_seed_demo() == {"众筹项目": 0, "回报档位": 0, "众筹支持": 0}
    assert (Pledge.objects.count(), get_user_model().objects.count()) == (25, users)
