"""Buying in a deposit pre-sale on the local Stripe emulator: the deposit places
the order (no stock, no batches: nothing exists yet), the balance paid from the
order page moves it to paid, with the payment sources to the fen."""
from decimal import Decimal

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.presale.models import PreSale, PreSaleOrder

from .conftest import buy_and_pay, pay_balance

pytestmark = pytest.mark.django_db
StockRecord = get_model("partner", "StockRecord")


def _sources(order):
    return list(order.sources.order_by("pk").values_list("source_type__code", "amount_allocated", "amount_debited",
                                                         "amount_refunded"))


def test_deposit_places_the_order_and_the_balance_moves_it_to_paid(client, stripe_on, presale, buyer, plain_point):
    presale_order = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=2)

    presale_order.refresh_from_db()
    order = presale_order.order
    assert (presale_order.status, presale_order.total, presale_order.upfront_amount, presale_order.balance_amount) == (
        PreSaleOrder.Status.BALANCE_DUE, Decimal("120.00"), Decimal("30.00"), Decimal("90.00"))
    assert (order.number, order.status, order.total_incl_tax) == (presale_order.number, "预售·待付尾款", Decimal("120.00"))
    line = order.lines.get()
    assert (line.quantity, line.line_price_incl_tax, line.num_allocated) == (2, Decimal("120.00"), 0)
    assert _sources(order) == [("stripe-card", Decimal("120.00"), Decimal("30.00"), Decimal("0.00"))]
    assert StockRecord.objects.get(product=presale.product).num_allocated in (0, None)
    assert not LineAllocation.objects.filter(line=line).exists()
    assert not LedgerEntry.objects.filter(line=line).exists()
    assert PreSale.objects.get(pk=presale.pk).sold == 2

    page = client.get(reverse("presale:order-detail", kwargs={"number": presale_order.number}))
    assert page.status_code == 200
    assert "支付尾款 ¥90.00" in page.content.decode()

    balance = pay_balance(client, presale_order, stripe_on)

    presale_order.refresh_from_db()
    order.refresh_from_db()
    balance.refresh_from_db()
    assert (balance.purpose, balance.status, balance.amount_received_fen) == ("presale_balance", "succeeded", 9000)
    assert presale_order.status == PreSaleOrder.Status.PAID
    assert order.status == "预售·待发货"
    assert _sources(order) == [("stripe-card", Decimal("30.00"), Decimal("30.00"), Decimal("0.00")),
                               ("stripe-card", Decimal("90.00"), Decimal("90.00"), Decimal("0.00"))]
    assert list(order.payment_events.order_by("pk").values_list("event_type__name", "amount")) == [
        ("已付定金", Decimal("30.00")), ("已付尾款", Decimal("90.00"))]
