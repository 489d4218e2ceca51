"""What step 1 of the checkout shows: every delivery method with its price for
this basket, and why one is unavailable.

- Pickup points and lockers, grouped by city and district (shop.fulfilment.selectors),
  each with its charge (free unless a rate for the point's kind and city says otherwise).
- 送货上门 and 冷链到家: the charge to each city that has its own active rate and
  to every other city, the charge to the city chosen so far, and the reason the
  method cannot take this basket at all (fresh produce, no online payment).
"""
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from shop.fulfilment import rates
from shop.fulfilment.models import DeliveryRate
from shop.fulfilment.selectors import pickup_point_options
from shop.fulfilment.shipping import HOME_METHOD_CLASSES, PICKUP_METHOD_CLASSES

from .session import home_method_checkout_reason


@dataclass(frozen=True)
class PricedPickupOption:
    service_point: object
    unavailable_reason: str
    charge: Decimal

    @property
    def is_available(self):
        return not self.unavailable_reason


@dataclass(frozen=True)
class CityCharge:
    city_name: str
    charge: Decimal | None  # None: not delivered there


@dataclass(frozen=True)
class HomeOption:
    code: str
    name: str
    description: str
    unavailable_reason: str
    city_charges: list = field(default_factory=list)
    # The charge to the city chosen so far (None: no city yet, or not delivered there).
    selected_city_charge: Decimal | None = None
    selected_city_reason: str = ""

    @property
    def is_available(self):
        return not self.unavailable_reason


@dataclass(frozen=True)
class BasketFacts:
    weight_kg: Decimal
    subtotal: Decimal

    def charge(self, rate):
        if rate is None:
            return rates.ZERO
        return rates.delivery_charge(rate=rate, weight_kg=self.weight_kg, subtotal=self.subtotal)


def basket_facts(*, basket):
    return BasketFacts(weight_kg=rates.basket_weight_kg(basket=basket), subtotal=rates.basket_subtotal(basket=basket))


def pickup_options_priced(*, facts, requires_cold_storage):
    """``pickup_point_options`` with each point's charge for this basket."""
    cities = pickup_point_options(requires_cold_storage=requires_cold_storage)
    kinds = {cls.service_point_kind: cls.rate_method for cls in PICKUP_METHOD_CLASSES}
    charges = {}
    for group in cities:
        for district in group.districts:
            priced = []
            for option in district.options:
                point = option.service_point
                key = (point.kind, group.city.pk)
                if key not in charges:
                    rate = rates.delivery_rate_active(method=kinds[point.kind], city=group.city)
                    charges[key] = facts.charge(rate)
                priced.append(PricedPickupOption(service_point=point, unavailable_reason=option.unavailable_reason,
                                                 charge=charges[key]))
            district.options = priced
    return cities


def _city_charges(*, method, facts):
    """[(city name, charge)] for each city with its own rate (None where inactive), then every other city."""
    charges = []
    default = None
    for rate in DeliveryRate.objects.filter(method=method).select_related("city").order_by("city__code"):
        if rate.city_id is None:
            default = rate
            continue
        charges.append(CityCharge(city_name=rate.city.name, charge=facts.charge(rate) if rate.is_active else None))
    if charges or default is not None:
        charges.append(CityCharge(
            city_name=_("其他城市") if charges else _("所有城市"),
            charge=facts.charge(default) if default is not None and default.is_active else None,
        ))
    return charges


def home_options(*, facts, requires_cold_storage, city=None):
    """送货上门 and 冷链到家 for this basket (and ``city``, when one is chosen)."""
    options = []
    for method_class in HOME_METHOD_CLASSES:
        reason = home_method_checkout_reason(method_class=method_class, city=None,
                                             requires_cold_chain=requires_cold_storage)
        selected_charge, selected_reason = None, ""
        if city is not None:
            selected_reason = home_method_checkout_reason(method_class=method_class, city=city,
                                                          requires_cold_chain=requires_cold_storage)
            if not selected_reason:
                selected_charge = facts.charge(rates.delivery_rate_active(method=method_class.rate_method, city=city))
        city_charges = _city_charges(method=method_class.rate_method, facts=facts)
        if not reason and not any(item.charge is not None for item in city_charges):
            reason = _("暂不提供冷链配送") if method_class.carries_fresh else _("暂不提供送货上门")
        options.append(HomeOption(
            code=method_class.code, name=str(method_class.name), description=str(method_class.description),
            unavailable_reason=reason, city_charges=city_charges,
            selected_city_charge=selected_charge, selected_city_reason=selected_reason,
        ))
    return options
