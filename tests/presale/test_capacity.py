"""Capacity is never oversold (PostgreSQL): 60 buyers at once for 20 units get
exactly 20 holds and 40 clear "已订满" answers; the database refuses sold >
capacity by itself; an unpaid hold gives its unit back when its time is up."""
import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from shop.payments.models import OnlinePayment
from shop.presale import services
from shop.presale.models import PreSale, PreSaleOrder
from tests.factories import UserFactory, make_product

from .conftest import make_presale, purchase, run_jobs

BUYERS = 60
CAPACITY = 20


@pytest.fixture
def stripe_keys(settings):
    """Online methods offered (no call to Stripe is made before the pay page)."""
    settings.STRIPE_SECRET_KEY = "sk_test_xiangpin"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_xiangpin"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_xiangpin"
    settings.STRIPE_METHODS = ["card", "alipay", "wechat_pay"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixty_concurrent_buyers_for_twenty_units_get_exactly_twenty(stripe_keys, plain_point):
    from decimal import Decimal

    presale = make_presale(make_product(title="高州荔枝 桂味 3斤装", price=Decimal("49.90"), stock=0),
                           capacity=CAPACITY)
    buyers = [UserFactory(email=f"buyer{index}@example.com") for index in range(BUYERS)]
    barrier = threading.Barrier(BUYERS, timeout=60)
    held, sold_out, errors = [], [], []

    def buy(user):
        try:
            barrier.wait()
            purchase(presale, user, plain_point, 1)
            held.append(user.pk)
        except services.SoldOut as exc:
            sold_out.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - the test counts them
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(user,)) for user in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert (len(held), len(sold_out)) == (CAPACITY, BUYERS - CAPACITY)
    assert set(sold_out) == {"预售名额已订满"}
    assert PreSale.objects.get(pk=presale.pk).sold == CAPACITY
    assert PreSaleOrder.objects.filter(presale=presale, status=PreSaleOrder.Status.PENDING).count() == CAPACITY
    assert OnlinePayment.objects.filter(purpose="presale").count() == CAPACITY


@pytest.mark.django_db
def test_the_database_refuses_more_sold_than_capacity(presale):
    with pytest.raises(IntegrityError, match="presale_sold_lte_capacity"), transaction.atomic():
        PreSale.objects.filter(pk=presale.pk).update(sold=presale.capacity + 1)


@pytest.mark.django_db
def test_a_buyer_asking_more_than_is_left_is_told_what_is_left(stripe_keys, pineapple, buyer, other_buyer,
                                                                plain_point):
    presale = make_presale(pineapple, capacity=3)
    purchase(presale, buyer, plain_point, 2)
    with pytest.raises(services.SoldOut, match="仅剩 1 件"):
        purchase(presale, other_buyer, plain_point, 2)
    assert PreSale.objects.get(pk=presale.pk).sold == 2


@pytest.mark.django_db
def test_an_unpaid_hold_gives_its_units_back_once(stripe_keys, presale, buyer, plain_point):
    payment = purchase(presale, buyer, plain_point, 3)
    presale_order = PreSaleOrder.objects.get(payments__payment=payment)
    assert PreSale.objects.get(pk=presale.pk).sold == 3
    later = presale_order.hold_expires_at + datetime.timedelta(minutes=1)

    assert run_jobs(later).expired == [presale_order.number]
    assert run_jobs(later).expired == []

    presale_order.refresh_from_db()
    payment.refresh_from_db()
    assert (presale_order.status, payment.status) == (PreSaleOrder.Status.EXPIRED, "canceled")
    assert PreSale.objects.get(pk=presale.pk).sold == 0
    assert presale_order.basket.status == "Submitted"
    assert timezone.now() < later
