"""The project rules: a campaign is at most 80 days from launch (Alipay refunds
only for 90 days), its terms are fixed once live, a tier's amount splits evenly
over its units, households are the cooperative's members, and the project's
batch is supplied by exactly the project's households."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shop.crowdfunding import services
from shop.crowdfunding.models import Pledge, Project, RewardTier
from tests.factories import make_batch, make_household

from .conftest import backer, pledge_post

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 3, 1, 10, 0))


def _draft(gaozhou, deadline):
    return Project(slug="draft-lychee", title="认养荔枝", summary="s", story="s", market_subject=gaozhou.subject,
                   product=gaozhou.product, goal_amount=Decimal("5000.00"), deadline=deadline)


@pytest.mark.parametrize("days, minutes, ok", [(80, 0, True), (80, 1, False), (81, 0, False), (1, 0, True)])
def test_a_deadline_more_than_80_days_ahead_is_rejected(gaozhou, days, minutes, ok):
    project = _draft(gaozhou, NOW + datetime.timedelta(days=days, minutes=minutes))
    if ok:
        services.project_save(project=project, now=NOW)
        assert Project.objects.get(slug="draft-lychee").state == "draft"
    else:
        with pytest.raises(ValidationError) as error:
            services.project_save(project=project, now=NOW)
        assert error.value.message_dict["deadline"] == [
            "众筹期最长 80 天（支付宝只能在付款后 90 天内退款，须留出结算和退款时间）：截止时间最晚为 2026-05-20 10:00"]
        assert not Project.objects.filter(slug="draft-lychee").exists()


def test_launch_checks_the_80_days_from_the_launch_and_needs_a_tier(gaozhou):
    project = services.project_save(project=_draft(gaozhou, NOW + datetime.timedelta(days=70)), now=NOW)
    with pytest.raises(ValidationError, match="请先添加至少一个回报档位"):
        services.project_launch(project=project, now=NOW)
    RewardTier.objects.create(project=project, title="一棵", amount=Decimal("100.00"), description="d", quantity=2)
    with pytest.raises(ValidationError, match="众筹期最长 80 天"):  # launched 11 days later: 81 days left
        services.project_launch(project=project, now=NOW - datetime.timedelta(days=11))
    with pytest.raises(ValidationError, match="截止时间须晚于上线时间"):
        services.project_launch(project=project, now=NOW + datetime.timedelta(days=70))
    services.project_launch(project=project, now=NOW + datetime.timedelta(days=1))
    project.refresh_from_db()
    assert (project.state, project.launched_at) == ("live", NOW + datetime.timedelta(days=1))


def test_a_live_projects_terms_are_fixed(gaozhou):
    project = Project.objects.get(pk=gaozhou.project.pk)
    project.deadline += datetime.timedelta(days=30)
    with pytest.raises(ValidationError, match="项目已上线"):
        services.project_save(project=project)
    project = Project.objects.get(pk=gaozhou.project.pk)
    project.goal_amount = Decimal("1.00")
    with pytest.raises(ValidationError, match="项目已上线"):
        services.project_save(project=project)
    project = Project.objects.get(pk=gaozhou.project.pk)
    project.summary = "新的介绍"
    services.project_save(project=project)
    assert Project.objects.get(pk=project.pk).summary == "新的介绍"


def test_a_tier_amount_splits_over_its_units_to_the_fen_and_is_fixed_once_pledged(client, gaozhou, stripe_on,
                                                                                  cold_point):
    with pytest.raises(ValidationError) as error:
        services.tier_save(tier=RewardTier(project=gaozhou.project, title="三斤", amount=Decimal("100.00"),
                                           description="d", quantity=3))
    assert "均分到分" in error.value.message_dict["amount"][0]
    services.tier_save(tier=RewardTier(project=gaozhou.project, title="三斤", amount=Decimal("99.99"),
                                       description="d", quantity=3))
    pledge_post(client, backer(1), gaozhou.project, gaozhou.tree, cold_point, "alipay")
    tree = RewardTier.objects.get(pk=gaozhou.tree.pk)
    tree.amount = Decimal("398.00")
    with pytest.raises(ValidationError, match="已有人支持"):
        services.tier_save(tier=tree)
    with pytest.raises(ValidationError, match="已有人支持"):
        services.tier_delete(tier=tree)


def test_households_must_be_members_and_the_batch_must_be_theirs(gaozhou):
    outsider = make_household(head_name="外村户")
    with pytest.raises(ValidationError, match="不是发起合作社的成员"):
        services.project_household_add(project=gaozhou.project, household=outsider)
    with pytest.raises(ValidationError, match="该农户已在项目中"):
        services.project_household_add(project=gaozhou.project, household=gaozhou.h1)
    # The older batch is supplied by another household: not the project's.
    with pytest.raises(ValidationError, match="供货农户须与项目参与农户完全一致"):
        services.batch_validate(project=gaozhou.project, batch=gaozhou.old_batch)
    partial = make_batch(product=gaozhou.product, quantity=10, households=[(gaozhou.h1, 10)])
    with pytest.raises(ValidationError, match="供货农户须与项目参与农户完全一致"):
        services.batch_validate(project=gaozhou.project, batch=partial)
    batch = gaozhou.batch_add()
    services.batch_validate(project=gaozhou.project, batch=batch)
    with pytest.raises(ValidationError, match="项目已设置批次"):
        services.project_household_remove(project_household=gaozhou.project.project_households.first())


def test_a_limited_tier_takes_no_more_backers_than_its_limit(client, gaozhou, stripe_on, cold_point):
    for n in range(3):
        pledge_post(client, backer(n), gaozhou.project, gaozhou.half, cold_point, "wechat_pay")
    client.force_login(backer(9))
    response = client.post(f"/zh-hans/crowdfunding/{gaozhou.project.slug}/pledge/", {
        "tier": gaozhou.half.pk, "method": "alipay", "service_point": cold_point.pk, "recipient_name": "陈小敏",
        "recipient_phone": "13800138000"})
    assert response.status_code == 400
    assert "「认养半棵树」已被认领完" in response.content.decode()
    assert Pledge.objects.count() == 3
