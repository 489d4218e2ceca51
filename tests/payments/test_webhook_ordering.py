"""Stripe does not promise the order of its events. Every ordering of the events of
one payment ends in the same state (payment, amounts, order, refunds, payment
events, ledger, stock), and after each event nothing has gone backwards."""
from decimal import Decimal
from itertools import permutations

import pytest
from oscar.core.loading import get_model

from shop.attribution.services import line_net
from shop.inventory.models import StockReservation
from shop.payments import services
from shop.payments.models import OnlinePayment, OnlineRefund
from shop.payments.refunds import order_refund
from tests.factories import make_batch, make_household, make_product

from .conftest import charge_object, deliver, intent_object, payment_begin, refund_object

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")

pytestmark = pytest.mark.django_db

ORDER_RANK = {None: 0, "支付待核实": 1, "待发货": 2, "已取消": 3}
WEBHOOK_ONLY = ("requires_action", "processing", "succeeded", "charge.refunded")
AFTER_RETURN_URL = ("processing", "succeeded", "charge.refunded", "refund.updated")


def _orderings(events):
    return pytest.mark.parametrize("ordering", list(permutations(events)), ids=">".join)


@pytest.fixture
def product():
    product = make_product(title="连州菜心 2斤装", price=Decimal("15.00"), stock=0)
    make_batch(product=product, quantity=10, households=[(make_household(), 10)])
    return product


def _state(payment, product):
    payment = OnlinePayment.objects.get(pk=payment.pk)
    order = Order.objects.filter(number=payment.order_number).first()
    stock = product.stockrecords.get()
    ledger = None
    if order is not None:
        net = line_net(line=order.lines.get())
        ledger = (net.quantity, net.sales_amount)
    return {
        "payment": (payment.status, payment.amount_received_fen, payment.amount_refunded_fen,
                    payment.amount_refund_applied_fen, payment.currency_received, payment.problem),
        "order": order.status if order else None,
        "payment_events": sorted(PaymentEvent.objects.filter(order=order).values_list("event_type__name", "amount"))
        if order else [],
        "refunds": list(OnlineRefund.objects.filter(payment=payment).values_list("amount", "status")),
        "ledger": ledger,
        "stock": (stock.num_in_stock, stock.num_allocated),
        "reserved": StockReservation.objects.filter(basket_id=payment.basket_id).count(),
    }


def _not_backwards(before, after):
    assert OnlinePayment.RANK[after["payment"][0]] >= OnlinePayment.RANK[before["payment"][0]], (before, after)
    for index in (1, 2, 3):
        assert after["payment"][index] >= before["payment"][index], (before, after)
    assert ORDER_RANK[after["order"]] >= ORDER_RANK[before["order"]], (before, after)


def _play(client, payment, product, events, ordering):
    states = [_state(payment, product)]
    for name in ordering:
        event_type, obj = events[name]
        deliver(client, event_type, obj)
        states.append(_state(payment, product))
        _not_backwards(states[-2], states[-1])
    return states[-1]


def _webhook_events(payment, refunded_fen):
    return {
        "requires_action": ("payment_intent.requires_action", intent_object(payment, "requires_action")),
        "processing": ("payment_intent.processing", intent_object(payment, "processing")),
        "succeeded": ("payment_intent.succeeded", intent_object(payment, "succeeded")),
        "charge.refunded": ("charge.refunded", charge_object(payment, amount_refunded=refunded_fen)),
    }


@_orderings(WEBHOOK_ONLY)
def test_refunded_in_full_in_the_stripe_dashboard(client, stripe_on, cold_point, product, ordering):
    payment = payment_begin(product, 3, point=cold_point, method="wechat_pay", intent_id="pi_full_refund")
    final = _play(client, payment, product, _webhook_events(payment, 4500), ordering)
    assert final == {
        "payment": ("refunded", 4500, 4500, 4500, "cny", ""),
        "order": "已取消",
        "payment_events": [("已支付", Decimal("45.00")), ("退款", Decimal("45.00"))],
        "refunds": [],
        "ledger": (Decimal("0.000"), Decimal("0.00")),
        "stock": (10, 0),
        "reserved": 0,
    }


@_orderings(WEBHOOK_ONLY)
def test_refunded_in_part_in_the_stripe_dashboard(client, stripe_on, cold_point, product, ordering):
    payment = payment_begin(product, 3, point=cold_point, method="wechat_pay", intent_id="pi_part_refund")
    final = _play(client, payment, product, _webhook_events(payment, 1500), ordering)
    assert final == {
        "payment": ("partially_refunded", 4500, 1500, 1500, "cny", "Stripe 后台部分退款 ¥15.00，待人工核对"),
        "order": "待发货",
        "payment_events": [("已支付", Decimal("45.00"))],
        "refunds": [],
        "ledger": (Decimal("3.000"), Decimal("45.00")),
        "stock": (10, 3),
        "reserved": 0,
    }


@_orderings(AFTER_RETURN_URL)
def test_late_events_after_the_return_url_and_a_store_refund(client, stripe_on, stripe_front, cold_point, product,
                                                             ordering):
    """Alipay: the customer came back (return URL placed the order), staff refunded
    one unit (Alipay refunds are asynchronous: pending), then the webhooks arrive."""
    payment = payment_begin(product, 3, point=cold_point, method="alipay")
    intent = services.payment_intent_ensure(payment=payment, return_url="https://shop.example/return/")
    payment.refresh_from_db()
    stripe_front.wallet_update(intent.id, status="succeeded")
    services.payment_sync(payment=payment)
    order = Order.objects.get(number=payment.order_number)
    order_refund(order=order, line_quantities={order.lines.get().pk: 1}, reason="顾客少收一件")
    refund = OnlineRefund.objects.get()
    assert (refund.amount, refund.status, refund.refund_id.startswith("re_")) == (Decimal("15.00"), "pending", True)

    events = {
        "processing": ("payment_intent.processing", intent_object(payment, "processing")),
        "succeeded": ("payment_intent.succeeded", intent_object(payment, "succeeded")),
        "charge.refunded": ("charge.refunded", charge_object(payment, amount_refunded=1500)),
        "refund.updated": ("refund.updated", refund_object(
            refund_id=refund.refund_id, amount=1500, intent_id=payment.intent_id,
            metadata={"refund_key": refund.idempotency_key, "order_number": payment.order_number})),
    }
    final = _play(client, payment, product, events, ordering)
    assert final == {
        "payment": ("partially_refunded", 4500, 1500, 1500, "cny", ""),
        "order": "待发货",
        "payment_events": [("已支付", Decimal("45.00")), ("退款", Decimal("15.00"))],
        "refunds": [(Decimal("15.00"), "succeeded")],
        "ledger": (Decimal("2.000"), Decimal("30.00")),
        "stock": (10, 3),
        "reserved": 0,
    }
