"""The deposit rule when the seller cannot deliver: every order not allocated to
a batch is cancelled and everything it paid — deposit and balance — refunded
in full, exactly once across two runs and a payment that lands afterwards;
orders already allocated to the harvest still ship."""
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.payments.models import OnlinePayment, OnlineRefund
from shop.presale.harvest import harvest_confirm, presale_cancel
from shop.presale.models import PreSale, PreSaleOrder
from tests.factories import UserFactory, make_batch

from .conftest import buy_and_pay, committed, localstripe_refunds, pay, pay_balance, presale_order_of, purchase

pytestmark = pytest.mark.django_db


def refunds_at_stripe(localstripe_url, presale_order):
    return sorted(
        (payment.kind, refund["amount"], refund["status"])
        for payment in presale_order.payments.select_related("payment")
        if payment.payment.intent_id
        for refund in localstripe_refunds(localstripe_url, payment.payment.intent_id)
    )


def test_seller_cannot_deliver_refunds_deposits_and_balances_in_full_once(client, stripe_on, presale, households,
                                                                         plain_point):
    chen, _lin = households
    shipped = buy_and_pay(client, presale, UserFactory(email="d@example.com"), plain_point, stripe_on, quantity=1)
    pay_balance(client, shipped, stripe_on)
    full = buy_and_pay(client, presale, UserFactory(email="a@example.com"), plain_point, stripe_on, quantity=2)
    pay_balance(client, full, stripe_on)
    deposit_only = buy_and_pay(client, presale, UserFactory(email="b@example.com"), plain_point, stripe_on, quantity=1)
    late_buyer = UserFactory(email="c@example.com")
    pending_payment = purchase(presale, late_buyer, plain_point, 1)
    pending = presale_order_of(pending_payment)
    # A short harvest: one unit, for the first paid.
    harvest_confirm(presale=presale, batch=make_batch(product=presale.product, quantity=1, households=[(chen, 1)],
                                                      harvested_on=timezone.localdate()))
    assert PreSale.objects.get(pk=presale.pk).sold == 5

    with committed():
        first = presale_cancel(presale=presale, reason="台风导致歉收")
    with committed():
        second = presale_cancel(presale=presale, reason="台风导致歉收")

    assert sorted(first.cancelled) == sorted([full.number, deposit_only.number, pending.number])
    assert (first.refunds_sent, first.refunds_waiting) == (3, 0)
    assert (second.cancelled, second.refunds_sent, second.refunds_waiting) == ([], 0, 0)
    for item in (shipped, full, deposit_only, pending):
        item.refresh_from_db()
    assert refunds_at_stripe(stripe_on, full) == [("balance", 9000, "succeeded"), ("upfront", 3000, "succeeded")]
    assert refunds_at_stripe(stripe_on, deposit_only) == [("upfront", 1500, "succeeded")]
    assert refunds_at_stripe(stripe_on, shipped) == []
    assert OnlineRefund.objects.count() == 3
    assert [item.status for item in (full, deposit_only, pending)] == [PreSaleOrder.Status.SELLER_CANCELLED] * 3
    assert (full.order.status, deposit_only.order.status, pending.order) == ("已取消", "已取消", None)
    assert list(full.order.sources.order_by("pk").values_list("amount_debited", "amount_refunded")) == [
        (Decimal("30.00"), Decimal("30.00")), (Decimal("90.00"), Decimal("90.00"))]
    assert list(full.order.payment_events.filter(event_type__name="退款").values_list("amount", flat=True)) == [
        Decimal("120.00")]
    assert list(OnlinePayment.objects.filter(presale_link__presale_order=full).order_by("pk")
                .values_list("status", "amount_refunded_fen")) == [("refunded", 3000), ("refunded", 9000)]
    # The allocated order still ships; the capacity of the others is back.
    assert (shipped.status, shipped.order.status) == (PreSaleOrder.Status.RELEASED, "待发货")
    presale.refresh_from_db()
    assert (presale.status, presale.sold, presale.cancel_reason) == (PreSale.Status.CANCELLED, 1, "台风导致歉收")

    # The pending buyer pays after all (the intent had not been created yet): refunded in full, once.
    pay(client, late_buyer, pending_payment, stripe_on)
    pending.refresh_from_db()
    assert refunds_at_stripe(stripe_on, pending) == [("upfront", 1500, "succeeded")]
    assert (pending.status, pending.order) == (PreSaleOrder.Status.SELLER_CANCELLED, None)
    with committed():
        third = presale_cancel(presale=presale, reason="台风导致歉收")
    assert (third.cancelled, third.refunds_sent) == ([], 0)
    assert OnlineRefund.objects.count() == 4


def test_no_purchase_after_the_cancellation(stripe_on, presale, buyer, plain_point):
    presale_cancel(presale=presale, reason="歉收")
    from shop.presale.services import PreSaleError

    with pytest.raises(PreSaleError, match="预售已结束"):
        purchase(presale, buyer, plain_point, 1)
