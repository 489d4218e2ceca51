"""Which pickup points a basket may go to, how the page explains it, and that the
server refuses what the page disables."""
from decimal import Decimal

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from shop.checkout.views import PaymentDetailsView

from .conftest import (
    add_to_basket, choose_pickup_point, go_to_preview, place_order, start_as_guest, warnings_and_errors,
)

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")

pytestmark = pytest.mark.django_db

NO_COLD_STORAGE = "该自提点没有冷藏条件，不能自提鲜活产品"


def option_rows(response):
    return [
        (
            group.city.name,
            [
                (district.county.name, [(o.service_point.name, o.unavailable_reason) for o in district.options])
                for district in group.districts
            ],
        )
        for group in response.context["pickup_cities"]
    ]


def test_points_are_grouped_by_city_and_district(client, pomelo, cold_point, plain_point, locker, closed_point,
                                                 village_point):
    add_to_basket(client, pomelo)
    start_as_guest(client)
    response = client.get(reverse("checkout:shipping-address"))
    assert response.status_code == 200
    # Inactive points and village service points are not offered.
    assert option_rows(response) == [
        ("广州市", [("越秀区", [("北京街社区自提点", "")]), ("天河区", [("林和社区自提点", "")])]),
        ("深圳市", [("福田区", [("福田口岸提货柜", "")])]),
    ]
    page = response.content.decode()
    assert "林和西路 1 号" in page and "09:00-21:00" in page and "可冷藏" in page
    assert "disabled aria-describedby" not in page


def test_fresh_basket_disables_points_without_cold_storage_with_the_reason(client, pomelo, lychee, cold_point,
                                                                           plain_point, locker):
    add_to_basket(client, pomelo)
    add_to_basket(client, lychee)
    start_as_guest(client)
    response = client.get(reverse("checkout:shipping-address"))
    assert option_rows(response) == [
        ("广州市", [("越秀区", [("北京街社区自提点", NO_COLD_STORAGE)]), ("天河区", [("林和社区自提点", "")])]),
        ("深圳市", [("福田区", [("福田口岸提货柜", NO_COLD_STORAGE)])]),
    ]
    page = response.content.decode()
    assert "购物车中的 高州荔枝 3斤装 是鲜活产品，需要冷藏，只能选择有冷藏条件的自提点。" in page
    assert f'disabled aria-describedby="service_point_{plain_point.pk}_reason"' in page
    assert f'disabled aria-describedby="service_point_{locker.pk}_reason"' in page
    assert f'disabled aria-describedby="service_point_{cold_point.pk}_reason"' not in page
    assert f'id="service_point_{plain_point.pk}_reason">不可选：{NO_COLD_STORAGE}</div>' in page


def test_forged_post_of_a_point_without_cold_storage_is_refused(client, lychee, cold_point, plain_point):
    add_to_basket(client, lychee, 2)
    start_as_guest(client)
    response = choose_pickup_point(client, plain_point)
    assert response.status_code == 200
    assert response.context["form"].errors == {"service_point": [f"北京街社区自提点：{NO_COLD_STORAGE}"]}
    assert f"北京街社区自提点：{NO_COLD_STORAGE}" in response.content.decode()
    # Nothing was stored: later steps, and placing the order, send the customer back.
    response = client.get(reverse("checkout:preview"))
    assert response.status_code == 302 and response.url == reverse("checkout:shipping-address")
    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:shipping-address")
    assert Order.objects.count() == 0

    # The cold point is accepted and the order goes there.
    go_to_preview(client, cold_point)
    assert place_order(client).status_code == 302
    order = Order.objects.get()
    assert (order.pickup.service_point, order.total_incl_tax) == (cold_point, Decimal("118.00"))


def test_fresh_product_added_after_choosing_a_plain_point_blocks_placement(client, pomelo, lychee, plain_point):
    add_to_basket(client, pomelo)
    start_as_guest(client)
    go_to_preview(client, plain_point)
    add_to_basket(client, lychee)

    response = place_order(client)
    assert response.status_code == 302 and response.url == reverse("checkout:shipping-address")
    assert warnings_and_errors(response) == [f"北京街社区自提点：{NO_COLD_STORAGE}，请重新选择自提点"]
    assert Order.objects.count() == 0
    assert lychee.stockrecords.get().num_allocated is None


def test_placement_refuses_a_point_that_stopped_taking_the_order_and_rolls_back(client, monkeypatch, lychee,
                                                                                 cold_point):
    """Defence in depth: even past the pre-conditions (a race), the place-order
    transaction refuses the point and leaves no order, pickup or allocation."""
    add_to_basket(client, lychee, 1)
    start_as_guest(client)
    go_to_preview(client, cold_point)
    cold_point.has_cold_storage = False
    cold_point.save()
    monkeypatch.setattr(PaymentDetailsView, "check_a_valid_shipping_address_is_captured", lambda self: None)

    response = place_order(client)
    assert response.status_code == 200
    assert response.context["error"] == NO_COLD_STORAGE
    assert NO_COLD_STORAGE in response.content.decode()
    assert Order.objects.count() == 0
    assert lychee.stockrecords.get().num_allocated is None
    assert Basket.objects.get().status == "Open"


@pytest.mark.parametrize(
    "point_fixture, error",
    [("closed_point", "请选择列表中的自提点"), ("village_point", "请选择列表中的自提点")],
)
def test_points_not_offered_cannot_be_posted(request, client, pomelo, point_fixture, error):
    point = request.getfixturevalue(point_fixture)
    add_to_basket(client, pomelo)
    start_as_guest(client)
    response = choose_pickup_point(client, point)
    assert response.status_code == 200
    assert response.context["form"].errors == {"service_point": [error]}


@pytest.mark.parametrize(
    "name, phone, errors",
    [
        ("王小明", "12345", {"recipient_phone": ["请输入 11 位中国大陆手机号"]}),
        ("  ", "13812345678", {"recipient_name": ["请填写收货人姓名"]}),
        ("王小明", "", {"recipient_phone": ["请填写收货人手机号"]}),
    ],
)
def test_recipient_is_validated(client, pomelo, cold_point, name, phone, errors):
    add_to_basket(client, pomelo)
    start_as_guest(client)
    response = choose_pickup_point(client, cold_point, name=name, phone=phone)
    assert response.status_code == 200
    assert response.context["form"].errors == errors


def test_phone_is_normalised(client, pomelo, cold_point):
    add_to_basket(client, pomelo)
    start_as_guest(client)
    go_to_preview(client, cold_point, phone="+86 139-0000-1111")
    place_order(client)
    assert Order.objects.get().pickup.recipient_phone == "13900001111"
