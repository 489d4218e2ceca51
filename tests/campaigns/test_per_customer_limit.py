"""One customer, five sessions, twenty concurrent checkouts under a limit of 2
(PostgreSQL, real threads, real requests): never more than 2 units, the limit
message for the rest, no error page.

What five sessions of one signed-in customer are in Oscar: the basket
middleware gives every session of a signed-in customer the same open basket
(``Basket.open.get_or_create(owner=user)``, merging any others), so five
sessions paying at pickup place *one* basket. Separate baskets exist once a
basket is frozen for an online payment: the next session gets a new one. Both
are tested:

- pay at pickup: the customer bought 1 earlier; 20 concurrent "place order"
  POSTs from 5 sessions for the shared 1-unit basket → exactly one more order
  (2 units in all), the others the limit message (or, arriving after that order,
  Oscar's empty basket), the basket placed once and never reopened;
- online: 5 sessions each start a card payment for 1 unit in a basket of their
  own (each reservation left to lapse, as when the payment page stays open past
  the hold — while it holds, the third session is refused at checkout); the 5
  payments succeed at Stripe and 20 concurrent arrivals (webhook, Stripe's
  redelivery, the return URL, the status poll: 4 per payment) place exactly 2
  orders; the other 3 payments are refunded in full with the limit message."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from shop.campaigns.models import CampaignOrderLine, CustomerPurchase
from shop.checkout.placement import basket_order_number
from shop.inventory.models import StockReservation
from shop.payments import services
from shop.payments.models import OnlinePayment, OnlineRefund
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, warnings_and_errors
from tests.inventory.conftest import run_in_threads
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    card_token, localstripe_url, post_event, stripe_event, stripe_on,
)

from .conftest import (
    CAMPAIGN_PRICE, LIMIT_PAYING, LIMIT_REACHED, TITLE, campaign_product, checkout, session_copy, signed_in_client,
)

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")

SESSIONS = 5
CHECKOUTS = 20
LIMIT = 2
EMPTY_BASKET = "在结算之前您需要添加一些物品到购物篮"  # Oscar's, once the basket is an order
ALREADY_ORDERED = "该购物车已提交为订单 {number}，请勿重复下单。"  # a second placement of the same basket

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def outcome_of(response, *, limit_message):
    if response.status_code == 302 and response.url == reverse("checkout:thank-you"):
        return "order"
    if response.status_code == 200 and response.context["error"] == limit_message:
        return "limit at placement"
    if response.status_code == 200 and response.context["error"] == ALREADY_ORDERED.format(
            number=basket_order_number(basket_id=response.context["basket"].pk)):
        return "basket already ordered"
    if response.status_code == 302 and response.url == reverse("basket:summary"):
        shown = warnings_and_errors(response)
        if shown == [limit_message]:
            return "limit before placement"
        if shown == [EMPTY_BASKET]:
            return "basket already ordered"
    error = response.context.get("error") if response.status_code == 200 and response.context else None
    return f"unexpected: {response.status_code} {getattr(response, 'url', '')} {warnings_and_errors(response)} {error}"


def test_five_sessions_paying_at_pickup_buy_at_most_the_limit(cold_point, customer):
    item = campaign_product(quota=50, limit=LIMIT)
    sessions = [signed_in_client(customer) for _ in range(SESSIONS)]
    assert checkout(sessions[0], item.product, 1, cold_point).status_code == 302  # an earlier order: 1 of 2
    add_to_basket(sessions[1], item.product, 1)
    for session in sessions:
        go_to_preview(session, cold_point)
    baskets = {session.get(reverse("basket:summary")).context["basket"].pk for session in sessions}
    assert len(baskets) == 1  # Oscar: one open basket per signed-in customer
    [basket_id] = baskets

    clients = [session_copy(sessions[number % SESSIONS]) for number in range(CHECKOUTS)]
    placed = run_in_threads([lambda client=client: place_order(client) for client in clients], workers=CHECKOUTS)

    assert [repr(exc) for _response, exc in placed if exc is not None] == []
    responses = [response for response, _exc in placed]
    assert [response.status_code for response in responses if response.status_code >= 500] == []
    limit_message = LIMIT_REACHED.format(title=TITLE, limit=LIMIT, bought=LIMIT)
    outcomes = [outcome_of(response, limit_message=limit_message) for response in responses]
    assert [outcome for outcome in outcomes if outcome.startswith("unexpected")] == []
    assert outcomes.count("order") == 1
    assert len(outcomes) == CHECKOUTS
    orders = Order.objects.filter(user=customer)
    assert orders.count() == 2
    assert sum(line.quantity for order in orders for line in order.lines.all()) == LIMIT
    assert CustomerPurchase.objects.get(item=item, user=customer).quantity == LIMIT
    item.refresh_from_db()
    assert item.sold == LIMIT
    assert item.product.stockrecords.get().num_allocated == LIMIT
    assert orders.filter(basket_id=basket_id).count() == 1
    assert Basket.objects.get(pk=basket_id).status == "Submitted"  # never reopened by a loser's failure
    assert list(CampaignOrderLine.objects.values_list("quantity", "unit_price")) == [(1, CAMPAIGN_PRICE)] * 2


def _payment_start(session, item, point, *, add=True):
    if add:
        add_to_basket(session, item.product, 1)
    go_to_preview(session, point, method="card")
    response = place_order(session)
    payment = OnlinePayment.objects.order_by("-pk").first()
    assert (response.status_code, response.url) == (302, reverse("payments:pay", args=[payment.reference]))
    return payment


def _hold_lapses(payment):
    StockReservation.objects.filter(basket_id=payment.basket_id).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))


def test_five_sessions_paying_online_buy_at_most_the_limit(stripe_on, cold_point, customer):
    item = campaign_product(quota=50, limit=LIMIT)
    sessions = [signed_in_client(customer) for _ in range(SESSIONS)]
    payments = [_payment_start(sessions[0], item, cold_point), _payment_start(sessions[1], item, cold_point)]
    assert len({payment.basket_id for payment in payments}) == 2  # a frozen basket is no longer the open one
    # While both holds last, a third session is refused at checkout.
    add_to_basket(sessions[2], item.product, 1)
    response = sessions[2].get(reverse("checkout:shipping-address"))
    assert (response.status_code, response.url) == (302, reverse("basket:summary"))
    assert warnings_and_errors(response) == [LIMIT_PAYING.format(title=TITLE, limit=LIMIT, bought=0, paying=2)]
    for payment in payments:
        _hold_lapses(payment)
    for number, session in enumerate(sessions[2:], start=2):
        # The third session's unit is still in the (open) basket it was refused with.
        payment = _payment_start(session, item, cold_point, add=number != 2)
        _hold_lapses(payment)
        payments.append(payment)
    assert len({payment.basket_id for payment in payments}) == SESSIONS
    assert {payment.amount_fen for payment in payments} == {990}

    # Stripe charges all five cards; nobody has told the shop yet.
    card = card_token(stripe_on)["card"]["id"]
    events = {}
    for payment in payments:
        intent = services.payment_intent_ensure(payment=payment, card=card)
        assert intent.status == "succeeded"
        events[payment.pk] = stripe_event("payment_intent.succeeded", intent.to_dict(),
                                          event_id=f"evt_limit_{payment.pk}")
    jobs = []
    for session, payment in zip(sessions, payments):
        jobs += [
            ("webhook", payment, lambda payload=events[payment.pk]: post_event(Client(), payload)),
            ("webhook", payment, lambda payload=events[payment.pk]: post_event(Client(), payload)),  # redelivered
            ("return", payment, lambda s=session_copy(session), p=payment: s.get(
                reverse("payments:return", args=[p.reference]))),
            ("status", payment, lambda s=session_copy(session), p=payment: s.get(
                reverse("payments:status", args=[p.reference]))),
        ]
    assert len(jobs) == CHECKOUTS
    arrived = run_in_threads([job for _kind, _payment, job in jobs], workers=CHECKOUTS)

    assert [repr(exc) for _response, exc in arrived if exc is not None] == []
    assert [response.status_code for response, _exc in arrived if response.status_code >= 500] == []
    orders = Order.objects.filter(user=customer)
    assert orders.count() == LIMIT
    assert sum(line.quantity for order in orders for line in order.lines.all()) == LIMIT
    assert CustomerPurchase.objects.get(item=item, user=customer).quantity == LIMIT
    item.refresh_from_db()
    assert item.sold == LIMIT
    for payment in payments:
        payment.refresh_from_db()
    placed = [payment for payment in payments if payment.order_id is not None]
    refused = [payment for payment in payments if payment.order_id is None]
    assert (len(placed), len(refused)) == (LIMIT, SESSIONS - LIMIT)
    assert {payment.problem for payment in placed} == {""}
    limit_message = LIMIT_REACHED.format(title=TITLE, limit=LIMIT, bought=LIMIT)
    assert {payment.problem for payment in refused} == {f"无法下单（{limit_message}），已全额退款"}
    refunds = OnlineRefund.objects.filter(payment__in=refused)
    assert sorted(refunds.values_list("payment_id", "amount", "status")) == sorted(
        (payment.pk, Decimal("9.90"), "succeeded") for payment in refused)
    thank_you = reverse("checkout:thank-you")
    for (kind, payment, _job), (response, _exc) in zip(jobs, arrived):
        payment.refresh_from_db()
        if kind == "webhook":
            assert response.status_code == 200
        elif kind == "return" and payment.order_id:
            assert (response.status_code, response.url) == (302, thank_you)
        elif kind == "status" and payment.order_id:
            assert response.json()["redirect"] == thank_you
        elif kind == "status":
            body = response.json()
            assert body["problem"] == payment.problem
            # "refunded" once the refund has reached Stripe before this poll asked it.
            assert (body["status"], body["label"]) in {("succeeded", "已支付"), ("refunded", "已全额退款")}
    assert item.product.stockrecords.get().num_allocated == LIMIT
