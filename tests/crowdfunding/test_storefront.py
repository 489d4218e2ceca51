"""The public pages: the project list and page (progress bar, raised, backers,
countdown, tiers, households by consented alias only, updates), the pledge form
for signed-in consumers, the demo's 'not offered online' without Stripe keys,
and pledges visible to their backer only."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.crowdfunding.models import Pledge, Project, ProjectUpdate
from shop.crowdfunding.services import pledge_record, pickup_choice

from .conftest import backer, pledge_post

pytestmark = pytest.mark.django_db


def _record(gaozhou, point, n, tier):
    delivery = pickup_choice(project=gaozhou.project, service_point=point, recipient_name="陈小敏",
                             recipient_phone="13800138000")
    return pledge_record(project=gaozhou.project, tier=tier, user=backer(n), delivery=delivery)


def test_the_project_page_shows_progress_tiers_households_by_alias_and_updates(client, gaozhou, cold_point):
    _record(gaozhou, cold_point, 1, gaozhou.tree)
    _record(gaozhou, cold_point, 2, gaozhou.half)
    ProjectUpdate.objects.create(project=gaozhou.project, title="花开了", body="盛花期",
                                 published_at=timezone.now() - datetime.timedelta(days=1))
    ProjectUpdate.objects.create(project=gaozhou.project, title="明天的动态", body="未发布",
                                 published_at=timezone.now() + datetime.timedelta(days=1))
    response = client.get(reverse("crowdfunding:detail", args=[gaozhou.project.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    progress = response.context["progress"]
    assert (progress.raised, progress.backers, progress.percent) == (Decimal("418.00"), 2, 41)
    assert 'data-cf-raised="418.00"' in html and 'data-cf-backers="2"' in html
    assert 'style="width: 41%"' in html and "<time data-countdown" in html
    assert [offer.left for offer in response.context["tiers"]] == [None, 2]
    assert "限量 3 份，剩余 2 份" in html
    aliases = [gaozhou.h1.public_alias, gaozhou.h2.public_alias]
    assert all(aliases) and all(f"<li data-household-alias>{alias}</li>" in html for alias in aliases)
    assert 'data-households-unnamed="1"' in html
    for household in (gaozhou.h1, gaozhou.h2, gaozhou.h_private):
        assert household.head_name not in html and household.registration_number not in html
        assert household.id_number not in html
    assert "花开了" in html and "明天的动态" not in html
    # No Stripe keys here: no online pledge.
    assert 'id="cf-offline"' in html and 'id="cf-pledge-form"' not in html

    listing = client.get(reverse("crowdfunding:list")).content.decode()
    assert 'data-project="adopt-gaozhou-lychee"' in listing and 'data-cf-percent="41"' in listing


def test_without_stripe_keys_pledging_is_not_offered_online(client, gaozhou, cold_point, settings):
    settings.STRIPE_SECRET_KEY = ""
    user = backer(1)
    client.force_login(user)
    html = client.get(reverse("crowdfunding:detail", args=[gaozhou.project.slug])).content.decode()
    assert 'id="cf-offline"' in html and "在线支持暂未开通" in html
    assert 'id="cf-pledge-form"' not in html
    response = client.post(reverse("crowdfunding:pledge-create", args=[gaozhou.project.slug]), {
        "tier": gaozhou.tree.pk, "method": "alipay", "service_point": cold_point.pk, "recipient_name": "陈",
        "recipient_phone": "13800138000"})
    assert response.status_code == 400 and Pledge.objects.count() == 0


def test_a_signed_in_consumer_sees_the_form_and_fresh_fruit_needs_a_cold_point(client, gaozhou, stripe_on,
                                                                             cold_point, plain_point):
    anonymous = client.get(reverse("crowdfunding:detail", args=[gaozhou.project.slug])).content.decode()
    assert "登录后支持" in anonymous and 'id="cf-pledge-form"' not in anonymous
    user = backer(1)
    client.force_login(user)
    response = client.get(reverse("crowdfunding:detail", args=[gaozhou.project.slug]))
    assert 'id="cf-pledge-form"' in response.content.decode()
    form = response.context["form"]
    assert list(form.fields["service_point"].queryset) == [cold_point]
    assert [code for code, _label in form.fields["method"].choices] == ["card", "alipay", "wechat_pay"]
    response = client.post(reverse("crowdfunding:pledge-create", args=[gaozhou.project.slug]), {
        "tier": gaozhou.tree.pk, "method": "alipay", "service_point": plain_point.pk, "recipient_name": "陈",
        "recipient_phone": "13800138000"})
    assert response.status_code == 400 and Pledge.objects.count() == 0


def test_a_pledge_page_is_its_backers_only(client, gaozhou, stripe_on, cold_point):
    pledge = pledge_post(client, backer(1), gaozhou.project, gaozhou.tree, cold_point, "alipay")
    url = reverse("crowdfunding:pledge", args=[pledge.reference])
    assert client.get(url).status_code == 200
    client.force_login(backer(2))
    assert client.get(url).status_code == 404
    assert client.post(reverse("crowdfunding:pledge-cancel", args=[pledge.reference])).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response.url


def test_drafts_are_not_public_and_a_closed_project_takes_no_pledge(client, gaozhou, stripe_on, cold_point):
    Project.objects.filter(pk=gaozhou.project.pk).update(state="draft")
    assert client.get(reverse("crowdfunding:detail", args=[gaozhou.project.slug])).status_code == 404
    Project.objects.filter(pk=gaozhou.project.pk).update(state="live", deadline=timezone.now())
    client.force_login(backer(1))
    response = client.post(reverse("crowdfunding:pledge-create", args=[gaozhou.project.slug]), {
        "tier": gaozhou.tree.pk, "method": "alipay", "service_point": cold_point.pk, "recipient_name": "陈",
        "recipient_phone": "13800138000"})
    assert response.status_code == 400 and "不在众筹期内" in response.content.decode()


def test_a_backer_cancels_a_pledge_not_yet_paid(client, gaozhou, stripe_on, stripe_front, cold_point):
    pledge = pledge_post(client, backer(1), gaozhou.project, gaozhou.tree, cold_point, "alipay")
    client.post(reverse("crowdfunding:pledge", args=[pledge.reference]))  # to Alipay, and back without paying
    response = client.post(reverse("crowdfunding:pledge-cancel", args=[pledge.reference]))
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.state, pledge.payment.status) == ("canceled", "canceled")
    assert stripe_front.wallet_intents[pledge.payment.intent_id]["status"] == "canceled"
