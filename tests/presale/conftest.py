"""Pre-sale fixtures: a product before its harvest (no stock), a deposit
pre-sale whose balance window is open, buyers, and helpers that buy and pay
through the real services (payments on the local Stripe emulator)."""
import datetime
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from shop.payments.models import OnlinePayment
from shop.presale import services
from shop.presale.jobs import presale_jobs_run
from shop.presale.models import PreSale, PreSaleOrder
from tests.checkout.conftest import plain_point, yuexiu  # noqa: F401  (fixtures)
from tests.factories import UserFactory, make_household, make_product
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    localstripe_refunds, localstripe_url, pay_by_card, stripe_front, stripe_on,
)


def make_presale(product, *, mode=PreSale.Mode.DEPOSIT, price=Decimal("60.00"), deposit=Decimal("15.00"),
                 capacity=20, now=None, balance_open=True, **extra):
    now = now or timezone.now()
    today = timezone.localdate(now)
    deposit_mode = mode == PreSale.Mode.DEPOSIT
    fields = dict(
        product=product, title=f"{product.title} 预售", mode=mode, price=price,
        deposit=deposit if deposit_mode else None, capacity=capacity, max_per_order=5,
        order_starts=now - datetime.timedelta(days=2), order_ends=now + datetime.timedelta(days=10),
        balance_starts=(now - datetime.timedelta(hours=1) if balance_open else now + datetime.timedelta(days=3))
        if deposit_mode else None,
        balance_deadline=now + datetime.timedelta(days=5) if deposit_mode else None,
        ship_from=today + datetime.timedelta(days=12), ship_until=today + datetime.timedelta(days=20),
        status=PreSale.Status.PUBLISHED,
    )
    fields.update(extra)
    return PreSale.objects.create(**fields)


@pytest.fixture
def pineapple():
    """徐闻菠萝 before its harvest: a stock record with nothing in stock."""
    return make_product(title="徐闻菠萝 巴厘 5斤装", price=Decimal("29.90"), stock=0)


@pytest.fixture
def presale(pineapple):
    return make_presale(pineapple)


@pytest.fixture
def households(pineapple):
    subject = pineapple.origin.market_subject
    return (make_household(market_subjects=[subject], registration_number="JD-CHEN"),
            make_household(market_subjects=[subject], registration_number="JD-LIN", head_name="林测试"))


@pytest.fixture
def buyer():
    return UserFactory(email="buyer@example.com", first_name="小明", last_name="王")


@pytest.fixture
def other_buyer():
    return UserFactory(email="other@example.com", first_name="小红", last_name="李")


def purchase(presale, user, point, quantity=1, *, method="card"):
    return services.purchase_start(presale=presale, user=user, request=services.PurchaseRequest(
        quantity=quantity, service_point=point, recipient_name="王小明", recipient_phone="13812345678", method=method))


def committed():
    """Run what waits for the commit (e-mails, refunds sent after their rows are
    written) at the end of the block, as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def run_jobs(now):
    with committed():
        return presale_jobs_run(now=now)


def pay(client, user, payment, localstripe_url):
    """Pay ``payment`` by card on localstripe, as the pay page does; the JSON answer."""
    client.force_login(user)
    with committed():
        response = pay_by_card(client, payment, localstripe_url)
    assert response.status_code == 200, response.content
    return response.json()


def presale_order_of(payment):
    return PreSaleOrder.objects.get(payments__payment=payment)


def buy_and_pay(client, presale, user, point, localstripe_url, quantity=1):
    payment = purchase(presale, user, point, quantity)
    body = pay(client, user, payment, localstripe_url)
    presale_order = presale_order_of(payment)
    assert body == {"redirect": reverse("presale:order-detail", kwargs={"number": presale_order.number})}
    return presale_order


def pay_balance(client, presale_order, localstripe_url):
    client.force_login(presale_order.user)
    response = client.post(reverse("presale:balance-pay", kwargs={"number": presale_order.number}),
                           {"payment_method": "card"})
    assert response.status_code == 302, response
    payment = OnlinePayment.objects.get(presale_link__presale_order=presale_order, presale_link__kind="balance")
    assert response.url == reverse("payments:pay", args=[payment.reference])
    body = pay(client, presale_order.user, payment, localstripe_url)
    assert body == {"redirect": reverse("presale:order-detail", kwargs={"number": presale_order.number})}
    return payment
