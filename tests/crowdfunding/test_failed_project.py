"""A project that misses its goal: every paid pledge is refunded exactly once
(counted at the Stripe front's request log, at the emulated wallet's refunds and
in the database), across repeated runs and a crash between two refunds; saved
cards are never charged."""
from decimal import Decimal

import pytest

from shop.crowdfunding.models import Pledge, Project
from shop.crowdfunding.settlement import project_settle
from shop.payments import gateway
from shop.payments.models import OnlineRefund

from .conftest import after_deadline, backer, pledge_paid

pytestmark = pytest.mark.django_db


def _wallet_refunds(stripe_front, pledges):
    intents = {pledge.payment.intent_id for pledge in pledges}
    return sorted((refund["payment_intent"], refund["amount"]) for refund in stripe_front.wallet_refunds.values()
                  if refund["payment_intent"] in intents)


def test_mixed_pledges_end_with_no_card_charged_and_every_wallet_refunded(client, gaozhou, stripe_on, stripe_front,
                                                                         cold_point):
    project, tree, half = gaozhou.project, gaozhou.tree, gaozhou.half
    plan = [("card", tree), ("alipay", tree), ("wechat_pay", half), ("card", half), ("alipay", half)]
    pledges = [pledge_paid(client, stripe_front, stripe_on, backer(n), project, tier, cold_point, method)
               for n, (method, tier) in enumerate(plan)]
    assert sum(p.amount for p in pledges) == Decimal("956.00")  # < ¥1,000.00
    wallets = [p for p in pledges if p.method != "card"]
    stripe_front.log.clear()

    result = project_settle(project=project, now=after_deadline(project))
    project.refresh_from_db()
    assert (project.state, project.goal_met, project.decided_total) == ("settled", False, Decimal("956.00"))
    assert sorted(result.refunded) == sorted(p.number for p in wallets)
    assert sorted(result.released) == sorted(p.number for p in pledges if p.method == "card")
    states = dict(Pledge.objects.values_list("number", "state"))
    assert states == {p.number: ("released" if p.method == "card" else "refunded") for p in pledges}

    # Stripe saw: no PaymentIntent at all (no card charged, nothing to capture), one refund per wallet pledge.
    assert stripe_front.creates("/v1/payment_intents") == []
    assert [path for _m, path, _k, _p in stripe_front.log if "capture" in path] == []
    refunds = stripe_front.creates("/v1/refunds")
    assert sorted(dict(params)["payment_intent"] for _key, params in refunds) == sorted(
        p.payment.intent_id for p in wallets)
    assert sorted(dict(params)["amount"] for _key, params in refunds) == ["12000", "12000", "29800"]
    assert _wallet_refunds(stripe_front, wallets) == sorted(
        (p.payment.intent_id, int(p.amount * 100)) for p in wallets)
    assert sorted(OnlineRefund.objects.values_list("payment__pledge__number", "amount", "status")) == sorted(
        (p.number, p.amount, "pending") for p in wallets)
    assert all(p.payment_id is None for p in Pledge.objects.filter(method="card"))

    # Once more: nothing new.
    stripe_front.log.clear()
    again = project_settle(project=project, now=after_deadline(project))
    assert (again.refunded, again.released, stripe_front.log) == ([], [], [])
    assert OnlineRefund.objects.count() == 3


@pytest.mark.parametrize("crash", ["after_stripe_answered", "before_the_call"])
def test_a_crash_between_refunds_and_two_more_runs_refund_each_pledge_once(client, gaozhou, stripe_on, stripe_front,
                                                                           cold_point, monkeypatch, crash):
    project = gaozhou.project
    Project.objects.filter(pk=project.pk).update(goal_amount=Decimal("5000.00"))
    methods = ["alipay", "wechat_pay", "alipay", "wechat_pay"]
    pledges = [pledge_paid(client, stripe_front, stripe_on, backer(n), project, gaozhou.tree, cold_point, method)
               for n, method in enumerate(methods)]
    stripe_front.log.clear()
    real_create = gateway.refund_create
    calls = []

    def crashing_create(**kwargs):
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 2:
            if crash == "after_stripe_answered":
                real_create(**kwargs)  # Stripe refunds; the process dies before the answer is recorded
            raise RuntimeError("worker killed")
        return real_create(**kwargs)

    monkeypatch.setattr(gateway, "refund_create", crashing_create)
    with pytest.raises(RuntimeError, match="worker killed"):
        project_settle(project=project, now=after_deadline(project))
    monkeypatch.setattr(gateway, "refund_create", real_create)
    states = list(Pledge.objects.order_by("pk").values_list("state", flat=True))
    assert states == ["refunded", "refunding", "paid", "paid"]
    assert Project.objects.get(pk=project.pk).state == "failed"

    project_settle(project=project, now=after_deadline(project))
    project_settle(project=project, now=after_deadline(project))

    assert list(Pledge.objects.order_by("pk").values_list("state", flat=True)) == ["refunded"] * 4
    assert Project.objects.get(pk=project.pk).state == "settled"
    refund_posts = stripe_front.creates("/v1/refunds")
    keys = [key for key, _params in refund_posts]
    # The crashed refund was asked again with its stored key (replayed by Stripe), never with a new one.
    assert len(set(keys)) == 4
    assert len(keys) == (5 if crash == "after_stripe_answered" else 4)
    assert _wallet_refunds(stripe_front, pledges) == sorted((p.payment.intent_id, 29800) for p in pledges)
    assert sorted(OnlineRefund.objects.values_list("idempotency_key", flat=True)) == sorted(set(keys))
    assert OnlineRefund.objects.filter(refund_id__isnull=False).count() == 4
