"""The Oscar side of a pre-sale order: its basket (one line at the pre-sale
price, frozen from the start so it is never anybody's open basket), the order
placed through ``shop.checkout.placement.order_create(attribute=False)`` once
the deposit or full price is paid, and the order's payment sources."""
from decimal import Decimal

from django.utils.translation import gettext as _
from oscar.apps.partner import availability, prices
from oscar.apps.partner.strategy import Default
from oscar.core import prices as core_prices
from oscar.core.loading import get_model

from shop.checkout.delivery import DeliveryChoice, delivery_shipping_address
from shop.checkout.placement import order_create
from shop.fulfilment import rates
from shop.fulfilment.shipping import pickup_method_for_point
from shop.fulfilment.statuses import PRESALE_AWAITING_HARVEST, PRESALE_BALANCE_DUE

Basket = get_model("basket", "Basket")
StockRecord = get_model("partner", "StockRecord")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")

ZERO = Decimal("0.00")
UPFRONT_EVENT = "已付定金"
PAID_EVENT = "已支付"
BALANCE_EVENT = "已付尾款"
DEPOSIT_KEPT_EVENT = "定金不退"
REFUND_EVENT = "退款"


class PreSaleStrategy(Default):
    """The pre-sale price at the product's own stock record; available whatever
    the stock (the units are the harvest's, the capacity is the limit)."""

    def __init__(self, *, stockrecord, unit_price):
        super().__init__()
        self._stockrecord, self._unit_price = stockrecord, unit_price

    def select_stockrecord(self, product):
        return self._stockrecord

    def fetch_for_line(self, line, stockrecord=None):
        return self.fetch_for_product(line.product, self._stockrecord)

    def pricing_policy(self, product, stockrecord):
        return prices.FixedPrice(currency="CNY", excl_tax=self._unit_price, tax=ZERO)

    def availability_policy(self, product, stockrecord):
        return availability.Available()


def product_stockrecord(product):
    """The stock record a harvest batch of ``product`` adds to (its market subject's)."""
    origin = getattr(product, "origin", None)
    records = StockRecord.objects.filter(product=product)
    if origin is not None:
        own = records.filter(partner=origin.market_subject.partner).first()
        if own is not None:
            return own
    return records.order_by("pk").first()


def basket_build(*, presale, user, quantity, unit_price):
    """A frozen basket with one line of ``quantity`` units at ``unit_price``."""
    stockrecord = product_stockrecord(presale.product)
    if stockrecord is None:
        raise ValueError("a pre-sale product needs a stock record")
    basket = Basket.objects.create(owner=user)
    basket.strategy = PreSaleStrategy(stockrecord=stockrecord, unit_price=unit_price)
    basket.add_product(presale.product, quantity)
    basket.freeze()
    return basket


def basket_with_strategy(presale_order):
    basket = presale_order.basket
    basket.strategy = PreSaleStrategy(stockrecord=product_stockrecord(presale_order.presale.product),
                                      unit_price=presale_order.unit_price)
    return basket


def pickup_charge(*, basket, service_point):
    """The pickup method of the point and its charge for ``basket`` (None: no method)."""
    method = pickup_method_for_point(service_point)
    if method is None:
        return None, None
    return method, rates.basket_delivery_charge(rate=method.rate, basket=basket)


def _price(amount):
    return core_prices.Price(currency="CNY", excl_tax=amount, tax=ZERO)


def source_type(method):
    from shop.payments.models import PaymentMethodCode

    source_type, _created = SourceType.objects.get_or_create(
        code=f"stripe-{method}".replace("_", "-"), defaults={"name": str(PaymentMethodCode(method).label)}
    )
    return source_type


def payment_event(*, order, name, amount, reference=""):
    event_type, _created = PaymentEventType.objects.get_or_create(name=name)
    return PaymentEvent.objects.create(order=order, event_type=event_type, amount=amount, reference=reference[:128])


def order_place(*, presale_order, payment):
    """Place the Oscar order of a pre-sale order whose deposit (or full price)
    ``payment`` has come in: no stock, no batches yet; its source is allocated
    the order total and debited what was paid. Raises UnableToPlaceOrder."""
    presale = presale_order.presale
    basket = basket_with_strategy(presale_order)
    choice = DeliveryChoice.from_json(presale_order.delivery)
    point = choice.service_point()
    method = pickup_method_for_point(point) if point is not None else None
    status = PRESALE_BALANCE_DUE if presale.is_deposit else PRESALE_AWAITING_HARVEST
    received = Decimal(payment.amount_received_fen) / 100

    def sources_record(order):
        source = Source.objects.create(
            order=order, source_type=source_type(payment.method), currency="CNY",
            amount_allocated=presale_order.total, reference=payment.intent_id or "",
            label=str(payment.get_method_display()),
        )
        source.debit(amount=received, reference=payment.intent_id or "")
        payment_event(order=order, name=UPFRONT_EVENT if presale.is_deposit else PAID_EVENT, amount=received,
                      reference=payment.intent_id or "")

    if method is None:
        from oscar.core.loading import get_class

        raise get_class("order.exceptions", "UnableToPlaceOrder")(_("您选择的自提点已停止服务"))
    order = order_create(
        basket=basket, user=presale_order.user, choice=choice, order_number=presale_order.number,
        total=_price(presale_order.total), shipping_method=method, shipping_charge=_price(presale_order.shipping_charge),
        shipping_address=delivery_shipping_address(choice=choice, service_point=point), status=status,
        on_created=sources_record, attribute=False,
    )
    basket.submit()
    return order


def balance_record(*, presale_order, payment):
    """The balance is in: the deposit's source now covers the deposit, a source
    of the balance's method covers (and is debited) the balance."""
    order = presale_order.order
    received = Decimal(payment.amount_received_fen) / 100
    upfront = order.sources.select_for_update().order_by("pk").first()
    if upfront is not None:
        Source.objects.filter(pk=upfront.pk).update(amount_allocated=presale_order.upfront_amount)
    source = Source.objects.create(
        order=order, source_type=source_type(payment.method), currency="CNY",
        amount_allocated=presale_order.balance_amount, reference=payment.intent_id or "",
        label=str(payment.get_method_display()),
    )
    source.debit(amount=received, reference=payment.intent_id or "")
    payment_event(order=order, name=BALANCE_EVENT, amount=received, reference=payment.intent_id or "")
