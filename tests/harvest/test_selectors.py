"""Harvest reads and the contributions import service, on the database."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shop.attribution.models import LineAllocation
from shop.brands.models import ProductOrigin
from shop.fulfilment.models import OrderPickup
from shop.harvest import selectors, services
from shop.regions.models import ServicePoint
from tests.factories import ServicePointFactory, make_batch, make_household, make_product, place_order

CSV = "建档立卡编号,供货数量,收益方式,收购单价（元/件）,分成比例（%）\r\n{rows}"


@pytest.fixture
def pomelo(db):
    return make_product(title="梅州金柚 5斤装", price=Decimal("39.90"), stock=0)


def test_the_trace_path_is_the_gs1_digital_link_when_there_is_a_gtin(pomelo):
    batch = make_batch(product=pomelo, quantity=5)
    assert selectors.batch_trace_path(batch) == f"/t/{batch.code}/"
    ProductOrigin.objects.filter(product=pomelo).update(gtin="96385074")  # GTIN-8
    batch.product.origin.refresh_from_db()
    assert selectors.batch_trace_path(batch) == f"/01/00000096385074/10/{batch.code}"


def test_label_pages_hold_twelve_labels(pomelo):
    batch = make_batch(product=pomelo, quantity=5)
    pages = selectors.label_pages(selectors.label_batches(type(batch).objects.filter(pk=batch.pk)), count=25,
                                  absolute_url=lambda path: "https://xiangpin.example" + path)
    assert [len(page) for page in pages] == [12, 12, 1]
    label = pages[0][0]
    assert (label.code, label.product_title, label.url) == (
        batch.code, "梅州金柚 5斤装", f"https://xiangpin.example/t/{batch.code}/")
    assert label.qr_svg.startswith('<svg viewBox="0 0 ') and 'class="label-qr"' in label.qr_svg


def test_batches_at_points_count_live_allocations_only(pomelo):
    batch = make_batch(product=pomelo, quantity=10)
    here, elsewhere = ServicePointFactory(), ServicePointFactory()
    for point, quantity in ((here, 2), (here, 3), (elsewhere, 1)):
        order = place_order(lines=[(pomelo, quantity)])
        OrderPickup.objects.create(order=order, service_point=point, recipient_name="张", recipient_phone="13900001111")
    rows = selectors.batches_at_points(ServicePoint.objects.filter(pk=here.pk))
    assert [(row.pk, row.orders_here, row.units_here) for row in rows] == [(batch.pk, 2, 5)]
    LineAllocation.objects.filter(line__order__pickup__service_point=here).update(released_at=timezone.now())
    assert list(selectors.batches_at_points(ServicePoint.objects.filter(pk=here.pk))) == []
    assert list(selectors.batch_points(batch, ServicePoint.objects.all())) == [elsewhere]


def test_contributions_import_replaces_all_or_nothing(pomelo):
    li, wang = make_household(registration_number="JD00000000001"), make_household(registration_number="JD00000000002")
    batch = make_batch(product=pomelo, quantity=10, households=[(li, 4)])
    make_batch(product=pomelo, quantity=1, households=[(wang, 1)])  # makes Wang a member too
    data = CSV.format(rows="JD00000000001,3,收购单价,5,\r\nJD00000000002,2.5,销售额分成,,40\r\n").encode("utf-8")
    rows = services.contributions_import(batch=batch, name="a.csv", data=data)
    assert [(r.household_id, r.quantity, r.income_rule, r.purchase_price, r.sales_share) for r in rows] == [
        (li.pk, Decimal("3"), "purchase_price", Decimal("5"), None),
        (wang.pk, Decimal("2.5"), "sales_share", None, Decimal("40")),
    ]
    bad = CSV.format(rows="JD00000000001,3,收购单价,5,\r\nJD00000000003,1,收购单价,5,\r\n").encode("utf-8")
    with pytest.raises(ValidationError) as caught:
        services.contributions_import(batch=batch, name="a.csv", data=bad)
    assert caught.value.messages == ["第 3 行：建档立卡编号 JD00000000003 不存在或不属于本合作社"]
    assert list(batch.contributions.values_list("household_id", "quantity")) == [
        (li.pk, Decimal("3.000")), (wang.pk, Decimal("2.500"))]
