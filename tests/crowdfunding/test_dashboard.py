"""The dashboard: a cooperative creates its project, tiers, households and an
update and launches it; another cooperative gets 404 on it and 403 naming it;
campaign managers see every project, programme officers only read; a project
past its deadline is settled from its page and shows its pledges' outcome."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.core.roles import CAMPAIGN_MANAGER, COOPERATIVE_STAFF, PROGRAMME_OFFICER, ensure_roles
from shop.crowdfunding.models import Project, ProjectHousehold, ProjectUpdate, RewardTier
from shop.crowdfunding.services import pickup_choice, pledge_record
from tests.factories import MarketSubjectFactory, UserFactory

from .conftest import backer

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(gaozhou):
    groups = ensure_roles()
    users = {
        "coop": UserFactory(username="coop"), "other_coop": UserFactory(username="other_coop"),
        "operations": UserFactory(username="operations", is_staff=True), "officer": UserFactory(username="officer"),
        "consumer": UserFactory(username="consumer"),
    }
    users["coop"].groups.add(groups[COOPERATIVE_STAFF])
    users["other_coop"].groups.add(groups[COOPERATIVE_STAFF])
    users["operations"].groups.add(groups[CAMPAIGN_MANAGER])
    users["officer"].groups.add(groups[PROGRAMME_OFFICER])
    gaozhou.subject.partner.users.add(users["coop"])
    other = MarketSubjectFactory(name="英德红茶专业合作社")
    other.partner.users.add(users["other_coop"])
    users["other_subject"] = other
    return users


def bo(name, **kwargs):
    return reverse(f"backoffice:crowdfunding-project-{name}", kwargs=kwargs or None)


def test_a_cooperative_builds_and_launches_its_project(client, gaozhou, people):
    client.force_login(people["coop"])
    deadline = timezone.localtime() + datetime.timedelta(days=60)
    data = {"title": "认养荔枝树·第二季", "slug": "adopt-lychee-2", "summary": "第二季", "story": "故事",
            "market_subject": gaozhou.subject.pk, "product": gaozhou.product.pk, "goal_amount": "3000.00",
            "deadline": (timezone.localtime() + datetime.timedelta(days=81)).strftime("%Y-%m-%dT%H:%M"),
            "delivery_note": "", "batch": ""}
    response = client.post(bo("create"), data)
    assert response.status_code == 200 and "众筹期最长 80 天" in response.content.decode()
    assert not Project.objects.filter(slug="adopt-lychee-2").exists()
    response = client.post(bo("create"), dict(data, deadline=deadline.strftime("%Y-%m-%dT%H:%M")))
    project = Project.objects.get(slug="adopt-lychee-2")
    assert (response.status_code, response.url) == (302, bo("detail", pk=project.pk))
    assert (project.state, project.created_by) == ("draft", people["coop"])

    assert client.post(bo("tier-create", pk=project.pk), {
        "title": "认养一棵树", "amount": "298.00", "quantity": "5", "description": "5 斤", "limit": "",
        "position": "1"}).status_code == 302
    response = client.post(bo("tier-create", pk=project.pk), {
        "title": "三斤", "amount": "100.00", "quantity": "3", "description": "3 斤", "limit": "", "position": "2"})
    assert response.status_code == 200 and "均分到分" in response.content.decode()
    assert client.post(bo("household-create", pk=project.pk), {"household": gaozhou.h1.pk, "note": "12 棵"}
                       ).status_code == 302
    assert client.post(bo("update-create", pk=project.pk), {"title": "开始认养", "body": "挂牌"}).status_code == 302
    assert client.post(bo("launch", pk=project.pk)).status_code == 302
    project.refresh_from_db()
    assert project.state == "live"
    assert list(RewardTier.objects.filter(project=project).values_list("title", "amount")) == [
        ("认养一棵树", Decimal("298.00"))]
    assert list(ProjectHousehold.objects.filter(project=project).values_list("household_id", "note")) == [
        (gaozhou.h1.pk, "12 棵")]
    assert ProjectUpdate.objects.get(project=project).created_by == people["coop"]

    html = client.get(bo("detail", pk=project.pk)).content.decode()
    assert gaozhou.h1.registration_number in html and gaozhou.h1.head_name not in html
    listed = client.get(bo("list")).context["object_list"]
    assert sorted(p.slug for p in listed) == ["adopt-gaozhou-lychee", "adopt-lychee-2"]


def test_another_cooperative_cannot_see_or_touch_the_project(client, gaozhou, people):
    project = gaozhou.project
    tier = gaozhou.tree
    client.force_login(people["other_coop"])
    assert list(client.get(bo("list")).context["object_list"]) == []
    for url in (bo("detail", pk=project.pk), bo("update", pk=project.pk), bo("tier-create", pk=project.pk),
                bo("tier-update", pk=project.pk, child_pk=tier.pk), bo("household-create", pk=project.pk)):
        assert client.get(url).status_code == 404, url
    for url in (bo("launch", pk=project.pk), bo("settle", pk=project.pk),
                bo("tier-delete", pk=project.pk, child_pk=tier.pk)):
        assert client.post(url).status_code == 404, url
    # Naming the other cooperative's subject in a new project: an out-of-scope choice.
    response = client.post(bo("create"), {
        "title": "x", "slug": "x", "summary": "x", "story": "x", "market_subject": gaozhou.subject.pk,
        "product": gaozhou.product.pk, "goal_amount": "100", "deadline": "2026-12-31T10:00"})
    assert response.status_code == 403
    assert RewardTier.objects.filter(pk=tier.pk).exists() and Project.objects.count() == 1


def test_campaign_managers_see_all_officers_read_consumers_are_refused(client, gaozhou, people):
    project = gaozhou.project
    client.force_login(people["operations"])
    assert client.get(bo("detail", pk=project.pk)).status_code == 200
    assert client.get(bo("update", pk=project.pk)).status_code == 200
    html = client.get(bo("household-create", pk=project.pk)).content.decode()
    assert gaozhou.h_other.registration_number not in html  # no household access: aliases only
    client.force_login(people["officer"])
    response = client.get(bo("detail", pk=project.pk))
    assert response.status_code == 200 and response.context["actions"][0].label == "查看项目页"
    assert client.get(bo("update", pk=project.pk)).status_code == 403
    assert client.post(bo("tier-delete", pk=project.pk, child_pk=gaozhou.tree.pk)).status_code == 403
    client.force_login(people["consumer"])
    assert client.get(bo("list")).status_code == 403
    client.logout()
    assert client.get(bo("list")).status_code == 302


def test_settling_from_the_dashboard_shows_every_pledges_outcome(client, gaozhou, people, cold_point):
    delivery = pickup_choice(project=gaozhou.project, service_point=cold_point, recipient_name="陈小敏",
                             recipient_phone="13800138000")
    pledges = [pledge_record(project=gaozhou.project, tier=gaozhou.tree, user=backer(n), delivery=delivery)
               for n in range(2)]
    client.force_login(people["coop"])
    assert "crowdfunding-settle" not in client.get(bo("detail", pk=gaozhou.project.pk)).content.decode()
    Project.objects.filter(pk=gaozhou.project.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    response = client.post(bo("settle", pk=gaozhou.project.pk), follow=True)
    html = response.content.decode()
    assert "结算完成：已结算" in html
    assert all(f'data-pledge="{p.number}" data-state="offline_refund"' in html for p in pledges)
    assert Project.objects.get(pk=gaozhou.project.pk).goal_met is False
