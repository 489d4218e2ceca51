"""The customer's delivery choice, as a value that outlives the request.

An order paid online is placed when the payment succeeds, which may be in a Stripe
webhook with no session at hand. So the checkout session's delivery choice is
captured as a ``DeliveryChoice`` (stored as JSON on the online payment) and the
order's shipping address and method are rebuilt from it, the same way for the
pay-at-pickup path and the online path.
"""
from dataclasses import asdict, dataclass, field

from shop.regions.models import ServicePoint

from .session import shipping_address_for_pickup


@dataclass(frozen=True)
class DeliveryChoice:
    method_code: str
    recipient_name: str
    recipient_phone: str
    service_point_id: int | None = None
    # Home delivery: the address fields (see shop.fulfilment.shipping); empty for pickup.
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


def delivery_shipping_address(*, choice, service_point=None):
    """An unsaved ShippingAddress for ``choice``."""
    service_point = service_point or choice.service_point()
    if service_point is not None:
        return shipping_address_for_pickup(service_point=service_point, recipient_name=choice.recipient_name)
    return None


def delivery_shipping_method(*, choice, basket, user=None, service_point=None):
    """The shipping method object (with its charge for ``basket``) or None."""
    from shop.fulfilment.shipping import Repository

    service_point = service_point or choice.service_point()
    methods = Repository().get_shipping_methods(
        basket=basket,
        user=user,
        shipping_addr=delivery_shipping_address(choice=choice, service_point=service_point),
        service_point=service_point,
    )
    return next((method for method in methods if method.code == choice.method_code), None)
