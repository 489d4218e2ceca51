"""Delivery methods, one class per delivery kind, and the repository that offers them.

Oscar's checkout asks a shipping ``Repository`` for the methods available to a
basket. The checkout views (``shop.checkout``) pass what the customer chose:
- a pickup point or locker (``service_point``): the one pickup method of that
  point's kind, priced by the rate for the point's city (free without one);
- a destination ``city`` for 送货上门 / 冷链到家: the methods that can go there
  with this basket, priced by weight and city (shop.fulfilment.rates).

``delivery_method_unavailable_reason`` says why a method cannot take a basket;
the checkout shows it next to the disabled method.
"""
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.core import prices
from oscar.core.loading import get_class

from shop.regions.models import ServicePoint

from . import rates
from .models import DeliveryRate
from .selectors import fresh_product_ids

Base = get_class("shipping.methods", "Base")
CoreRepository = get_class("shipping.repository", "Repository")


class RatedMethod(Base):
    """A method whose charge comes from a ``DeliveryRate`` (None: free)."""

    rate_method = None

    def __init__(self, rate=None, city=None):
        self.rate = rate
        self.city = city

    def calculate(self, basket):
        charge = rates.basket_delivery_charge(rate=self.rate, basket=basket)
        return prices.Price(currency=basket.currency, excl_tax=charge, tax=Decimal("0.00"))


class PickupMethod(RatedMethod):
    """Collected by the customer at a service point of ``service_point_kind``."""

    service_point_kind = None
    free_name = ""
    priced_name = ""

    @property
    def name(self):
        return self.priced_name if self.rate is not None else self.free_name

    def serves(self, service_point):
        return service_point is not None and service_point.kind == self.service_point_kind


class CommunityPickup(PickupMethod):
    code = "community-pickup"
    free_name = gettext_lazy("社区自提点自提（免费）")
    priced_name = gettext_lazy("社区自提点自提")
    description = gettext_lazy("商品统一配送到您选择的社区自提点，在营业时间内凭订单号取货。")
    service_point_kind = ServicePoint.Kind.COMMUNITY_PICKUP
    rate_method = DeliveryRate.Method.COMMUNITY_PICKUP


class LockerPickup(PickupMethod):
    code = "locker-pickup"
    free_name = gettext_lazy("提货柜自提（免费）")
    priced_name = gettext_lazy("提货柜自提")
    description = gettext_lazy("商品统一配送到您选择的提货柜，凭订单号取货。")
    service_point_kind = ServicePoint.Kind.LOCKER
    rate_method = DeliveryRate.Method.LOCKER


class HomeDeliveryMethod(RatedMethod):
    """Delivered to the customer's address in ``city``; needs an active rate there."""

    requires_online_payment = True
    carries_fresh = False


class HomeDelivery(HomeDeliveryMethod):
    code = "home-delivery"
    name = gettext_lazy("送货上门")
    description = gettext_lazy("快递送到您填写的地址，按重量和城市计运费，需在线支付。")
    rate_method = DeliveryRate.Method.HOME


class ColdChainDelivery(HomeDeliveryMethod):
    code = "cold-chain"
    name = gettext_lazy("冷链到家")
    description = gettext_lazy("全程冷藏配送到您填写的地址，适合鲜活产品，按重量和城市计运费，需在线支付。")
    rate_method = DeliveryRate.Method.COLD_CHAIN
    carries_fresh = True


PICKUP_METHOD_CLASSES = (CommunityPickup, LockerPickup)
HOME_METHOD_CLASSES = (HomeDelivery, ColdChainDelivery)
PICKUP_METHOD_CODES = frozenset(cls.code for cls in PICKUP_METHOD_CLASSES)
HOME_METHOD_CODES = frozenset(cls.code for cls in HOME_METHOD_CLASSES)
HOME_METHODS_BY_CODE = {cls.code: cls for cls in HOME_METHOD_CLASSES}
# HomeDelivery.method values (shop.fulfilment.models) by shipping method code.
HOME_RECORD_METHOD = {cls.code: cls.rate_method for cls in HOME_METHOD_CLASSES}


def basket_requires_cold_chain(basket):
    return bool(fresh_product_ids(product_ids=[line.product_id for line in basket.all_lines() if line.product_id]))


def home_method_unavailable_reason(*, method_class, city, requires_cold_chain):
    """Why ``method_class`` cannot deliver this basket to ``city`` ("" when it can);
    ``city`` None means no city was chosen yet (only the basket is judged)."""
    if requires_cold_chain and not method_class.carries_fresh:
        return _("含鲜活产品，需冷链配送或有冷藏条件的自提点")
    if city is not None and rates.delivery_rate_active(method=method_class.rate_method, city=city) is None:
        if method_class.carries_fresh:
            return _("该城市暂不提供冷链配送")
        return _("该城市暂不提供送货上门")
    return ""


def pickup_method_for_point(service_point):
    """The pickup method of ``service_point``'s kind, priced for its city, or None."""
    for method_class in PICKUP_METHOD_CLASSES:
        if service_point is not None and service_point.kind == method_class.service_point_kind:
            city = service_point.county.city
            return method_class(rate=rates.delivery_rate_active(method=method_class.rate_method, city=city), city=city)
    return None


def home_method_for_city(*, method_code, city):
    """The home method ``method_code`` priced for ``city`` (its rate may be None)."""
    method_class = HOME_METHODS_BY_CODE[method_code]
    return method_class(rate=rates.delivery_rate_active(method=method_class.rate_method, city=city), city=city)


class Repository(CoreRepository):
    methods = (CommunityPickup(), LockerPickup())

    def get_available_shipping_methods(self, basket, shipping_addr=None, service_point=None, city=None,
                                       method_code=None, **kwargs):
        if service_point is not None:
            method = pickup_method_for_point(service_point)
            return [method] if method is not None else []
        if city is not None:
            requires_cold_chain = basket_requires_cold_chain(basket)
            methods = [
                home_method_for_city(method_code=cls.code, city=city)
                for cls in HOME_METHOD_CLASSES
                if method_code in (None, cls.code)
                and not home_method_unavailable_reason(method_class=cls, city=city,
                                                       requires_cold_chain=requires_cold_chain)
            ]
            return methods
        return list(self.methods)
