"""The printable label sheet: A4 pages of 12 labels, each with the batch's QR
code (inline SVG of its public trace URL), product, brand, village, date, code."""
import re

from shop.brands.models import ProductOrigin
from shop.harvest import selectors
from tests.factories import make_batch

from .support import bo_url


def _labels(html):
    return html.count('<div class="label">')


def test_one_batch_default_twelve_labels_on_one_a4_page(world, login):
    response = login(world.users["coop_a"]).get(bo_url("harvest-batch-labels", pk=world.batch_a.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert _labels(html) == 12
    assert html.count('class="label-qr"') == 12
    assert html.count('<section class="sheet">') == 1
    assert "@page { size: A4;" in html and "@media print" in html
    url = f"http://testserver/t/{world.batch_a.code}/"
    assert html.count(selectors.qr_svg(url)) == 12
    for text in ("梅州金柚 5斤装", "梅州金柚", "梅县区 松口镇 大黄村", "采收 2026-11-01", world.batch_a.code):
        assert text in html


def test_the_number_of_labels_is_selectable(world, login):
    client = login(world.users["coop_a"])
    html = client.get(bo_url("harvest-batch-labels", pk=world.batch_a.pk), {"count": 5}).content.decode()
    assert _labels(html) == 5
    html = client.get(bo_url("harvest-batch-labels", pk=world.batch_a.pk), {"count": 13}).content.decode()
    assert _labels(html) == 13
    pages = html.split('<section class="sheet">')[1:]
    assert [len(re.findall('<div class="label">', page)) for page in pages] == [12, 1]


def test_an_invalid_count_shows_the_error_and_prints_the_default(world, login):
    client = login(world.users["coop_a"])
    response = client.get(bo_url("harvest-batch-labels", pk=world.batch_a.pk), {"count": 0})
    assert response.context["form"].errors["count"] == ["确保该值大于或等于1。"]
    assert _labels(response.content.decode()) == 12


def test_several_selected_batches(world, login):
    client = login(world.users["admin"])
    both = {"batch": [world.batch_a.pk, world.batch_b.pk], "count": 3}
    response = client.get(bo_url("harvest-batch-label-sheet"), both)
    html = response.content.decode()
    assert _labels(html) == 6
    assert html.count(selectors.qr_svg(f"http://testserver/t/{world.batch_b.code}/")) == 3
    assert html.count(selectors.qr_svg(f"http://testserver/t/{world.batch_a.code}/")) == 3


def test_a_sheet_is_limited_to_600_labels(world, login):
    third = make_batch(product=world.product_a, quantity=10)
    client = login(world.users["admin"])
    batches = [world.batch_a.pk, world.batch_b.pk, third.pk]
    response = client.get(bo_url("harvest-batch-label-sheet"), {"batch": batches, "count": 201})
    assert response.context["form"].errors["count"] == ["一次最多打印 600 张标签。"]
    assert _labels(response.content.decode()) == 36
    response = client.get(bo_url("harvest-batch-label-sheet"), {"batch": batches, "count": 200})
    assert _labels(response.content.decode()) == 600


def test_no_batch_selected_goes_back_to_the_list(world, login):
    response = login(world.users["coop_a"]).get(bo_url("harvest-batch-label-sheet"))
    assert response.status_code == 302
    assert response["Location"] == bo_url("harvest-batch-list")


def test_the_list_has_a_select_box_per_batch_for_the_sheet(world, login):
    html = login(world.users["coop_a"]).get(bo_url("harvest-batch-list")).content.decode()
    assert f'action="{bo_url("harvest-batch-label-sheet")}" id="batch_label_form"' in html
    assert f'name="batch" value="{world.batch_a.pk}" form="batch_label_form"' in html


def test_a_product_with_a_gtin_gets_the_gs1_digital_link(world, login):
    ProductOrigin.objects.filter(product=world.product_a).update(gtin="6901234567892")
    html = login(world.users["coop_a"]).get(bo_url("harvest-batch-labels", pk=world.batch_a.pk)).content.decode()
    url = f"http://testserver/01/06901234567892/10/{world.batch_a.code}"
    assert html.count(selectors.qr_svg(url)) == 12
