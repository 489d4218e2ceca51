"""Harvest batch screens: cooperatives see and register only their own batches,
programme officers read every batch, households show masked."""
import datetime
from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from shop.harvest.models import BatchContribution, HarvestBatch, TraceEvent

from .support import HEAD_NAME_A, HEAD_NAME_B, ID_NUMBER_A, ID_NUMBER_B, PHONE_A, bo_url

StockRecord = get_model("partner", "StockRecord")


def _stock(product):
    return StockRecord.objects.get(product=product).num_in_stock


def _codes(response):
    return [row["object"].code for row in response.context["rows"]]


def test_each_cooperative_lists_only_its_own_batches(world, login):
    response = login(world.users["coop_a"]).get(bo_url("harvest-batch-list"))
    assert response.status_code == 200
    assert _codes(response) == [world.batch_a.code]
    assert world.batch_b.code not in response.content.decode()
    response = login(world.users["coop_b"]).get(bo_url("harvest-batch-list"))
    assert _codes(response) == [world.batch_b.code]


def test_the_list_shows_quantities_inspection_and_household_count(world, login):
    response = login(world.users["coop_a"]).get(bo_url("harvest-batch-list"))
    row = response.context["rows"][0]
    cells = {str(column.label): value for column, value in row["cells"]}
    assert {key: cells[key] for key in ("批次码", "商品", "采收/生产日期", "数量（件）", "已分配", "剩余", "质检结论", "供货农户数")} == {
        "批次码": world.batch_a.code, "商品": "梅州金柚 5斤装", "采收/生产日期": datetime.date(2026, 11, 1),
        "数量（件）": 100, "已分配": 0, "剩余": 100, "质检结论": "合格", "供货农户数": 1,
    }


def test_officers_and_staff_list_every_batch(world, login):
    for role in ("officer", "admin"):
        response = login(world.users[role]).get(bo_url("harvest-batch-list"))
        assert sorted(_codes(response)) == sorted([world.batch_a.code, world.batch_b.code])


def test_search_and_inspection_filter(world, login):
    client = login(world.users["officer"])
    assert _codes(client.get(bo_url("harvest-batch-list"), {"q": "脐橙"})) == [world.batch_b.code]
    assert _codes(client.get(bo_url("harvest-batch-list"), {"q": world.batch_a.code.lower()})) == [world.batch_a.code]
    assert _codes(client.get(bo_url("harvest-batch-list"), {"inspection_result": "failed"})) == []


def test_detail_shows_the_batch_its_masked_households_and_events(world, login):
    response = login(world.users["coop_a"]).get(bo_url("harvest-batch-detail", pk=world.batch_a.pk))
    assert response.status_code == 200
    assert response.context["contributions"] == [{
        "registration_number": "JD44140300001", "masked_name": "李**", "quantity": Decimal("40.000"),
        "income_rule": "按收购单价", "purchase_price": Decimal("6.00"), "sales_share": None,
    }]
    assert [(event.business_step, event.disposition) for event in response.context["events"]] == [
        ("commissioning", "active"), ("inspecting", "conformant"),
    ]
    fields = dict(response.context["fields"])
    assert fields["质检报告编号"] == "GDQT-2026-0001"
    assert fields["检测机构"] == "梅州市农产品质量检测中心"
    assert fields["产地行政村"] == "梅县区 · 松口镇 · 大黄村"
    html = response.content.decode()
    assert "JD44140300001" in html and "李**" in html
    for secret in (HEAD_NAME_A, ID_NUMBER_A, PHONE_A, HEAD_NAME_B, ID_NUMBER_B):
        assert secret not in html
    assert f'href="/t/{world.batch_a.code}/"' in html
    assert f'href="{bo_url("harvest-batch-labels", pk=world.batch_a.pk)}"' in html


def test_cooperative_a_cannot_open_cooperative_bs_batch(world, login):
    client = login(world.users["coop_a"])
    for name in ("harvest-batch-detail", "harvest-batch-labels", "harvest-batch-contributions-import",
                 "harvest-batch-event-create"):
        assert client.get(bo_url(name, pk=world.batch_b.pk)).status_code == 404
    both = {"batch": [world.batch_a.pk, world.batch_b.pk]}
    assert client.get(bo_url("harvest-batch-label-sheet"), both).status_code == 404


def _batch_form(product, **changes):
    data = {
        "product": product.pk, "harvested_on": "2026-11-20", "quantity": 250,
        "inspection_report_number": " GDQT-2026-0420 ", "inspection_result": "passed", "inspected_on": "2026-11-22",
        "inspection_agency": "梅州市农产品质量检测中心", "note": "头茬果",
    }
    data.update(changes)
    return data


def test_create_offers_only_the_cooperatives_own_products(world, login):
    response = login(world.users["coop_a"]).get(bo_url("harvest-batch-create"))
    assert list(response.context["form"].fields["product"].queryset) == [world.product_a]
    response = login(world.users["admin"]).get(bo_url("harvest-batch-create"))
    assert sorted(p.title for p in response.context["form"].fields["product"].queryset) == [
        "平远脐橙 10斤装", "梅州金柚 5斤装"]
    assert "平远脐橙 10斤装（平远脐橙专业合作社）" in response.content.decode()


def test_create_writes_the_batch_and_adds_its_quantity_to_stock(world, login):
    client = login(world.users["coop_a"])
    assert _stock(world.product_a) == 200  # 100 at creation + world batch A
    response = client.post(bo_url("harvest-batch-create"), _batch_form(world.product_a))
    batch = HarvestBatch.objects.exclude(pk__in=[world.batch_a.pk, world.batch_b.pk]).get()
    assert response.status_code == 302
    assert response["Location"] == bo_url("harvest-batch-detail", pk=batch.pk)
    assert _stock(world.product_a) == 450
    assert _stock(world.product_b) == 200
    assert (batch.product, batch.market_subject, batch.village, batch.harvested_on, batch.quantity,
            batch.quantity_allocated, batch.inspection_report_number, batch.inspection_result, batch.inspected_on,
            batch.inspection_agency, batch.note, batch.created_by) == (
        world.product_a, world.subject_a, world.village_a, datetime.date(2026, 11, 20), 250, 0, "GDQT-2026-0420",
        "passed", datetime.date(2026, 11, 22), "梅州市农产品质量检测中心", "头茬果", world.users["coop_a"])
    assert len(batch.code) == 8
    assert list(batch.events.values_list("business_step", "recorder")) == [
        ("commissioning", "cooperative"), ("inspecting", "cooperative")]
    assert batch.contributions.count() == 0


def test_a_failed_batch_adds_no_stock(world, login):
    client = login(world.users["coop_a"])
    client.post(bo_url("harvest-batch-create"), _batch_form(world.product_a, inspection_result="failed"))
    assert HarvestBatch.objects.filter(inspection_result="failed", product=world.product_a).count() == 1
    assert _stock(world.product_a) == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"inspected_on": "2026-11-19"}, "inspected_on", "质检日期不能早于采收日期"),
        ({"harvested_on": "2099-01-01", "inspected_on": "2099-01-02"}, "harvested_on", "采收日期不能晚于今天"),
        ({"quantity": 0}, "quantity", "确保该值大于或等于1。"),
        ({"inspection_report_number": ""}, "inspection_report_number", "必需字段"),
    ],
)
def test_create_errors_are_shown_and_nothing_is_written(world, login, changes, field, message):
    client = login(world.users["coop_a"])
    response = client.post(bo_url("harvest-batch-create"), _batch_form(world.product_a, **changes))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert HarvestBatch.objects.count() == 2
    assert _stock(world.product_a) == 200


def test_a_cooperative_cannot_register_a_batch_of_another_cooperatives_product(world, login):
    response = login(world.users["coop_a"]).post(bo_url("harvest-batch-create"), _batch_form(world.product_b))
    assert response.status_code == 403
    assert HarvestBatch.objects.count() == 2
    assert _stock(world.product_b) == 200


def test_programme_officers_only_read(world, login):
    client = login(world.users["officer"])
    response = client.get(bo_url("harvest-batch-list"))
    assert response.context["create_url"] is None
    assert all(row["actions"] == [] for row in response.context["rows"])
    html = client.get(bo_url("harvest-batch-detail", pk=world.batch_b.pk)).content.decode()
    assert "contribution_import_form" not in html and "trace_event_form" not in html
    assert "JD44142600001" in html and "王**" in html and HEAD_NAME_B not in html
    before = (HarvestBatch.objects.count(), BatchContribution.objects.count(), TraceEvent.objects.count(),
              _stock(world.product_a))
    assert client.get(bo_url("harvest-batch-create")).status_code == 403
    assert client.post(bo_url("harvest-batch-create"), _batch_form(world.product_a)).status_code == 403
    assert client.post(bo_url("harvest-batch-event-create", pk=world.batch_a.pk), {
        "recorder": "cooperative", "business_step": "shipping", "occurred_at": "2026-11-25T10:00", "place": "x",
    }).status_code == 403
    assert (HarvestBatch.objects.count(), BatchContribution.objects.count(), TraceEvent.objects.count(),
            _stock(world.product_a)) == before


def test_pickup_staff_do_not_see_the_batch_screens(world, login):
    client = login(world.users["pickup"])
    assert client.get(bo_url("harvest-batch-list")).status_code == 403
    assert client.get(bo_url("harvest-batch-detail", pk=world.batch_a.pk)).status_code == 403
