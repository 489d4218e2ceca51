"""The customer's delivery choice, as a value that outlives the request.

An order paid online is placed when the payment succeeds, which may be in a Stripe
webhook with no session at hand. So the checkout session's delivery choice is
captured as a ``DeliveryChoice`` (stored as JSON on the online payment) and the
order's shipping address and method are rebuilt from it, the same way for the
pay-at-pickup path and the online path.

A pickup choice names the service point; a home-delivery choice (送货上门 /
冷链到家) carries the address: ``{"city_id", "district", "street"}``.
"""
from dataclasses import asdict, dataclass, field

from shop.regions.models import City, ServicePoint

from .session import shipping_address_for_home, shipping_address_for_pickup


@dataclass(frozen=True)
class DeliveryChoice:
    method_code: str
    recipient_name: str
    recipient_phone: str
    service_point_id: int | None = None
    # Home delivery: {"city_id": int, "district": str, "street": str}; empty for pickup.
    address: dict = field(default_factory=dict)

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**data)

    @property
    def is_pickup(self):
        return self.service_point_id is not None

    def service_point(self):
        if self.service_point_id is None:
            return None
        return ServicePoint.objects.select_related("county__city").filter(pk=self.service_point_id).first()

    def city(self):
        """The destination City of a home delivery (None for pickup, or if it is gone)."""
        city_id = (self.address or {}).get("city_id")
        if self.is_pickup or not city_id:
            return None
        return City.objects.filter(pk=city_id).first()


def delivery_shipping_address(*, choice, service_point=None):
    """An unsaved ShippingAddress for ``choice``: the pickup point, or the customer's address."""
    if choice.is_pickup:
        service_point = service_point or choice.service_point()
        if service_point is None:
            return None
        return shipping_address_for_pickup(service_point=service_point, recipient_name=choice.recipient_name)
    city = choice.city()
    if city is None:
        return None
    return shipping_address_for_home(city=city, address=choice.address, recipient_name=choice.recipient_name)


def delivery_shipping_method(*, choice, basket, user=None, service_point=None):
    """The shipping method object (with its charge for ``basket``) or None."""
    from shop.fulfilment.shipping import Repository

    if choice.is_pickup:
        service_point = service_point or choice.service_point()
        if service_point is None:
            return None
        city = None
    else:
        service_point, city = None, choice.city()
        if city is None:
            return None
    methods = Repository().get_shipping_methods(
        basket=basket,
        user=user,
        shipping_addr=delivery_shipping_address(choice=choice, service_point=service_point),
        service_point=service_point,
        city=city,
        method_code=None if choice.is_pickup else choice.method_code,
    )
    return next((method for method in methods if method.code == choice.method_code), None)
