"""The balance deadline and the deposit rule when the buyer defaults: the job
cancels the unpaid order, gives its units back to the capacity (and, once
allocated, to its batch and the stock, the ledger reversed), keeps the deposit
(no refund) — exactly once however often it runs. Reminders go out once each.
A balance that lands after the deadline is refunded in full."""
import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Sum
from django.utils import timezone
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.harvest.models import HarvestBatch
from shop.payments.models import OnlinePayment, OnlineRefund
from shop.presale import services
from shop.presale.harvest import harvest_confirm
from shop.presale.models import PreSale, PreSaleOrder
from tests.factories import make_batch

from .conftest import buy_and_pay, localstripe_refunds, pay, run_jobs

pytestmark = pytest.mark.django_db
StockRecord = get_model("partner", "StockRecord")
CommunicationEvent = get_model("order", "CommunicationEvent")


def after_deadline(presale):
    return PreSale.objects.get(pk=presale.pk).balance_deadline + datetime.timedelta(minutes=1)


def test_missed_deadline_cancels_releases_and_keeps_the_deposit_once(client, stripe_on, presale, buyer, other_buyer,
                                                                      plain_point):
    defaulter = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=2)
    keeper = buy_and_pay(client, presale, other_buyer, plain_point, stripe_on, quantity=1)
    from .conftest import pay_balance
    pay_balance(client, keeper, stripe_on)
    assert PreSale.objects.get(pk=presale.pk).sold == 3

    first = run_jobs(after_deadline(presale))
    second = run_jobs(after_deadline(presale) + datetime.timedelta(hours=1))

    assert (first.defaulted, second.defaulted) == ([defaulter.number], [])
    assert PreSale.objects.get(pk=presale.pk).sold == 1  # 2 units back, once
    defaulter.refresh_from_db()
    keeper.refresh_from_db()
    assert (defaulter.status, defaulter.deposit_kept, defaulter.order.status) == (
        PreSaleOrder.Status.DEFAULTED, Decimal("30.00"), "已取消")
    assert keeper.status == PreSaleOrder.Status.PAID
    # The deposit is kept: no refund anywhere, the source keeps what it took and owes nothing more.
    deposit = OnlinePayment.objects.get(presale_link__presale_order=defaulter)
    assert (deposit.status, deposit.amount_refunded_fen) == ("succeeded", 0)
    assert not OnlineRefund.objects.exists()
    assert localstripe_refunds(stripe_on, deposit.intent_id) == []
    assert list(defaulter.order.sources.values_list("amount_allocated", "amount_debited", "amount_refunded")) == [
        (Decimal("30.00"), Decimal("30.00"), Decimal("0.00"))]
    assert list(defaulter.order.payment_events.order_by("pk").values_list("event_type__name", "amount")) == [
        ("已付定金", Decimal("30.00")), ("定金不退", Decimal("30.00"))]
    assert CommunicationEvent.objects.filter(order=defaulter.order, event_type__code="PRESALE_DEFAULTED").count() == 1


def test_an_allocated_order_that_defaults_gives_its_units_back_to_the_batch(client, stripe_on, presale, households,
                                                                              buyer, plain_point):
    chen, lin = households
    presale_order = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=2)
    batch = make_batch(product=presale.product, quantity=5, households=[(chen, 3), (lin, 2)],
                       harvested_on=timezone.localdate())
    harvest_confirm(presale=presale, batch=batch)
    assert HarvestBatch.objects.get(pk=batch.pk).quantity_allocated == 2

    assert run_jobs(after_deadline(presale)).defaulted == [presale_order.number]
    assert run_jobs(after_deadline(presale)).defaulted == []

    presale_order.refresh_from_db()
    line = presale_order.order.lines.get()
    assert HarvestBatch.objects.get(pk=batch.pk).quantity_allocated == 0
    assert LineAllocation.objects.get(line=line).released_at is not None
    stock = StockRecord.objects.get(pk=batch.stockrecord_id)
    assert (stock.num_in_stock, stock.num_allocated) == (5, 0)
    totals = LedgerEntry.objects.filter(line=line).aggregate(q=Sum("quantity"), a=Sum("sales_amount"), i=Sum("income"))
    assert totals == {"q": Decimal("0.000"), "a": Decimal("0.00"), "i": Decimal("0.00")}
    assert LedgerEntry.objects.filter(line=line, kind="cancellation").count() == 2
    assert PreSale.objects.get(pk=presale.pk).sold == 0


def test_reminders_go_out_once_each(client, stripe_on, presale, buyer, plain_point):
    presale_order = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=1)
    mail.outbox.clear()
    now = timezone.now()

    assert run_jobs(now).reminded_open == [presale_order.number]
    assert run_jobs(now).reminded_open == []
    near = PreSale.objects.get(pk=presale.pk).balance_deadline - datetime.timedelta(hours=2)
    assert run_jobs(near).reminded_due == [presale_order.number]
    assert run_jobs(near).reminded_due == []

    assert [message.to for message in mail.outbox] == [["buyer@example.com"], ["buyer@example.com"]]
    assert "尾款支付已开始" in mail.outbox[0].subject and "尾款即将截止" in mail.outbox[1].subject
    assert "¥45.00" in mail.outbox[1].body
    codes = list(CommunicationEvent.objects.filter(order=presale_order.order).order_by("pk")
                 .values_list("event_type__code", flat=True))
    assert codes == ["PRESALE_PLACED", "PRESALE_BALANCE_OPEN", "PRESALE_BALANCE_DUE"]


def test_a_balance_paid_after_the_deadline_is_refunded_in_full(client, stripe_on, presale, buyer, plain_point):
    presale_order = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=1)
    balance = services.balance_payment_start(presale_order=presale_order, user=buyer, method="card")

    assert run_jobs(after_deadline(presale)).defaulted == [presale_order.number]
    pay(client, buyer, balance, stripe_on)  # the customer's card lands anyway

    balance.refresh_from_db()
    [refund] = OnlineRefund.objects.all()
    assert (refund.payment_id, refund.amount, refund.status) == (balance.pk, Decimal("45.00"), "succeeded")
    assert [item["amount"] for item in localstripe_refunds(stripe_on, balance.intent_id)] == [4500]
    assert (balance.status, balance.amount_refunded_fen) == ("refunded", 4500)
    presale_order.refresh_from_db()
    assert presale_order.status == PreSaleOrder.Status.DEFAULTED
    assert presale_order.balance_paid_at is None
