"""Delivery methods, one class per delivery kind, and the repository that offers them.

Oscar's checkout asks a shipping ``Repository`` for the methods available to a
basket.  The checkout views (``shop.checkout``) use this repository and pass the
chosen service point, so only the method matching the point's kind is offered.
Home delivery and cold-chain delivery (later issues) are further ``Base``
subclasses added to ``Repository.methods``.
"""
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class

from shop.regions.models import ServicePoint

Free = get_class("shipping.methods", "Free")
CoreRepository = get_class("shipping.repository", "Repository")


class PickupMethod(Free):
    """Collected by the customer at a service point of ``service_point_kind``."""

    service_point_kind = None

    def serves(self, service_point):
        return service_point is not None and service_point.kind == self.service_point_kind


class CommunityPickup(PickupMethod):
    code = "community-pickup"
    name = _("社区自提点自提（免费）")
    description = _("商品统一配送到您选择的社区自提点，在营业时间内凭订单号取货。")
    service_point_kind = ServicePoint.Kind.COMMUNITY_PICKUP


class LockerPickup(PickupMethod):
    code = "locker-pickup"
    name = _("提货柜自提（免费）")
    description = _("商品统一配送到您选择的提货柜，凭订单号取货。")
    service_point_kind = ServicePoint.Kind.LOCKER


PICKUP_METHOD_CODES = frozenset({CommunityPickup.code, LockerPickup.code})


class Repository(CoreRepository):
    methods = (CommunityPickup(), LockerPickup())

    def get_available_shipping_methods(self, basket, shipping_addr=None, service_point=None, **kwargs):
        if service_point is None:
            return list(self.methods)
        return [method for method in self.methods if method.serves(service_point)]
