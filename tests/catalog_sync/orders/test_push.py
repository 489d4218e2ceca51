"""Push messages: a bad signature writes nothing (401), the same event twice is
processed once, an order paid before its "new" event is one order, and the
endpoint answers the platform's "success"."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from catalog_sync.connectors.base import InvalidSignature
from catalog_sync.models import ImportedOrder, PushReceipt
from catalog_sync.orders import push_receive
from tests.factories import make_product

from .fake import SIGNATURE_HEADER, FakeConnector, channel_order, push_body, sign

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

URL = "/catalog-sync/push/pdd-test/"


@pytest.fixture
def fake():
    product = make_product(title="高州荔枝 3斤装", price=Decimal("66.00"), stock=10)
    sku = StockRecord.objects.get(product=product).partner_sku
    moment = timezone.now() - timedelta(minutes=2)
    connector = FakeConnector([channel_order("3705000000000000001", moment, lines=[(sku, 1, "66.00")])])
    connector.product = product
    return connector


def signed(body):
    return {SIGNATURE_HEADER: sign(body)}


def test_bad_signature_writes_nothing(pdd, fake):
    body = push_body({"id": "e1", "topic": "order.paid", "order_id": "3705000000000000001"})
    with pytest.raises(InvalidSignature):
        push_receive(pdd, fake, {SIGNATURE_HEADER: "0" * 64}, body)
    with pytest.raises(InvalidSignature):
        push_receive(pdd, fake, {}, body)
    assert fake.get_order_calls == []
    assert (PushReceipt.objects.count(), ImportedOrder.objects.count(), Order.objects.count()) == (0, 0, 0)


def test_the_same_event_twice_is_processed_once(pdd, fake):
    body = push_body({"id": "e1", "topic": "order.paid", "order_id": "3705000000000000001"})
    first = push_receive(pdd, fake, signed(body), body)
    second = push_receive(pdd, fake, signed(body), body)
    assert (first.events, first.duplicates, [r.order_created for r in first.orders]) == (1, 0, [True])
    assert (second.events, second.duplicates, second.orders) == (1, 1, [])
    assert fake.get_order_calls == ["3705000000000000001"]
    assert list(PushReceipt.objects.values_list("event_id", "topic")) == [("e1", "order.paid")]
    assert (ImportedOrder.objects.count(), Order.objects.count()) == (1, 1)
    assert StockRecord.objects.get(product=fake.product).num_allocated == 1


def test_paid_before_new_ends_as_one_order(pdd, fake):
    paid = push_body({"id": "e-pay", "topic": "order.paid", "order_id": "3705000000000000001"})
    new = push_body({"id": "e-new", "topic": "order.new", "order_id": "3705000000000000001"})
    push_receive(pdd, fake, signed(paid), paid)
    report = push_receive(pdd, fake, signed(new), new)
    assert [(r.is_new, r.order_created, r.state) for r in report.orders] == [(False, False, "imported")]
    assert fake.get_order_calls == ["3705000000000000001"] * 2     # each event re-reads the order
    assert sorted(PushReceipt.objects.values_list("event_id", flat=True)) == ["e-new", "e-pay"]
    assert list(Order.objects.values_list("number", flat=True)) == ["PDD-TEST-3705000000000000001"]
    assert StockRecord.objects.get(product=fake.product).num_allocated == 1


def test_a_failed_import_leaves_no_receipt_so_the_redelivery_is_processed(pdd, fake, monkeypatch):
    from catalog_sync import orders as orders_module

    real = orders_module.order_import_one
    monkeypatch.setattr(orders_module, "order_import_one", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    body = push_body({"id": "e1", "topic": "order.paid", "order_id": "3705000000000000001"})
    with pytest.raises(RuntimeError):
        push_receive(pdd, fake, signed(body), body)
    assert PushReceipt.objects.count() == 0
    monkeypatch.setattr(orders_module, "order_import_one", real)
    push_receive(pdd, fake, signed(body), body)
    assert (PushReceipt.objects.count(), Order.objects.count()) == (1, 1)


def test_non_order_events_are_only_recorded(pdd, fake):
    body = push_body({"id": "a1", "topic": "product.audit"})
    report = push_receive(pdd, fake, signed(body), body)
    assert (report.events, report.ignored, report.orders) == (1, 1, [])
    assert fake.get_order_calls == []
    assert PushReceipt.objects.count() == 1


def test_endpoint_answers_success_and_imports(client, pdd, fake, registered):
    registered(pdd, fake)
    body = push_body({"id": "e1", "topic": "order.paid", "order_id": "3705000000000000001"})
    response = client.post(URL, data=body, content_type="application/json",
                           headers={SIGNATURE_HEADER: sign(body)})
    assert (response.status_code, response.content) == (200, b"success")
    assert list(Order.objects.values_list("number", flat=True)) == ["PDD-TEST-3705000000000000001"]
    # Redelivered: the same answer, nothing more.
    response = client.post(URL, data=body, content_type="application/json",
                           headers={SIGNATURE_HEADER: sign(body)})
    assert (response.status_code, response.content) == (200, b"success")
    assert (PushReceipt.objects.count(), Order.objects.count(), fake.get_order_calls) == (
        1, 1, ["3705000000000000001"])


def test_endpoint_refuses_a_bad_signature_with_401_and_writes_nothing(client, pdd, fake, registered):
    registered(pdd, fake)
    body = push_body({"id": "e1", "topic": "order.paid", "order_id": "3705000000000000001"})
    response = client.post(URL, data=body, content_type="application/json", headers={SIGNATURE_HEADER: "bad"})
    assert response.status_code == 401
    assert (PushReceipt.objects.count(), ImportedOrder.objects.count(), fake.get_order_calls) == (0, 0, [])


def test_endpoint_only_takes_posts_for_known_channels(client, pdd, fake, registered):
    registered(pdd, fake)
    assert client.get(URL).status_code == 405
    assert client.post("/catalog-sync/push/nope/", data=b"{}", content_type="application/json").status_code == 403
    pdd.is_enabled = False
    pdd.save()
    assert client.post(URL, data=b"{}", content_type="application/json").status_code == 403
