"""Pickup points: the back-office world (two cooperatives, pickup points P and Q,
every role, plus staff of Q), pickup orders placed through Oscar's OrderCreator
and attributed as the checkout does, and delivery waves created directly (as
shipped: the orders are 配送中) — the wave-creation services are not used here."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from shop.checkout.payment_methods import PAY_AT_PICKUP_SOURCE_TYPE_CODE, PAY_AT_PICKUP_SOURCE_TYPE_NAME
from shop.core.roles import PICKUP_STAFF
from shop.fulfilment import sms
from shop.fulfilment.models import DeliveryWave, OrderPickup, WaveOrder
from shop.fulfilment.statuses import IN_TRANSIT
from tests.backoffice.support import build_world
from tests.factories import UserFactory, make_batch, make_product, place_order

Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Group = get_model("auth", "Group")

RECIPIENT_PHONE = "13812345678"
RECIPIENT_NAME = "王小明"


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.XIANGPIN_SMS_BACKEND = "shop.fulfilment.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def sms_outbox(_sms_outbox):
    return _sms_outbox


def pickup_order(*, lines, point, user=None, pay_at_pickup=True, name=RECIPIENT_NAME, phone=RECIPIENT_PHONE):
    """An order collected at ``point``: paid at pickup (nothing debited yet), or
    else paid online (a card source debited in full)."""
    order = place_order(lines=lines, user=user)
    if user is None:
        order.guest_email = "guest@example.com"
        order.save(update_fields=["guest_email"])
    OrderPickup.objects.create(order=order, service_point=point, recipient_name=name, recipient_phone=phone)
    if pay_at_pickup:
        source_type, _created = SourceType.objects.get_or_create(
            code=PAY_AT_PICKUP_SOURCE_TYPE_CODE, defaults={"name": PAY_AT_PICKUP_SOURCE_TYPE_NAME})
        Source.objects.create(order=order, source_type=source_type, currency="CNY",
                              amount_allocated=order.total_incl_tax)
    else:
        source_type, _created = SourceType.objects.get_or_create(code="stripe-card", defaults={"name": "银行卡"})
        source = Source.objects.create(order=order, source_type=source_type, currency="CNY",
                                       amount_allocated=order.total_incl_tax, reference="pi_test")
        source.debit(amount=order.total_incl_tax, reference="pi_test")
    return order


_wave_serial = iter(range(1, 10_000))


def shipped_wave(*, partner, point, orders, cold_chain=False, status=DeliveryWave.Status.SHIPPED):
    """A wave of ``partner``'s lines of ``orders`` to ``point``, already shipped
    (its orders moved to 配送中, as shipping does)."""
    wave = DeliveryWave.objects.create(
        code=f"W-TEST-{next(_wave_serial)}", partner=partner, service_point=point,
        delivery_date=timezone.localdate(), status=status, cold_chain=cold_chain,
        shipped_at=timezone.now() if status != DeliveryWave.Status.PLANNED else None,
    )
    WaveOrder.objects.bulk_create([WaveOrder(wave=wave, order=order, partner=partner) for order in orders])
    if status != DeliveryWave.Status.PLANNED:
        for order in orders:
            order.refresh_from_db()
            if order.status != IN_TRANSIT:
                order.set_status(IN_TRANSIT)
    return wave


@pytest.fixture
def world(db):
    world = build_world()
    pickup_q = UserFactory(username="pickup_q", email="pickup.q@example.com")
    pickup_q.groups.add(Group.objects.get(name=PICKUP_STAFF))
    world.point_q.staff.add(pickup_q)
    world.users["pickup_q"] = pickup_q
    world.partner_a = world.subject_a.partner
    world.partner_b = world.subject_b.partner
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
