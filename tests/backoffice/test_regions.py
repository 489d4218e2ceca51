"""Cities, counties, townships, villages and service points: CRUD, validation, filters."""
from shop.regions.models import City, County, ServicePoint, Township, Village

from .support import bo_url


def _names(response):
    return [obj.name for obj in response.context["object_list"]]


def test_city_create_update_delete(world, login):
    client = login(world.users["admin"])
    response = client.post(bo_url("city-create"), {"code": "441300", "name": "惠州市", "name_en": "Huizhou"})
    city = City.objects.get(code="441300")
    assert response.status_code == 302
    assert response["Location"] == bo_url("city-detail", pk=city.pk)
    assert (city.name, city.name_en) == ("惠州市", "Huizhou")

    data = {"code": "441300", "name": "惠州市", "name_en": "Huizhou City"}
    response = client.post(bo_url("city-update", pk=city.pk), data)
    city.refresh_from_db()
    assert response.status_code == 302
    assert city.name_en == "Huizhou City"

    response = client.post(bo_url("city-delete", pk=city.pk))
    assert response.status_code == 302
    assert response["Location"] == bo_url("city-list")
    assert City.objects.filter(code="441300").exists() is False


def test_a_city_in_use_is_not_deleted(world, login):
    client = login(world.users["admin"])
    response = client.post(bo_url("city-delete", pk=world.city.pk), follow=True)
    assert City.objects.filter(pk=world.city.pk).exists() is True
    assert [str(message) for message in response.context["messages"]] == ["「梅州市」仍被其他记录引用，不能删除。"]


def test_city_code_validation(world, login):
    client = login(world.users["admin"])
    response = client.post(bo_url("city-create"), {"code": "44130", "name": "惠州市"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["行政区划代码须为 6 位数字。"]}
    response = client.post(bo_url("city-create"), {"code": "441301", "name": "惠州市"})
    assert response.context["form"].errors == {"code": ["地级市代码以 00 结尾。"]}
    assert City.objects.count() == 2  # 梅州市 and 广州市 of the world


def test_county_code_must_start_with_its_city_code(world, login):
    client = login(world.users["admin"])
    data = {"city": world.city.pk, "code": "440105", "name": "大埔县", "name_en": "Dabu"}
    response = client.post(bo_url("county-create"), data)
    assert response.context["form"].errors == {"code": ["行政区划代码须以上级代码 4414 开头。"]}

    response = client.post(bo_url("county-create"), {**data, "code": "441422", "is_demonstration_county": "on"})
    county = County.objects.get(code="441422")
    assert response["Location"] == bo_url("county-detail", pk=county.pk)
    assert (county.city, county.name, county.name_en, county.is_demonstration_county) == (
        world.city, "大埔县", "Dabu", True
    )


def test_township_and_village_create(world, login):
    client = login(world.users["admin"])
    client.post(bo_url("township-create"), {"county": world.county_a.pk, "code": "441403101", "name": "雁洋镇"})
    township = Township.objects.get(code="441403101")
    assert (township.county, township.name) == (world.county_a, "雁洋镇")

    response = client.post(bo_url("village-create"), {"township": township.pk, "code": "441403100209", "name": "南福村"})
    assert response.context["form"].errors == {"code": ["行政区划代码须以上级代码 441403101 开头。"]}

    response = client.post(
        bo_url("village-create"),
        {"township": township.pk, "code": "441403101201", "name": "南福村", "is_provincial_poor_village": "on"},
    )
    village = Village.objects.get(code="441403101201")
    assert response["Location"] == bo_url("village-detail", pk=village.pk)
    assert (village.township, village.name, village.is_provincial_poor_village) == (township, "南福村", True)

    data = {"township": township.pk, "code": "441403101201", "name": "南福村"}
    client.post(bo_url("village-update", pk=village.pk), data)
    village.refresh_from_db()
    assert village.is_provincial_poor_village is False


def test_village_list_filters_and_search(world, login):
    client = login(world.users["admin"])
    assert _names(client.get(bo_url("village-list"))) == ["大黄村", "铜琶村", "程西村"]
    assert _names(client.get(bo_url("village-list"), {"city": world.city.pk})) == ["大黄村", "铜琶村", "程西村"]
    assert _names(client.get(bo_url("village-list"), {"county": world.county_b.pk})) == ["程西村"]
    assert _names(client.get(bo_url("village-list"), {"q": "大黄"})) == ["大黄村"]
    assert _names(client.get(bo_url("village-list"), {"q": "441403100202"})) == ["铜琶村"]
    assert _names(client.get(bo_url("village-list"), {"is_provincial_poor_village": "true"})) == ["大黄村", "程西村"]
    assert _names(client.get(bo_url("village-list"), {"is_provincial_poor_village": "false"})) == ["铜琶村"]
    assert _names(client.get(bo_url("village-list"), {"county": "not-a-county"})) == []


def test_village_list_is_paginated(world, login, settings):
    for number in range(25):
        Village.objects.create(township=world.township_a, code=f"441403100{300 + number}", name=f"新村{number:02d}")
    client = login(world.users["admin"])
    first = client.get(bo_url("village-list"))
    second = client.get(bo_url("village-list"), {"page": 2})
    assert (first.context["paginator"].count, first.context["paginator"].num_pages) == (28, 2)
    assert len(first.context["object_list"]) == 20
    assert len(second.context["object_list"]) == 8


def _service_point_data(world, **changes):
    data = {
        "kind": "community_pickup", "name": "天河体育西自提点", "code": "pickup-tiyuxi", "county": world.point_p.county.pk,
        "community": "天河南街道", "address": "广州市天河区体育西路 100 号", "opening_hours": "08:00-22:00",
        "has_cold_storage": "on", "is_active": "on", "staff": [world.users["pickup"].pk],
    }
    data.update(changes)
    return data


def test_service_point_create_with_staff(world, login):
    client = login(world.users["admin"])
    response = client.post(bo_url("service-point-create"), _service_point_data(world))
    point = ServicePoint.objects.get(code="pickup-tiyuxi")
    assert response["Location"] == bo_url("service-point-detail", pk=point.pk)
    assert (point.kind, point.name, point.county.name, point.address, point.opening_hours) == (
        "community_pickup", "天河体育西自提点", "天河区", "广州市天河区体育西路 100 号", "08:00-22:00"
    )
    assert (point.has_cold_storage, point.is_active, point.community) == (True, True, "天河南街道")
    assert list(point.staff.all()) == [world.users["pickup"]]


def test_service_point_place_must_match_its_kind_and_county(world, login):
    client = login(world.users["admin"])
    response = client.post(bo_url("service-point-create"), _service_point_data(world, kind="village_point"))
    assert response.context["form"].errors == {"village": ["村级电子商务服务点须选择所在行政村。"]}
    response = client.post(
        bo_url("service-point-create"),
        _service_point_data(world, kind="township_station", township=world.township_a.pk),
    )
    assert response.context["form"].errors == {"township": ["所选乡镇不在所在县（市、区）内。"]}
    response = client.post(
        bo_url("service-point-create"),
        _service_point_data(world, kind="village_point", county=world.county_a.pk, village=world.village_b.pk),
    )
    assert response.context["form"].errors == {"village": ["所选行政村不在所在县（市、区）内。"]}
    assert ServicePoint.objects.filter(code="pickup-tiyuxi").exists() is False


def test_service_point_staff_are_pickup_staff_accounts_only(world, login):
    client = login(world.users["admin"])
    response = client.get(bo_url("service-point-create"))
    assert list(response.context["form"].fields["staff"].queryset) == [world.users["pickup"]]
    data = _service_point_data(world, staff=[world.users["consumer"].pk])
    response = client.post(bo_url("service-point-create"), data)
    assert response.status_code == 403
    assert ServicePoint.objects.filter(code="pickup-tiyuxi").exists() is False


def test_pickup_staff_see_only_their_point(world, login):
    client = login(world.users["pickup"])
    response = client.get(bo_url("service-point-list"))
    assert _names(response) == ["天河林和自提点"]
    assert client.get(bo_url("service-point-detail", pk=world.point_q.pk)).status_code == 404
    assert client.get(bo_url("service-point-update", pk=world.point_p.pk)).status_code == 403


def test_service_point_filters(world, login):
    client = login(world.users["admin"])
    assert _names(client.get(bo_url("service-point-list"), {"kind": "locker"})) == ["越秀北京路提货柜"]
    assert _names(client.get(bo_url("service-point-list"), {"q": "北京路"})) == ["越秀北京路提货柜"]
