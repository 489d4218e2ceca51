"""fulfilment.services.order_pickup_create and the pickup selectors, without the views."""
from decimal import Decimal

import pytest
from oscar.core.loading import get_class, get_model
from oscar.test.factories import ProductFactory, create_order

from shop.fulfilment.models import OrderPickup
from shop.fulfilment.selectors import fresh_product_ids
from shop.fulfilment.services import InvalidRecipient, PickupPointUnavailable, order_pickup_create
from shop.fulfilment.shipping import CommunityPickup, LockerPickup, Repository

Basket = get_model("basket", "Basket")
Default = get_class("partner.strategy", "Default")

pytestmark = pytest.mark.django_db


def order_of(*products):
    basket = Basket.objects.create()
    basket.strategy = Default()
    for product in products:
        basket.add_product(product)
    return create_order(basket=basket)


def test_fresh_order_is_refused_at_a_point_without_cold_storage(lychee, pomelo, plain_point):
    order = order_of(pomelo, lychee)
    with pytest.raises(PickupPointUnavailable) as refused:
        order_pickup_create(
            order=order, service_point=plain_point, recipient_name="王小明", recipient_phone="13812345678"
        )
    assert str(refused.value) == "该自提点没有冷藏条件，不能自提鲜活产品"
    assert OrderPickup.objects.count() == 0


def test_inactive_point_is_refused(pomelo, closed_point):
    order = order_of(pomelo)
    with pytest.raises(PickupPointUnavailable) as refused:
        order_pickup_create(
            order=order, service_point=closed_point, recipient_name="王小明", recipient_phone="13812345678"
        )
    assert str(refused.value) == "该网点不提供自提服务"


def test_pickup_is_recorded_with_a_normalised_phone(lychee, cold_point):
    order = order_of(lychee)
    pickup = order_pickup_create(
        order=order, service_point=cold_point, recipient_name=" 王小明 ", recipient_phone="+86 138-1234-5678"
    )
    assert (pickup.order, pickup.service_point, pickup.recipient_name, pickup.recipient_phone) == (
        order, cold_point, "王小明", "13812345678",
    )
    assert pickup.masked_recipient_phone == "138****5678"
    assert order.total_incl_tax == Decimal("59.00")


@pytest.mark.parametrize("phone", ["", "12812345678", "1381234567", "02012345678"])
def test_invalid_phone_is_refused(pomelo, cold_point, phone):
    with pytest.raises(InvalidRecipient):
        order_pickup_create(order=order_of(pomelo), service_point=cold_point, recipient_name="王小明",
                            recipient_phone=phone)


def test_fresh_product_ids_follow_the_parent_origin(lychee, pomelo):
    assert fresh_product_ids(product_ids=[lychee.pk, pomelo.pk]) == {lychee.pk}
    assert fresh_product_ids(product_ids=[]) == set()
    lychee.structure = "parent"
    lychee.save()
    variant = ProductFactory(parent=lychee, structure="child", product_class=None, title="高州荔枝 5斤装", stockrecords=None)
    assert fresh_product_ids(product_ids=[variant.pk, pomelo.pk]) == {variant.pk}


def test_repository_offers_the_method_of_the_point_kind(pomelo, cold_point, locker):
    basket = Basket.objects.create()
    basket.strategy = Default()
    basket.add_product(pomelo)
    repository = Repository()
    assert [m.code for m in repository.get_shipping_methods(basket, service_point=cold_point)] == [CommunityPickup.code]
    assert [m.code for m in repository.get_shipping_methods(basket, service_point=locker)] == [LockerPickup.code]
    assert [m.code for m in repository.get_shipping_methods(basket)] == [CommunityPickup.code, LockerPickup.code]
