"""Harvest confirmation: the cooperative confirms against a registered batch;
the pre-sale orders (paid first, first) are allocated to it with exact
LineAllocations, stock allocations and ledger entries for its households; paid
orders go to 待发货 (delivery waves pick them up and ship them from the batch's
stock), a deposit-paid one follows when its balance comes in."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry, LineAllocation
from shop.fulfilment import wave_selectors, waves
from shop.harvest.models import HarvestBatch
from shop.presale.harvest import harvest_confirm
from shop.presale.models import PreSale, PreSaleOrder
from shop.presale.services import PreSaleError
from tests.factories import make_batch, make_product

from .conftest import buy_and_pay, make_presale, pay_balance

pytestmark = pytest.mark.django_db
StockRecord = get_model("partner", "StockRecord")


def entries(order):
    return list(LedgerEntry.objects.filter(line__order=order).order_by("pk").values_list(
        "kind", "household__registration_number", "quantity", "sales_amount", "income"))


def test_confirmation_allocates_the_orders_to_the_batch_and_releases_the_paid_ones(
        client, stripe_on, presale, households, buyer, other_buyer, plain_point):
    chen, lin = households
    paid = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=2)
    pay_balance(client, paid, stripe_on)
    deposit_only = buy_and_pay(client, presale, other_buyer, plain_point, stripe_on, quantity=1)
    batch = make_batch(product=presale.product, quantity=10, households=[(chen, 6), (lin, 4)],
                       purchase_price=Decimal("6.00"), harvested_on=timezone.localdate())

    result = harvest_confirm(presale=presale, batch=batch)

    assert (result.allocated, result.released, result.left) == ([paid.number, deposit_only.number], [paid.number], [])
    paid.refresh_from_db()
    deposit_only.refresh_from_db()
    assert list(LineAllocation.objects.order_by("pk").values_list("line__order__number", "batch__code", "quantity")) == [
        (paid.number, batch.code, 2), (deposit_only.number, batch.code, 1)]
    assert entries(paid.order) == [
        ("sale", "JD-CHEN", Decimal("1.200"), Decimal("72.00"), Decimal("7.20")),
        ("sale", "JD-LIN", Decimal("0.800"), Decimal("48.00"), Decimal("4.80")),
    ]
    assert entries(deposit_only.order) == [
        ("sale", "JD-CHEN", Decimal("0.600"), Decimal("36.00"), Decimal("3.60")),
        ("sale", "JD-LIN", Decimal("0.400"), Decimal("24.00"), Decimal("2.40")),
    ]
    assert HarvestBatch.objects.get(pk=batch.pk).quantity_allocated == 3
    stock = StockRecord.objects.get(pk=batch.stockrecord_id)
    assert (stock.num_in_stock, stock.num_allocated) == (10, 3)
    assert [line.num_allocated for line in (paid.order.lines.get(), deposit_only.order.lines.get())] == [2, 1]
    assert (paid.status, paid.order.status, paid.batch_id) == (PreSaleOrder.Status.RELEASED, "待发货", batch.pk)
    assert (deposit_only.status, deposit_only.order.status, deposit_only.batch_id) == (
        PreSaleOrder.Status.BALANCE_DUE, "预售·待付尾款", batch.pk)
    assert PreSale.objects.get(pk=presale.pk).harvest_confirmed_at is not None

    partner = presale.product.origin.market_subject.partner
    assert list(wave_selectors.orders_awaiting_wave(partner=partner, service_point=plain_point)) == [paid.order]

    pay_balance(client, deposit_only, stripe_on)
    deposit_only.refresh_from_db()
    assert (deposit_only.status, deposit_only.order.status) == (PreSaleOrder.Status.RELEASED, "待发货")
    assert entries(deposit_only.order)[-1][0] == "sale"  # the balance changes nothing in the ledger
    assert LedgerEntry.objects.filter(line__order=deposit_only.order).count() == 2

    wave = waves.wave_create(partner=partner, service_point=plain_point,
                             delivery_date=timezone.localdate() + datetime.timedelta(days=1), user=None)
    assert wave.wave_orders.count() == 2
    waves.wave_ship(wave=wave, user=None)
    assert Order_statuses(paid, deposit_only) == ["配送中", "配送中"]

    # Confirming again changes nothing: no order is waiting any more.
    again = harvest_confirm(presale=presale, batch=batch)
    assert (again.allocated, again.left) == ([], [])
    assert LineAllocation.objects.count() == 2


def Order_statuses(*presale_orders):
    return [PreSaleOrder.objects.get(pk=item.pk).order.status for item in presale_orders]


def test_a_batch_too_small_leaves_the_later_orders_waiting(client, stripe_on, presale, households, buyer,
                                                             other_buyer, plain_point):
    chen, _lin = households
    first = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=3)
    second = buy_and_pay(client, presale, other_buyer, plain_point, stripe_on, quantity=2)
    batch = make_batch(product=presale.product, quantity=4, households=[(chen, 4)], harvested_on=timezone.localdate())

    result = harvest_confirm(presale=presale, batch=batch)

    assert (result.allocated, result.left) == ([first.number], [second.number])
    assert HarvestBatch.objects.get(pk=batch.pk).quantity_allocated == 3
    assert not LineAllocation.objects.filter(line__order__number=second.number).exists()


def test_a_batch_of_another_product_is_refused(presale, households):
    other = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=0)
    batch = make_batch(product=other, quantity=5, harvested_on=timezone.localdate())
    with pytest.raises(PreSaleError, match="不是该预售商品的批次"):
        harvest_confirm(presale=presale, batch=batch)


def test_full_payment_presale_is_released_at_confirmation(client, stripe_on, pineapple, households, buyer,
                                                          plain_point):
    chen, _lin = households
    presale = make_presale(pineapple, mode=PreSale.Mode.FULL, price=Decimal("45.50"))
    presale_order = buy_and_pay(client, presale, buyer, plain_point, stripe_on, quantity=2)
    presale_order.refresh_from_db()
    assert (presale_order.status, presale_order.order.status, presale_order.upfront_amount) == (
        PreSaleOrder.Status.PAID, "预售·待发货", Decimal("91.00"))
    batch = make_batch(product=pineapple, quantity=5, households=[(chen, 5)], harvested_on=timezone.localdate(),
                       purchase_price=Decimal("10.00"))

    harvest_confirm(presale=presale, batch=batch)

    presale_order.refresh_from_db()
    assert (presale_order.status, presale_order.order.status) == (PreSaleOrder.Status.RELEASED, "待发货")
    assert entries(presale_order.order) == [("sale", "JD-CHEN", Decimal("2.000"), Decimal("91.00"), Decimal("20.00"))]
