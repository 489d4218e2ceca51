"""Read-side queries for pickup points and the orders collected there."""
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from shop.brands.models import ProductOrigin
from shop.regions.models import City, County, ServicePoint

from .models import OrderPickup

Product = get_model("catalogue", "Product")
OrderLine = get_model("order", "Line")


@dataclass(frozen=True)
class PickupPointOption:
    service_point: ServicePoint
    unavailable_reason: str = ""

    @property
    def is_available(self):
        return not self.unavailable_reason


@dataclass
class PickupDistrict:
    county: County
    options: list[PickupPointOption] = field(default_factory=list)


@dataclass
class PickupCity:
    city: City
    districts: list[PickupDistrict] = field(default_factory=list)


def pickup_points_active():
    """Active urban pickup points and lockers, ordered by city, district, kind, name."""
    return (
        ServicePoint.objects.filter(is_active=True, kind__in=ServicePoint.URBAN_KINDS)
        .select_related("county__city")
        .order_by("county__city__code", "county__code", "kind", "name")
    )


def pickup_point_unavailable_reason(*, service_point, requires_cold_storage):
    """Why an order cannot be collected at ``service_point``; "" when it can."""
    if not service_point.is_active or service_point.kind not in ServicePoint.URBAN_KINDS:
        return str(_("该网点不提供自提服务"))
    if requires_cold_storage and not service_point.has_cold_storage:
        return str(_("该自提点没有冷藏条件，不能自提鲜活产品"))
    return ""


def pickup_point_options(*, requires_cold_storage):
    """Every active pickup point grouped by city and district, each with the
    reason (if any) it cannot take this order."""
    cities = {}
    for point in pickup_points_active():
        county = point.county
        city_group = cities.setdefault(county.city_id, PickupCity(city=county.city))
        if not city_group.districts or city_group.districts[-1].county.pk != county.pk:
            city_group.districts.append(PickupDistrict(county=county))
        reason = pickup_point_unavailable_reason(service_point=point, requires_cold_storage=requires_cold_storage)
        city_group.districts[-1].options.append(PickupPointOption(service_point=point, unavailable_reason=reason))
    return list(cities.values())


def fresh_product_ids(*, product_ids):
    """The ids among ``product_ids`` whose origin (or whose parent's origin) is fresh."""
    product_ids = set(product_ids)
    if not product_ids:
        return set()
    parents = dict(Product.objects.filter(pk__in=product_ids, parent__isnull=False).values_list("pk", "parent_id"))
    fresh = set(
        ProductOrigin.objects.filter(product_id__in=product_ids | set(parents.values()), is_fresh=True).values_list(
            "product_id", flat=True
        )
    )
    return {pk for pk in product_ids if pk in fresh or parents.get(pk) in fresh}


def order_requires_cold_storage(*, order):
    return bool(fresh_product_ids(product_ids=order.lines.exclude(product=None).values_list("product_id", flat=True)))


def order_pickup_for_order(*, order):
    return OrderPickup.objects.select_related("service_point__county__city").filter(order=order).first()


def order_pickups_by_order_id(*, order_ids):
    pickups = OrderPickup.objects.select_related("service_point__county__city").filter(order_id__in=list(order_ids))
    return {pickup.order_id: pickup for pickup in pickups}


def order_item_counts(*, order_ids):
    rows = OrderLine.objects.filter(order_id__in=list(order_ids)).values("order_id").annotate(items=Sum("quantity"))
    return {row["order_id"]: row["items"] for row in rows}
