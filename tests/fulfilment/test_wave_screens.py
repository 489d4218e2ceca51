"""The delivery wave screens: candidates and a new wave, the detail with this
cooperative's lines only, shipping (with a temperature for cold chain), the
printable manifest and packing list, and who may open what."""
import pytest
from django.contrib.messages import get_messages
from oscar.core.loading import get_model

from shop.fulfilment import waves
from shop.fulfilment.models import DeliveryWave, WaveOrder
from shop.harvest.models import TraceEvent
from tests.backoffice.support import bo_url

from .conftest import pickup_order

Order = get_model("order", "Order")
ShippingEvent = get_model("order", "ShippingEvent")


@pytest.fixture
def orders(world):
    p = world.point_p
    return {
        "one": pickup_order(lines=[(world.product_a, 3)], point=p),
        "split": pickup_order(lines=[(world.product_a, 1), (world.product_b, 2)], point=p, name="李华",
                              phone="13900001111", pay_at_pickup=False),
    }


@pytest.fixture
def wave_b(world, orders, tomorrow):
    return waves.wave_create(partner=world.subject_b.partner, service_point=world.point_p, delivery_date=tomorrow,
                             user=world.users["coop_b"])


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _ship(client, wave, data=None):
    """POST the ship form and follow to the detail page: the messages shown there."""
    response = client.post(bo_url("delivery-wave-ship", pk=wave.pk), data or {}, follow=True)
    assert response.redirect_chain == [(bo_url("delivery-wave-detail", pk=wave.pk), 302)]
    return [str(message) for message in response.context["messages"]]


def _written():
    """Everything a wave screen can write."""
    return (list(DeliveryWave.objects.order_by("pk").values_list("pk", "status", "shipped_at")),
            list(WaveOrder.objects.order_by("pk").values_list("wave_id", "order_id")),
            ShippingEvent.objects.count(), TraceEvent.objects.count(),
            list(Order.objects.order_by("pk").values_list("status", flat=True)))


def test_the_list_shows_the_candidates_with_a_link_to_a_new_wave(world, orders, login):
    response = login(world.users["coop_a"]).get(bo_url("delivery-wave-list"))
    assert response.status_code == 200
    [row] = response.context["candidates"]
    assert (row["candidate"].service_point, row["candidate"].order_count) == (world.point_p, 2)
    create_url = f"{bo_url('delivery-wave-create')}?partner={world.subject_a.partner.pk}&point={world.point_p.pk}"
    assert row["create_url"] == create_url
    html = response.content.decode()
    assert 'id="wave_candidates"' in html and create_url.replace("&", "&amp;") in html


def test_a_cooperative_packs_a_wave_from_the_form(world, orders, login, tomorrow):
    client = login(world.users["coop_a"])
    url = f"{bo_url('delivery-wave-create')}?partner={world.subject_a.partner.pk}&point={world.point_p.pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert [row.order for row in response.context["rows"]] == [orders["one"], orders["split"]]
    assert [(row.recipient_name, row.item_count, row.titles) for row in response.context["rows"]] == [
        ("王**", 3, ("梅州金柚 5斤装",)), ("李*", 1, ("梅州金柚 5斤装",))]
    html = response.content.decode()
    assert html.count('name="orders"') == 2 and html.count(" checked") == 2  # preselected
    assert "王小明" not in html and "13812345678" not in html

    response = client.post(bo_url("delivery-wave-create"), {
        "partner": world.subject_a.partner.pk, "service_point": world.point_p.pk,
        "delivery_date": tomorrow.isoformat(), "orders": [orders["one"].pk],
    })
    wave = DeliveryWave.objects.get()
    assert response.status_code == 302 and response["Location"] == bo_url("delivery-wave-detail", pk=wave.pk)
    assert _messages(response) == [f"已创建配送波次 {wave.code}：1 个订单"]
    assert list(wave.wave_orders.values_list("order_id", flat=True)) == [orders["one"].pk]


def test_a_refused_selection_is_shown_on_the_form(world, orders, login, tomorrow):
    client = login(world.users["coop_a"])
    data = {"partner": world.subject_a.partner.pk, "service_point": world.point_p.pk,
            "delivery_date": tomorrow.isoformat()}
    response = client.post(bo_url("delivery-wave-create"), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["请至少选择一个订单"]
    assert "请至少选择一个订单" in response.content.decode()
    assert DeliveryWave.objects.count() == 0


def test_the_detail_shows_only_this_cooperatives_lines(world, orders, login, tomorrow):
    wave = waves.wave_create(partner=world.subject_a.partner, service_point=world.point_p, delivery_date=tomorrow,
                             user=world.users["coop_a"])
    response = login(world.users["coop_a"]).get(bo_url("delivery-wave-detail", pk=wave.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "平远脐橙" not in html and "梅州金柚 5斤装 × 3" in html
    assert "李*" in html and "139****1111" in html and "13900001111" not in html
    assert 'id="wave_ship_form"' in html and 'name="temperature"' not in html  # no cold chain
    assert response.context["ship_url"] == bo_url("delivery-wave-ship", pk=wave.pk)


def test_the_ship_button_ships_once(world, orders, login, tomorrow):
    wave = waves.wave_create(partner=world.subject_a.partner, service_point=world.point_p, delivery_date=tomorrow,
                             user=world.users["coop_a"])
    client = login(world.users["coop_a"])
    assert _ship(client, wave) == [f"波次 {wave.code} 已发运"]
    assert Order.objects.get(pk=orders["one"].pk).status == "配送中"
    assert _ship(client, wave) == [f"波次 {wave.code} 已发运，不能重复发运"]
    assert TraceEvent.objects.filter(business_step="shipping").count() == 2
    html = client.get(bo_url("delivery-wave-detail", pk=wave.pk)).content.decode()
    assert 'id="wave_ship_form"' not in html


def test_a_cold_chain_wave_asks_for_the_temperature(world, login, tomorrow):
    order = pickup_order(lines=[(world.lychee, 1)], point=world.point_p)
    wave = waves.wave_create(partner=world.subject_a.partner, service_point=world.point_p, delivery_date=tomorrow,
                             user=world.users["coop_a"])
    client = login(world.users["coop_a"])
    html = client.get(bo_url("delivery-wave-detail", pk=wave.pk)).content.decode()
    assert 'name="temperature"' in html and "冷链波次（含鲜活产品）须填写发运温度。" in html
    assert _ship(client, wave, {"temperature": ""}) == ["冷链波次须填写发运温度"]
    assert DeliveryWave.objects.get().status == "planned"
    assert _ship(client, wave, {"temperature": "99"}) == ["确保该值小于或等于60。"]
    assert DeliveryWave.objects.get().status == "planned"
    assert _ship(client, wave, {"temperature": "3.5"}) == [f"波次 {wave.code} 已发运"]
    assert DeliveryWave.objects.get().status == "shipped"
    assert Order.objects.get(pk=order.pk).status == "配送中"
    assert str(TraceEvent.objects.get(business_step="shipping").temperature) == "3.5"


def test_the_printable_manifest_and_packing_list(world, orders, login, tomorrow):
    wave = waves.wave_create(partner=world.subject_a.partner, service_point=world.point_p, delivery_date=tomorrow,
                             user=world.users["coop_a"])
    client = login(world.users["coop_a"])
    response = client.get(bo_url("delivery-wave-manifest", pk=wave.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "window.print()" in html and "@media print" in html and "配送清单" in html
    assert wave.code in html and "¥119.70" in html and "已付款" in html
    assert "王**" in html and "138****5678" in html and "王小明" not in html and "13812345678" not in html
    assert "平远脐橙" not in html
    assert response.context["item_total"] == 4

    response = client.get(bo_url("delivery-wave-packing-list", pk=wave.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "拣货单" in html and "window.print()" in html
    assert [(row.batch_code, row.quantity) for row in response.context["packing_list"]] == sorted(
        [(world.batch_a_old.code, 2), (world.batch_a.code, 2)])
    assert response.context["item_total"] == 4


def test_another_cooperatives_wave_is_not_found_and_nothing_is_written(world, wave_b, login, tomorrow):
    client = login(world.users["coop_a"])
    before = _written()
    for name in ("delivery-wave-detail", "delivery-wave-manifest", "delivery-wave-packing-list"):
        assert client.get(bo_url(name, pk=wave_b.pk)).status_code == 404
    assert client.post(bo_url("delivery-wave-ship", pk=wave_b.pk), {"temperature": "4"}).status_code == 404
    assert wave_b not in client.get(bo_url("delivery-wave-list")).context["object_list"]
    # Naming cooperative B in a new wave, or B's order in A's wave.
    b_partner = world.subject_b.partner
    assert client.get(f"{bo_url('delivery-wave-create')}?partner={b_partner.pk}").status_code == 404
    data = {"partner": b_partner.pk, "service_point": world.point_p.pk, "delivery_date": tomorrow.isoformat()}
    assert client.post(bo_url("delivery-wave-create"), data).status_code == 404
    b_only = pickup_order(lines=[(world.product_b, 1)], point=world.point_p)
    before = _written()
    data = {"partner": world.subject_a.partner.pk, "service_point": world.point_p.pk,
            "delivery_date": tomorrow.isoformat(), "orders": [b_only.pk]}
    assert client.post(bo_url("delivery-wave-create"), data).status_code == 403
    assert _written() == before


@pytest.mark.parametrize(("role", "expected"), [
    ("anonymous", {"list": 302, "create": 302, "detail": 302, "manifest": 302, "packing-list": 302, "ship": 302}),
    ("consumer", {"list": 403, "create": 403, "detail": 403, "manifest": 403, "packing-list": 403, "ship": 403}),
    ("pickup", {"list": 403, "create": 403, "detail": 403, "manifest": 403, "packing-list": 403, "ship": 403}),
    ("bare_staff", {"list": 403, "create": 403, "detail": 403, "manifest": 403, "packing-list": 403, "ship": 403}),
    ("operations", {"list": 403, "create": 403, "detail": 403, "manifest": 403, "packing-list": 403, "ship": 403}),
    ("officer", {"list": 200, "create": 403, "detail": 200, "manifest": 200, "packing-list": 200, "ship": 403}),
    ("coop_a", {"list": 200, "create": 200, "detail": 404, "manifest": 404, "packing-list": 404, "ship": 404}),
    ("coop_b", {"list": 200, "create": 200, "detail": 200, "manifest": 200, "packing-list": 200, "ship": 302}),
    ("admin", {"list": 200, "create": 200, "detail": 200, "manifest": 200, "packing-list": 200, "ship": 302}),
])
def test_access_by_role(world, wave_b, client, role, expected):
    """Against cooperative B's wave: GET every page, POST ship (a 302 ships it)."""
    if role != "anonymous":
        client.force_login(world.users[role])
    results = {name: client.get(bo_url(f"delivery-wave-{name}", pk=wave_b.pk)).status_code
               for name in ("detail", "manifest", "packing-list")}
    results["list"] = client.get(bo_url("delivery-wave-list")).status_code
    results["create"] = client.get(bo_url("delivery-wave-create")).status_code
    results["ship"] = client.post(bo_url("delivery-wave-ship", pk=wave_b.pk)).status_code
    assert results == expected
    wave_b.refresh_from_db()
    assert wave_b.status == ("shipped" if expected["ship"] == 302 and role != "anonymous" else "planned")


def test_the_list_filters_by_status(world, orders, wave_b, login, tomorrow):
    wave_a = waves.wave_create(partner=world.subject_a.partner, service_point=world.point_p, delivery_date=tomorrow,
                               user=world.users["coop_a"])
    waves.wave_ship(wave=wave_a, user=world.users["coop_a"])
    client = login(world.users["admin"])
    assert list(client.get(bo_url("delivery-wave-list"), {"status": "shipped"}).context["object_list"]) == [wave_a]
    assert list(client.get(bo_url("delivery-wave-list"), {"status": "planned"}).context["object_list"]) == [wave_b]



def test_programme_officers_only_read(world, wave_b, login):
    client = login(world.users["officer"])
    detail = client.get(bo_url("delivery-wave-detail", pk=wave_b.pk))
    assert "ship_form" not in detail.context and 'id="wave_ship_form"' not in detail.content.decode()
    listing = client.get(bo_url("delivery-wave-list"))
    assert (listing.context["create_url"], listing.context["candidates"]) == (None, [])
    assert 'id="wave_candidates"' not in listing.content.decode()
