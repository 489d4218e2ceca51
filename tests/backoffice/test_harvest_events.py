"""Recording circulation events: cooperatives on their own batches, pickup
staff on the batches that reached their point; fresh products need a
temperature on cold-chain steps."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.fulfilment.models import OrderPickup
from shop.harvest.models import TraceEvent
from tests.factories import make_batch, make_product, place_order

from .support import bo_url


@pytest.fixture
def fresh_batch(world):
    lychee = make_product(title="高州荔枝 3斤装", market_subject=world.subject_a, brand=world.brand,
                          village=world.village_a, is_fresh=True)
    return make_batch(product=lychee, quantity=50, households=[(world.household_a, 20)],
                      harvested_on=datetime.date(2026, 11, 20))


def _at_point(product, point, quantity=2):
    order = place_order(lines=[(product, quantity)])
    OrderPickup.objects.create(order=order, service_point=point, recipient_name="张先生", recipient_phone="13900001111")
    return order


def _event(**changes):
    data = {"recorder": "cooperative", "business_step": "shipping", "occurred_at": "2026-11-25T10:30",
            "place": "梅县区松口镇冷库", "temperature": "", "note": "冷链车 粤M·12345"}
    data.update(changes)
    return data


def _events(batch):
    return list(TraceEvent.objects.filter(batch=batch).exclude(
        business_step__in=["commissioning", "inspecting"]).values_list(
        "business_step", "disposition", "place", "service_point", "temperature", "recorder", "recorded_by"))


@pytest.mark.parametrize("step", ["storing", "shipping"])
def test_a_fresh_products_cold_chain_step_needs_a_temperature(world, login, fresh_batch, step):
    client = login(world.users["coop_a"])
    response = client.post(bo_url("harvest-batch-event-create", pk=fresh_batch.pk), _event(business_step=step))
    assert response.status_code == 200
    assert response.context["form"].errors["temperature"] == ["鲜活产品的冷链环节须记录温度"]
    assert "鲜活产品的冷链环节须记录温度" in response.content.decode()
    assert _events(fresh_batch) == []


def test_a_cooperative_records_an_event_of_its_own_batch(world, login, fresh_batch):
    client = login(world.users["coop_a"])
    response = client.post(bo_url("harvest-batch-event-create", pk=fresh_batch.pk), _event(temperature="4.5"))
    assert response.status_code == 302
    assert response["Location"] == bo_url("harvest-batch-detail", pk=fresh_batch.pk)
    assert _events(fresh_batch) == [
        ("shipping", "in_transit", "梅县区松口镇冷库", None, Decimal("4.5"), "cooperative", world.users["coop_a"].pk)]
    event = TraceEvent.objects.get(batch=fresh_batch, business_step="shipping")
    assert timezone.localtime(event.occurred_at).replace(tzinfo=None) == datetime.datetime(2026, 11, 25, 10, 30)
    assert event.note == "冷链车 粤M·12345"


def test_packing_needs_no_temperature_and_a_dry_product_never_does(world, login, fresh_batch):
    client = login(world.users["coop_a"])
    assert client.post(bo_url("harvest-batch-event-create", pk=fresh_batch.pk),
                       _event(business_step="packing")).status_code == 302
    assert client.post(bo_url("harvest-batch-event-create", pk=world.batch_a.pk), _event()).status_code == 302
    assert _events(world.batch_a) == [
        ("shipping", "in_transit", "梅县区松口镇冷库", None, None, "cooperative", world.users["coop_a"].pk)]


def test_the_event_form_is_on_the_detail_page_for_the_cooperative(world, login, fresh_batch):
    html = login(world.users["coop_a"]).get(bo_url("harvest-batch-detail", pk=fresh_batch.pk)).content.decode()
    assert f'action="{bo_url("harvest-batch-event-create", pk=fresh_batch.pk)}"' in html
    assert 'id="trace_event_form"' in html
    assert "鲜活产品：入库冷藏、发货、到货签收环节须填写温度。" in html


def test_a_cooperative_cannot_record_as_someone_else_or_on_another_batch(world, login):
    client = login(world.users["coop_a"])
    response = client.post(bo_url("harvest-batch-event-create", pk=world.batch_a.pk), _event(recorder="warehouse"))
    assert response.status_code == 403
    response = client.post(bo_url("harvest-batch-event-create", pk=world.batch_a.pk),
                           _event(business_step="retail_selling"))
    assert response.status_code == 403
    assert client.post(bo_url("harvest-batch-event-create", pk=world.batch_b.pk), _event()).status_code == 404
    assert _events(world.batch_a) == _events(world.batch_b) == []


def test_a_missing_place_is_shown_on_the_form(world, login):
    response = login(world.users["coop_a"]).post(bo_url("harvest-batch-event-create", pk=world.batch_a.pk),
                                                 _event(place=" "))
    assert response.context["form"].errors["place"] == ["请填写地点"]
    assert _events(world.batch_a) == []


def test_pickup_staff_list_the_batches_that_reached_their_point(world, login, fresh_batch):
    _at_point(fresh_batch.product, world.point_p, quantity=3)
    _at_point(fresh_batch.product, world.point_p, quantity=1)
    _at_point(world.product_b, world.point_q)
    response = login(world.users["pickup"]).get(bo_url("harvest-point-batch-list"))
    assert response.status_code == 200
    rows = [(row["object"].code, row["object"].orders_here, row["object"].units_here)
            for row in response.context["rows"]]
    assert rows == [(fresh_batch.code, 2, 4)]
    assert [action.url for action in response.context["rows"][0]["actions"]] == [
        bo_url("harvest-batch-event-create", pk=fresh_batch.pk)]
    html = response.content.decode()
    assert world.batch_b.code not in html and "JD44140300001" not in html


def test_pickup_staff_record_receiving_at_their_point(world, login, fresh_batch):
    _at_point(fresh_batch.product, world.point_p)
    client = login(world.users["pickup"])
    url = bo_url("harvest-batch-event-create", pk=fresh_batch.pk)
    form = client.get(url).context["form"]
    assert [value for value, _label in form.fields["business_step"].choices] == ["receiving", "retail_selling"]
    assert list(form.fields["service_point"].queryset) == [world.point_p]
    assert "place" not in form.fields
    data = {"recorder": "pickup_point", "business_step": "receiving", "occurred_at": "2026-11-26T09:00",
            "service_point": world.point_p.pk, "note": ""}
    response = client.post(url, data)
    assert response.context["form"].errors["temperature"] == ["鲜活产品的冷链环节须记录温度"]
    response = client.post(url, {**data, "temperature": "3.0"})
    assert response.status_code == 302
    assert response["Location"] == bo_url("harvest-point-batch-list")
    response = client.post(url, {**data, "business_step": "retail_selling", "occurred_at": "2026-11-27T18:00"})
    assert response.status_code == 302
    assert _events(fresh_batch) == [
        ("receiving", "sellable_accessible", "天河林和自提点", world.point_p.pk, Decimal("3.0"), "pickup_point",
         world.users["pickup"].pk),
        ("retail_selling", "completed", "天河林和自提点", world.point_p.pk, None, "pickup_point", world.users["pickup"].pk),
    ]


def test_pickup_staff_only_for_batches_at_their_own_point(world, login):
    _at_point(world.product_b, world.point_q)
    client = login(world.users["pickup"])
    url = bo_url("harvest-batch-event-create", pk=world.batch_b.pk)
    data = {"recorder": "pickup_point", "business_step": "receiving", "occurred_at": "2026-11-26T09:00",
            "service_point": world.point_q.pk}
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    _at_point(world.product_a, world.point_p)
    url = bo_url("harvest-batch-event-create", pk=world.batch_a.pk)
    assert client.post(url, {**data, "service_point": world.point_q.pk}).status_code == 403
    assert client.post(url, {**data, "recorder": "cooperative", "service_point": world.point_p.pk}).status_code == 403
    assert _events(world.batch_a) == _events(world.batch_b) == []


def test_a_cancelled_order_no_longer_brings_the_batch_to_the_point(world, login):
    from shop.attribution.models import LineAllocation

    _at_point(world.product_a, world.point_p)
    LineAllocation.objects.filter(batch=world.batch_a).update(released_at=timezone.now())
    client = login(world.users["pickup"])
    assert list(client.get(bo_url("harvest-point-batch-list")).context["rows"]) == []
    assert client.get(bo_url("harvest-batch-event-create", pk=world.batch_a.pk)).status_code == 404


def test_staff_may_record_as_a_warehouse(world, login, fresh_batch):
    client = login(world.users["admin"])
    response = client.post(bo_url("harvest-batch-event-create", pk=fresh_batch.pk), {
        "recorder": "warehouse", "business_step": "storing", "occurred_at": "2026-11-24T08:00",
        "place": "广州江高冷链仓", "temperature": "2.5",
    })
    assert response.status_code == 302
    assert _events(fresh_batch) == [
        ("storing", "in_progress", "广州江高冷链仓", None, Decimal("2.5"), "warehouse", world.users["admin"].pk)]


def test_an_event_in_the_future_is_refused(world, login):
    later = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = login(world.users["coop_a"]).post(bo_url("harvest-batch-event-create", pk=world.batch_a.pk),
                                                 _event(occurred_at=later))
    assert response.context["form"].errors["occurred_at"] == ["发生时间不能晚于现在"]
    assert _events(world.batch_a) == []
