"""Stock reservations: units held for a basket while its buyer pays block other
baskets, expire on their own, are released when checkout is abandoned; and baskets
holding the same two products in opposite orders never deadlock (PostgreSQL)."""
import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from oscar.core.loading import get_model

from shop.checkout.stock import BasketStockUnavailable, basket_stock_ensure
from shop.inventory.models import StockReservation
from shop.inventory.services import basket_reservation_release, basket_reserve, reservations_expire
from tests.checkout.conftest import add_to_basket, go_to_preview, place_order, start_as_guest
from tests.factories import make_product

from .conftest import SOLD_OUT, basket_with, run_in_threads

Order = get_model("order", "Order")


@pytest.mark.django_db
def test_a_reservation_blocks_other_baskets_until_it_expires():
    product = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=3)
    holder = basket_with((product, 2))
    [reservation] = basket_reserve(basket=holder, minutes=15)
    assert reservation.quantity == 2

    other = basket_with((product, 2))
    with pytest.raises(BasketStockUnavailable) as refused:
        basket_stock_ensure(basket=other)
    assert str(refused.value) == "「英德红茶 250克」库存不足：您要购买 2 件，目前仅剩 1 件。"
    basket_stock_ensure(basket=basket_with((product, 1)))  # the one unit nobody holds
    basket_stock_ensure(basket=holder)  # its own reservation never counts against it

    StockReservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    basket_stock_ensure(basket=other)  # expired: blocks nothing, deleted or not
    assert reservations_expire() == 1
    assert StockReservation.objects.count() == 0


@pytest.mark.django_db
def test_reserving_again_refreshes_and_release_gives_back():
    tea = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=5)
    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=5)
    basket = basket_with((tea, 1), (pomelo, 2))
    basket_reserve(basket=basket, minutes=1)
    basket.flush()
    basket.add_product(tea, 3)
    basket_reserve(basket=basket, minutes=15)
    rows = list(StockReservation.objects.values_list("stockrecord__product__title", "quantity"))
    assert rows == [("英德红茶 250克", 3)]
    assert basket_reservation_release(basket=basket) == 1
    assert StockReservation.objects.count() == 0


@pytest.mark.django_db
def test_reserving_what_others_hold_fails_and_writes_nothing():
    product = make_product(title="高州荔枝 3斤装", price=Decimal("59.00"), stock=2)
    basket_reserve(basket=basket_with((product, 2)))
    with pytest.raises(BasketStockUnavailable) as refused:
        basket_reserve(basket=basket_with((product, 1)))
    assert str(refused.value) == SOLD_OUT.format(title="高州荔枝 3斤装")
    assert StockReservation.objects.count() == 1


@pytest.mark.django_db
def test_the_housekeeping_command_deletes_expired_reservations(capsys):
    product = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=5)
    basket_reserve(basket=basket_with((product, 1)))
    basket_reserve(basket=basket_with((product, 1)))
    StockReservation.objects.filter(pk=StockReservation.objects.order_by("pk").first().pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    call_command("stock_reservations_expire")
    assert StockReservation.objects.count() == 1


BUYERS = 40


def _buyer(first, second, point, number):
    client = Client()
    add_to_basket(client, first, 1)
    add_to_basket(client, second, 1)
    start_as_guest(client, f"buyer{number}@example.com")
    go_to_preview(client, point)
    return client


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_opposite_orders_of_the_same_two_products_never_deadlock(cold_point):
    tea = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=BUYERS)
    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=BUYERS)
    # Half the baskets hold tea then pomelo, half pomelo then tea.
    clients = [
        _buyer(*((tea, pomelo) if number % 2 else (pomelo, tea)), cold_point, number) for number in range(BUYERS)
    ]

    placed = run_in_threads([lambda client=client: place_order(client) for client in clients], workers=20)

    assert [repr(exc) for _response, exc in placed if exc is not None] == []
    assert sorted({response.status_code for response, _exc in placed}) == [302]
    assert Order.objects.count() == BUYERS
    for product in (tea, pomelo):
        stock = product.stockrecords.get()
        assert (stock.num_in_stock, stock.num_allocated) == (BUYERS, BUYERS)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_opposite_order_reservations_never_deadlock():
    tea = make_product(title="英德红茶 250克", price=Decimal("12.50"), stock=BUYERS)
    pomelo = make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=BUYERS)
    baskets = [basket_with(*((tea, 1), (pomelo, 1))[:: 1 if number % 2 else -1]) for number in range(BUYERS)]

    reserved = run_in_threads([lambda basket=basket: basket_reserve(basket=basket) for basket in baskets],
                              workers=20)

    assert [repr(exc) for _result, exc in reserved if exc is not None] == []
    assert StockReservation.objects.count() == 2 * BUYERS
