"""Saved cards: the Customer and the SetupIntent are created with keys stored
before the calls (a consumer's second pledge reuses the Customer); at success a
declined card ends 扣款失败 with no order while the others are fulfilled; a
charge whose answer was lost is asked again with the same key and makes one
PaymentIntent."""
from decimal import Decimal

import pytest
import requests
import stripe

from shop.crowdfunding.models import BackerCustomer, Pledge, Project
from shop.crowdfunding.settlement import project_settle
from shop.payments import gateway
from shop.payments.models import OnlinePayment

from .conftest import after_deadline, backer, card_save, pledge_paid, pledge_post

pytestmark = pytest.mark.django_db


def _intents_for(localstripe_url, payment):
    response = requests.get(f"{localstripe_url}/v1/payment_intents", params={"limit": 100000},
                            auth=("sk_test_xiangpin", ""), timeout=10)
    return [intent for intent in response.json()["data"]
            if intent["metadata"].get("payment_reference") == str(payment.reference)]


def test_customer_and_setup_intent_keys_are_stored_before_the_calls(client, gaozhou, stripe_on, stripe_front,
                                                                    cold_point):
    user = backer(1)
    first = card_save(client, stripe_on, pledge_post(client, user, gaozhou.project, gaozhou.tree, cold_point, "card"))
    second = card_save(client, stripe_on, pledge_post(client, user, gaozhou.project, gaozhou.half, cold_point, "card"))
    customer = BackerCustomer.objects.get(user=user)
    [(customer_key, customer_params)] = stripe_front.creates("/v1/customers")
    assert customer_key == customer.idempotency_key
    setups = stripe_front.creates("/v1/setup_intents")
    assert [key for key, _params in setups] == [first.setup_key, second.setup_key]
    for _key, params in setups:
        params = dict(params)
        assert (params["customer"], params["usage"], params["payment_method_types[0]"]) == (
            customer.customer_id, "off_session", "card")
    assert first.customer_id == second.customer_id == customer.customer_id
    # A reload of the pledge page asks nothing new of Stripe.
    stripe_front.log.clear()
    client.get(f"/zh-hans/crowdfunding/pledges/{first.reference}/")
    assert stripe_front.log == []
    # A wallet cannot be saved for later.
    with pytest.raises(ValueError, match="wallets cannot be saved"):
        gateway.setup_intent_create(params={"payment_method_types": ["alipay"]}, idempotency_key="k")


def test_a_declined_saved_card_fails_alone_and_gets_no_order(client, gaozhou, stripe_on, stripe_front, cold_point):
    gaozhou.batch_add()
    good = [pledge_paid(client, stripe_front, stripe_on, backer(n), gaozhou.project, gaozhou.tree, cold_point, method)
            for n, method in enumerate(["card", "alipay", "wechat_pay", "alipay"])]
    declined = card_save(client, stripe_on, pledge_post(client, backer(7), gaozhou.project, gaozhou.tree,
                                                        cold_point, "card"), number="4000000000000341")
    result = project_settle(project=gaozhou.project, now=after_deadline(gaozhou.project))
    assert result.charge_failed == [declined.number]
    assert sorted(result.fulfilled) == sorted(p.number for p in good)
    declined.refresh_from_db()
    assert (declined.state, declined.order_id, declined.payment.status) == ("charge_failed", None, "failed")
    assert "declined" in declined.problem
    assert Project.objects.get(pk=gaozhou.project.pk).state == "settled"
    # Asked once: no second try on a later run.
    stripe_front.log.clear()
    project_settle(project=gaozhou.project, now=after_deadline(gaozhou.project))
    assert stripe_front.log == []


def test_a_lost_charge_answer_is_asked_again_with_the_same_key(client, gaozhou, stripe_on, stripe_front, cold_point,
                                                                monkeypatch):
    gaozhou.batch_add()
    Project.objects.filter(pk=gaozhou.project.pk).update(goal_amount=Decimal("298.00"))
    pledge = pledge_paid(client, stripe_front, stripe_on, backer(1), gaozhou.project, gaozhou.tree, cold_point, "card")
    real_create = gateway.intent_create

    def lost(**kwargs):
        real_create(**kwargs)  # Stripe charges the card; the answer never arrives
        raise stripe.APIConnectionError("connection reset")

    monkeypatch.setattr(gateway, "intent_create", lost)
    first = project_settle(project=gaozhou.project, now=after_deadline(gaozhou.project))
    pledge.refresh_from_db()
    assert (pledge.state, first.charged, list(first.waiting)) == ("charging", [], [pledge.number])
    monkeypatch.setattr(gateway, "intent_create", real_create)

    second = project_settle(project=gaozhou.project, now=after_deadline(gaozhou.project))
    pledge.refresh_from_db()
    assert (pledge.state, second.charged, second.fulfilled) == ("fulfilled", [pledge.number], [pledge.number])
    creates = stripe_front.creates("/v1/payment_intents")
    assert [key for key, _params in creates] == [pledge.payment.idempotency_key] * 2
    assert len(_intents_for(stripe_on, pledge.payment)) == 1
    assert OnlinePayment.objects.get(pk=pledge.payment_id).amount_received_fen == 29800
    assert Pledge.objects.get(pk=pledge.pk).order.total_incl_tax == Decimal("298.00")
