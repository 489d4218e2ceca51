"""Flash quotas and per-customer limits where units are held or sold: the
checkout's check (已抢光, 限量仅剩, 每人限购 …), guests refused on a limited
product, the limit counted across orders, reservations of other baskets, the
CHECK constraint as the backstop, the same basket never placed twice, and the
units given back when an order is cancelled or returned."""
import dataclasses
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from shop.campaigns import limits, strategy
from shop.campaigns.models import CampaignOrderLine, CampaignProduct, CustomerPurchase
from shop.campaigns.services import campaign_order_release
from shop.checkout import stock as checkout_stock
from shop.checkout.placement import BasketAlreadyOrdered, _basket_not_yet_ordered, basket_keep_submitted_if_ordered
from shop.checkout.stock import BasketStockUnavailable, basket_stock_shortfalls
from shop.fulfilment.statuses import CANCELLED, IN_TRANSIT, READY_FOR_PICKUP, RETURNED
from shop.inventory.models import StockReservation
from shop.inventory.services import basket_reserve
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, warnings_and_errors
from tests.factories import UserFactory
from tests.inventory.conftest import basket_with

from .conftest import (
    CAMPAIGN_PRICE, LIMIT_LEFT, LIMIT_PAYING, LIMIT_REACHED, QUOTA_GONE, SIGN_IN_FIRST, TITLE, campaign_product,
    checkout, signed_in_client,
)

Order = get_model("order", "Order")
BasketLine = get_model("basket", "Line")
Basket = get_model("basket", "Basket")

pytestmark = pytest.mark.django_db


def messages_for(basket, **kwargs):
    return [shortfall.message for shortfall in basket_stock_shortfalls(basket=basket, **kwargs)]


def sold(item, units):
    CampaignProduct.objects.filter(pk=item.pk).update(sold=units)


# -- the check -----------------------------------------------------------------------------------


def test_a_used_up_quota_says_sold_out():
    item = campaign_product(quota=3)
    sold(item, 3)
    assert messages_for(basket_with((item.product, 1))) == [QUOTA_GONE.format(title=TITLE)]


def test_a_quota_short_of_the_basket_says_how_many_are_left():
    item = campaign_product(quota=3)
    sold(item, 1)
    basket = basket_with((item.product, 3))
    assert messages_for(basket) == ["「连州菜心 礼盒」限量仅剩 2 件，您要购买 3 件，请减少数量后再结算。"]
    [shortfall] = basket_stock_shortfalls(basket=basket)
    assert (shortfall.title, shortfall.requested, shortfall.available) == (TITLE, 3, 2)
    assert messages_for(basket_with((item.product, 2))) == []


def test_stock_short_says_sold_out_once_not_twice():
    item = campaign_product(quota=10, stock=1)
    sold(item, 10)
    assert messages_for(basket_with((item.product, 2))) == [
        "「连州菜心 礼盒」库存不足：您要购买 2 件，目前仅剩 1 件。"]


def test_outside_a_live_campaign_nothing_is_checked():
    item = campaign_product(quota=1, limit=1)
    sold(item, 1)
    item.campaign.is_published = False
    item.campaign.save()
    assert messages_for(basket_with((item.product, 3))) == []


def test_a_guest_cannot_buy_a_limited_product():
    item = campaign_product(quota=50, limit=2)
    assert messages_for(basket_with((item.product, 1))) == [SIGN_IN_FIRST.format(title=TITLE, limit=2)]
    [shortfall] = basket_stock_shortfalls(basket=basket_with((item.product, 1)))
    assert (shortfall.requested, shortfall.available) == (1, 0)


def test_a_guest_checkout_is_sent_back_to_sign_in(client, cold_point):
    item = campaign_product(quota=50, limit=2)
    add_to_basket(client, item.product, 1)
    response = client.post(reverse("checkout:index"), {"username": "guest@example.com", "options": "anonymous"})
    assert (response.status_code, response.url) == (302, reverse("basket:summary"))
    assert warnings_and_errors(response) == [SIGN_IN_FIRST.format(title=TITLE, limit=2)]
    assert Order.objects.count() == 0


def test_the_limit_counts_every_order_of_the_customer(cold_point, customer):
    item = campaign_product(quota=50, limit=2)
    client = signed_in_client(customer)
    assert checkout(client, item.product, 1, cold_point).status_code == 302  # first order: 1 of 2
    # A second order of 2 goes over the limit: refused before placement, with what is left.
    add_to_basket(client, item.product, 2)
    response = client.get(reverse("checkout:preview"))
    assert (response.status_code, response.url) == (302, reverse("basket:summary"))
    assert warnings_and_errors(response) == [LIMIT_LEFT.format(title=TITLE, limit=2, bought=1, left=1)]
    # Down to 1: placed.
    basket = client.get(reverse("basket:summary")).context["basket"]
    BasketLine.objects.filter(basket=basket).update(quantity=1)
    go_to_preview(client, cold_point)
    assert place_order(client).status_code == 302
    assert CustomerPurchase.objects.get(item=item, user=customer).quantity == 2
    # A third: nothing left.
    add_to_basket(client, item.product, 1)
    response = client.get(reverse("checkout:preview"))
    assert warnings_and_errors(response) == [LIMIT_REACHED.format(title=TITLE, limit=2, bought=2)]
    assert Order.objects.filter(user=customer).count() == 2
    # Another customer has their own count.
    other = UserFactory()
    assert checkout(signed_in_client(other), item.product, 2, cold_point).status_code == 302
    assert dict(CustomerPurchase.objects.values_list("user_id", "quantity")) == {customer.pk: 2, other.pk: 2}
    item.refresh_from_db()
    assert item.sold == 4


# -- reservations (before an online payment) -----------------------------------------------------


def test_basket_reserve_refuses_quota_held_by_other_baskets():
    item = campaign_product(quota=3)
    first = basket_with((item.product, 2))
    basket_reserve(basket=first)
    second = basket_with((item.product, 2))
    with pytest.raises(BasketStockUnavailable) as refused:
        basket_reserve(basket=second)
    assert [s.message for s in refused.value.shortfalls] == [
        "「连州菜心 礼盒」限量仅剩 1 件，您要购买 2 件，请减少数量后再结算。"]
    assert list(StockReservation.objects.values_list("basket_id", "quantity")) == [(first.pk, 2)]
    # The first basket's own reservation never counts against it.
    basket_reserve(basket=first)
    # Once the first hold has expired, the units are the second's to take.
    StockReservation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert [r.quantity for r in basket_reserve(basket=second)] == [2]


def test_basket_reserve_counts_the_customers_other_baskets_against_the_limit(customer):
    item = campaign_product(quota=50, limit=2)
    paying = basket_with((item.product, 2), owner=customer)
    basket_reserve(basket=paying)
    other = basket_with((item.product, 1), owner=customer)
    with pytest.raises(BasketStockUnavailable) as refused:
        basket_reserve(basket=other)
    assert str(refused.value) == LIMIT_PAYING.format(title=TITLE, limit=2, bought=0, paying=2)
    # Somebody else's basket is not the customer's.
    basket_reserve(basket=basket_with((item.product, 2), owner=UserFactory()))
    StockReservation.objects.filter(basket=paying).update(quantity=1)
    assert messages_for(other, lock=True) == []
    CustomerPurchase.objects.create(item=item, user=customer, quantity=1)
    assert messages_for(other, lock=True) == [
        "「连州菜心 礼盒」每人限购 2 件，您已购买 1 件，另有 1 件正在付款，不能再购买了。"]


def test_a_basket_without_a_strategy_goes_by_the_live_campaign():
    """A frozen basket re-reserved outside a request (a new card attempt) has no
    strategy: its lines count against the campaign live now."""
    item = campaign_product(quota=1)
    sold(item, 1)
    basket = Basket.objects.get(pk=basket_with((item.product, 1)).pk)
    assert basket.has_strategy is False
    with pytest.raises(BasketStockUnavailable) as refused:
        basket_reserve(basket=basket)
    assert str(refused.value) == QUOTA_GONE.format(title=TITLE)
    item.campaign.is_published = False
    item.campaign.save()
    assert [r.quantity for r in basket_reserve(basket=Basket.objects.get(pk=basket.pk))] == [1]


# -- placement --------------------------------------------------------------------------------------


def test_the_quota_constraint_is_the_backstop(cold_point, customer, monkeypatch):
    """Were the locked check ever skipped, the CHECK sold <= quota refuses the sale
    and the customer reads the sold-out message, nothing written."""
    item = campaign_product(quota=1)
    client = signed_in_client(customer)
    add_to_basket(client, item.product, 1)
    go_to_preview(client, cold_point)
    sold(item, 1)  # somebody bought the last unit after this buyer's preview
    # The strategy still believes a unit is left, and the campaign check is skipped
    # for the pre-check and the locked check.
    real_live_items = strategy.live_items_by_product
    monkeypatch.setattr(strategy, "live_items_by_product", lambda **kwargs: {
        product_id: dataclasses.replace(live, sold=0) for product_id, live in real_live_items(**kwargs).items()})
    calls = []
    real_check = limits.basket_campaign_shortfalls

    def skipped_twice(**kwargs):
        calls.append(kwargs.get("lock"))
        return [] if len(calls) <= 2 else real_check(**kwargs)

    monkeypatch.setattr(checkout_stock, "basket_campaign_shortfalls", skipped_twice)
    response = place_order(client)
    assert calls == [False, True, False]  # pre-check, locked check, the backstop's re-check
    assert response.status_code == 200
    assert response.context["error"] == QUOTA_GONE.format(title=TITLE)
    assert (Order.objects.count(), CampaignOrderLine.objects.count()) == (0, 0)
    item.refresh_from_db()
    assert item.sold == 1
    stock = item.product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (500, None)  # never allocated


def test_the_same_basket_is_never_placed_twice(cold_point, customer):
    """Two sessions of one customer share Oscar's open basket. A second "place
    order" for it that was already past Oscar's pre-conditions when the first
    placed it is refused with the order's number, and the basket (frozen again
    by that request) is not reopened. (The concurrent version is in
    test_per_customer_limit.)"""
    item = campaign_product(quota=50)
    first, second = signed_in_client(customer), signed_in_client(customer)
    add_to_basket(first, item.product, 1)
    go_to_preview(first, cold_point)
    go_to_preview(second, cold_point)
    basket = first.get(reverse("basket:summary")).context["basket"]
    assert second.get(reverse("basket:summary")).context["basket"].pk == basket.pk
    assert place_order(first).status_code == 302
    order = Order.objects.get()
    basket.freeze()  # what the second request's submit() does before placing
    with pytest.raises(BasketAlreadyOrdered) as refused:
        _basket_not_yet_ordered(basket)
    assert str(refused.value) == f"该购物车已提交为订单 {order.number}，请勿重复下单。"
    assert basket_keep_submitted_if_ordered(basket_id=basket.pk) is True  # instead of Oscar's thaw
    basket.refresh_from_db()
    assert basket.status == "Submitted"
    assert basket_keep_submitted_if_ordered(basket_id=basket_with((item.product, 1)).pk) is False
    # The second session now has a new, empty basket: nothing to place.
    response = place_order(second)
    assert (response.status_code, response.url, Order.objects.count()) == (302, reverse("basket:summary"), 1)
    assert warnings_and_errors(response) == ["在结算之前您需要添加一些物品到购物篮"]


# -- giving units back -------------------------------------------------------------------------------


def test_a_cancelled_order_gives_its_units_back_once(cold_point, customer):
    item = campaign_product(quota=5, limit=3)
    client = signed_in_client(customer)
    assert checkout(client, item.product, 3, cold_point).status_code == 302
    order = Order.objects.get()
    item.refresh_from_db()
    assert (item.sold, CustomerPurchase.objects.get().quantity) == (3, 3)
    order.set_status(CANCELLED)  # the dashboard's 已取消, or a full refund
    item.refresh_from_db()
    record = CampaignOrderLine.objects.get()
    assert (item.sold, CustomerPurchase.objects.get().quantity, record.released_at is not None) == (0, 0, True)
    assert campaign_order_release(order=order) == 0  # nothing more the second time
    item.refresh_from_db()
    assert item.sold == 0
    stock = item.product.stockrecords.get()
    assert (stock.num_in_stock, stock.num_allocated) == (500, 0)
    # The customer may buy again.
    assert checkout(client, item.product, 3, cold_point).status_code == 302
    assert CustomerPurchase.objects.get().quantity == 3


def test_a_returned_order_gives_its_units_back(cold_point, customer):
    item = campaign_product(quota=5, limit=2)
    client = signed_in_client(customer)
    assert checkout(client, item.product, 2, cold_point).status_code == 302
    order = Order.objects.get()
    for status in (IN_TRANSIT, READY_FOR_PICKUP, RETURNED):  # never collected
        order.set_status(status)
    item.refresh_from_db()
    assert (item.sold, CustomerPurchase.objects.get().quantity) == (0, 0)
    assert CampaignOrderLine.objects.filter(released_at__isnull=False).count() == 1


def test_release_takes_back_only_what_the_order_sold(cold_point, customer):
    item = campaign_product(quota=10, limit=5)
    client = signed_in_client(customer)
    assert checkout(client, item.product, 2, cold_point).status_code == 302
    assert checkout(client, item.product, 3, cold_point).status_code == 302
    kept, cancelled = Order.objects.order_by("pk")
    assert campaign_order_release(order=cancelled) == 3
    item.refresh_from_db()
    assert (item.sold, CustomerPurchase.objects.get().quantity) == (2, 2)
    assert list(CampaignOrderLine.objects.filter(released_at=None).values_list("line__order_id", flat=True)) == [
        kept.pk]
    assert list(CampaignOrderLine.objects.order_by("pk").values_list("quantity", "unit_price")) == [
        (2, CAMPAIGN_PRICE), (3, CAMPAIGN_PRICE)]
