"""A project that meets its goal: saved cards are charged off-session (each with
its stored idempotency key), then one fulfilment order per backer (待发货, at its
pickup point, in the cooperative's delivery waves), its lines allocated to the
project's batch so the ledger names exactly the project's households, to the fen.
Running settlement again changes nothing."""
from decimal import Decimal

import pytest
from django.db.models import Sum
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.crowdfunding.models import Pledge
from shop.crowdfunding.settlement import project_settle
from shop.fulfilment import wave_selectors
from shop.fulfilment.models import OrderPickup
from shop.payments.models import OnlinePayment

from .conftest import after_deadline, backer, pledge_paid, pledge_post

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def test_goal_met_charges_saved_cards_then_one_order_per_backer_attributed_to_the_projects_households(
        client, gaozhou, stripe_on, stripe_front, cold_point):
    project = gaozhou.project
    batch = gaozhou.batch_add()
    plan = [("card", gaozhou.tree), ("alipay", gaozhou.tree), ("wechat_pay", gaozhou.tree), ("card", gaozhou.half)]
    pledges = [pledge_paid(client, stripe_front, stripe_on, backer(n), project, tier, cold_point, method)
               for n, (method, tier) in enumerate(plan)]
    # A pledge started and never paid: cancelled at the deadline, never counted.
    unpaid = pledge_post(client, backer(9), project, gaozhou.tree, cold_point, "alipay")
    stripe_front.log.clear()

    result = project_settle(project=project, now=after_deadline(project))
    project.refresh_from_db()
    assert (project.state, project.goal_met, project.decided_total) == ("settled", True, Decimal("1014.00"))
    cards = [p for p in pledges if p.method == "card"]
    assert sorted(result.charged) == sorted(p.number for p in cards)
    assert sorted(result.fulfilled) == sorted(p.number for p in pledges)
    assert result.canceled == [unpaid.number]

    # One off-session PaymentIntent per saved card, with the key stored on its payment before the call.
    creates = stripe_front.creates("/v1/payment_intents")
    charges = {payment.idempotency_key: payment for payment in OnlinePayment.objects.filter(method="card")}
    assert sorted(key for key, _params in creates) == sorted(charges)
    for key, params in creates:
        params = dict(params)
        pledge = Pledge.objects.get(payment=charges[key])
        assert (params["amount"], params["currency"], params["customer"], params["payment_method"],
                params["off_session"], params["confirm"], params["payment_method_types[0]"]) == (
            str(int(pledge.amount * 100)), "cny", pledge.customer_id, pledge.payment_method_id, "true", "true", "card")
        assert (charges[key].status, charges[key].amount_received_fen) == ("succeeded", int(pledge.amount * 100))
    assert stripe_front.creates("/v1/refunds") == []

    # One order per backer, the amount pledged, 待发货 at the pickup point chosen.
    orders = {order.number: order for order in Order.objects.filter(pledge__isnull=False)}
    assert sorted(orders) == sorted(p.number for p in pledges)
    for pledge in Pledge.objects.filter(pk__in=[p.pk for p in pledges]).select_related("order", "payment"):
        order = pledge.order
        assert (pledge.state, order.status, order.total_incl_tax, order.user_id) == (
            "fulfilled", "待发货", pledge.amount, pledge.user_id)
        assert list(order.lines.values_list("product_id", "quantity", "line_price_incl_tax")) == [
            (gaozhou.product.pk, pledge.quantity, pledge.amount)]
        assert OrderPickup.objects.get(order=order).service_point_id == cold_point.pk
        assert order.sources.get().amount_debited == pledge.amount
        assert pledge.payment.order_id == order.pk
    assert wave_selectors.orders_awaiting_wave(partner=gaozhou.subject.partner).count() == 4

    # Every unit from the project's batch (not the older batch first-harvested-first-sold would take).
    assert set(LineAllocation.objects.values_list("batch_id", flat=True)) == {batch.pk}
    batch.refresh_from_db()
    assert batch.quantity_allocated == 17
    gaozhou.old_batch.refresh_from_db()
    assert gaozhou.old_batch.quantity_allocated == 0

    # The ledger: the project's three households only, every fen of every line.
    ledger = {
        row["household_id"]: (row["q"], row["a"], row["i"])
        for row in LedgerEntry.objects.values("household_id").annotate(
            q=Sum("quantity"), a=Sum("sales_amount"), i=Sum("income"))
    }
    assert ledger == {
        gaozhou.h1.pk: (Decimal("8.500"), Decimal("507.00"), Decimal("51.00")),
        gaozhou.h2.pk: (Decimal("5.100"), Decimal("304.20"), Decimal("30.60")),
        gaozhou.h_private.pk: (Decimal("3.400"), Decimal("202.80"), Decimal("20.40")),
    }
    assert sum(amount for _q, amount, _i in ledger.values()) == Decimal("1014.00")

    # Again: no charge, no order, no ledger entry more.
    stripe_front.log.clear()
    entries = LedgerEntry.objects.count()
    again = project_settle(project=project, now=after_deadline(project))
    assert (again.charged, again.fulfilled, stripe_front.log) == ([], [], [])
    assert (Order.objects.count(), LedgerEntry.objects.count()) == (4, entries)
