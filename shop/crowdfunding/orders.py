"""The fulfilment order of a pledge of a successful project.

Placed through ``shop.checkout.placement.order_create`` like every order (stock,
the pickup record, the attribution ledger, in one transaction), from a basket
made for the pledge: the project's product, the tier's units, priced so the line
carries exactly the amount pledged (delivery included), status 待发货 so the
cooperative's delivery waves pick it up. Before the ledger is written, the lines
are allocated to the project's batch (not first-harvested-first-sold), so the
ledger names exactly the project's households."""
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.apps.partner import prices
from oscar.apps.partner.strategy import Default
from oscar.apps.shipping.methods import Free
from oscar.core.loading import get_class, get_model

from shop.attribution.models import LineAllocation
from shop.checkout.delivery import DeliveryChoice, delivery_shipping_address
from shop.checkout.placement import _payment_record, order_create
from shop.harvest.models import HarvestBatch

Basket = get_model("basket", "Basket")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")


class PledgeStrategy(Default):
    """Oscar's default strategy (first stock record, stock required, no tax),
    every unit priced at the pledge's amount over its units: no campaign or list
    price applies to what the backer already paid."""

    def __init__(self, *, unit_price, user=None):
        super().__init__()
        self.unit_price = unit_price
        self.user = user

    def pricing_policy(self, product, stockrecord):
        policy = super().pricing_policy(product, stockrecord)
        if not policy.exists:
            return policy
        return prices.FixedPrice(currency=stockrecord.price_currency, excl_tax=self.unit_price, tax=Decimal("0.00"))


class PledgeDelivery(Free):
    """The pickup of a pledge's reward: included in the amount pledged."""

    def __init__(self, code):
        self.code = code
        self.name = gettext_lazy("众筹回报自提（已含在支持金额中）")


def _batch_allocate(*, order, batch_id):
    """Allocate every line of ``order`` to the project's batch (locked), before
    ``order_attribute`` writes the ledger (which keeps existing allocations)."""
    batch = HarvestBatch.objects.select_for_update().get(pk=batch_id)
    lines = list(order.lines.order_by("pk"))
    needed = sum(line.quantity for line in lines)
    if any(line.product_id != batch.product_id for line in lines) or batch.quantity_remaining < needed:
        raise UnableToPlaceOrder(_("项目批次 %(code)s 剩余 %(left)d 件，不够本单 %(needed)d 件") % {
            "code": batch.code, "left": batch.quantity_remaining, "needed": needed})
    LineAllocation.objects.bulk_create([LineAllocation(line=line, batch=batch, quantity=line.quantity)
                                        for line in lines])
    HarvestBatch.objects.filter(pk=batch.pk).update(quantity_allocated=batch.quantity_allocated + needed)


def pledge_order_place(*, pledge, payment=None):
    """Place the pledge's order (call with the pledge, and its payment if any,
    locked). Raises UnableToPlaceOrder (nothing written) when it cannot be placed:
    the project has no batch, the batch or the stock is short, the pickup point
    closed."""
    project = pledge.project
    if project.batch_id is None:
        raise UnableToPlaceOrder(_("项目尚未设置项目批次"))
    choice = DeliveryChoice.from_json(pledge.delivery)
    service_point = choice.service_point()
    if service_point is None:
        raise UnableToPlaceOrder(_("自提点已停止服务"))
    with transaction.atomic():
        basket = Basket.objects.create(owner=pledge.user)
        basket.strategy = PledgeStrategy(unit_price=pledge.amount / pledge.quantity, user=pledge.user)
        basket.add_product(project.product, pledge.quantity)
        method = PledgeDelivery(code=choice.method_code)
        charge = method.calculate(basket)
        total = OrderTotalCalculator().calculate(basket, charge)
        if total.incl_tax != pledge.amount:
            raise UnableToPlaceOrder(_("回报订单金额与支持金额不符"))

        def on_created(order):
            _batch_allocate(order=order, batch_id=project.batch_id)
            if payment is not None:
                _payment_record(order=order, payment=payment)

        order = order_create(
            basket=basket, user=pledge.user, choice=choice, order_number=pledge.number, total=total,
            shipping_method=method, shipping_charge=charge,
            shipping_address=delivery_shipping_address(choice=choice, service_point=service_point),
            on_created=on_created,
        )
        basket.submit()
    return order
