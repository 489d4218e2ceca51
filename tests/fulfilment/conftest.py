"""Delivery waves: the back-office world (two cooperatives, two pickup points,
every role) plus a fresh product, a second batch, and pickup orders placed
through Oscar's OrderCreator and attributed to batches as the checkout does."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from shop.checkout.payment_methods import PAY_AT_PICKUP_SOURCE_TYPE_CODE, PAY_AT_PICKUP_SOURCE_TYPE_NAME
from shop.fulfilment.models import OrderPickup
from tests.backoffice.support import build_world
from tests.factories import make_batch, make_product, place_order

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")


def pickup_order(*, lines, point, user=None, name="王小明", phone="13812345678", pay_at_pickup=True,
                 status="待发货"):
    """An order collected at ``point``; paid at pickup unless ``pay_at_pickup=False``
    (as if paid online: no amount left to collect)."""
    order = place_order(lines=lines, user=user, status=status)
    OrderPickup.objects.create(order=order, service_point=point, recipient_name=name, recipient_phone=phone)
    if pay_at_pickup:
        source_type, _created = SourceType.objects.get_or_create(
            code=PAY_AT_PICKUP_SOURCE_TYPE_CODE, defaults={"name": PAY_AT_PICKUP_SOURCE_TYPE_NAME})
        Source.objects.create(order=order, source_type=source_type, currency="CNY",
                              amount_allocated=order.total_incl_tax)
    return Order.objects.get(pk=order.pk)  # as stored (the number is text)


@pytest.fixture
def tomorrow():
    return timezone.localdate() + datetime.timedelta(days=1)


@pytest.fixture
def world(db):
    world = build_world()
    # Two earlier units of cooperative A's pomelo: first harvested, first sold.
    world.batch_a_old = make_batch(product=world.product_a, quantity=2, harvested_on=datetime.date(2026, 10, 20))
    world.lychee = make_product(title="高州荔枝 3斤装", market_subject=world.subject_a, brand=world.brand,
                                village=world.village_a, price=Decimal("59.00"), stock=0, is_fresh=True)
    world.batch_lychee = make_batch(product=world.lychee, quantity=20, households=[(world.household_a, 10)],
                                    harvested_on=datetime.date(2026, 11, 28))
    return world


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
