import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog_sync import outbox
from catalog_sync.models import Channel, ChannelProduct, OutboxEntry
from catalog_sync.outbox import outbox_mark
from tests.factories import make_batch, make_product

from .helpers import enable, record

pytestmark = pytest.mark.django_db


def entries(**filters):
    return sorted(OutboxEntry.objects.filter(processed_at__isnull=True, **filters)
                  .values_list("channel__code", "product_id", "kind"))


def make_channel(code, **kwargs):
    return Channel.objects.create(code=code, name=code, platform="jd", app_secret="s", access_token="t",
                                  refresh_token="r", **kwargs)


def test_one_entry_per_enabled_channel_product():
    on, off_channel, other = make_channel("on"), make_channel("off", is_enabled=False), make_channel("other")
    product, unlisted = make_product(), make_product()
    enable(on, product)
    enable(off_channel, product)
    enable(other, product, is_enabled=False)
    OutboxEntry.objects.all().delete()
    assert outbox_mark([product, unlisted.pk], OutboxEntry.Kind.CONTENT) == 1
    assert entries() == [("on", product.pk, "content")]


def test_receivers_mark_product_and_stock_changes(channel):
    product = make_product()
    enable(channel, product)
    assert entries() == [("jd-test", product.pk, "content")]      # the channel product itself
    OutboxEntry.objects.all().delete()
    product.title = "梅州金柚 10斤装"
    product.save()
    assert entries() == [("jd-test", product.pk, "content")]
    OutboxEntry.objects.all().delete()
    stock = record(product)
    stock.num_in_stock = 5
    stock.save()
    assert entries() == [("jd-test", product.pk, "price"), ("jd-test", product.pk, "stock")]


def test_oscar_allocation_marks_stock(channel):
    """StockRecord.allocate updates with F() (no save) but sends post_save itself."""
    product = make_product()
    enable(channel, product)
    OutboxEntry.objects.all().delete()
    record(product).allocate(2)
    assert entries() == [("jd-test", product.pk, "price"), ("jd-test", product.pk, "stock")]


def test_harvest_batch_stock_update_marks_stock(channel):
    """batch_create adds units with a conditional UPDATE; it marks the outbox explicitly."""
    product = make_product(stock=0)
    enable(channel, product)
    OutboxEntry.objects.all().delete()
    make_batch(product=product, quantity=40)
    assert record(product).num_in_stock == 40
    assert ("jd-test", product.pk, "stock") in entries()


def test_rolled_back_change_leaves_no_entry(channel):
    product = make_product()
    enable(channel, product)
    OutboxEntry.objects.all().delete()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            stock = record(product)
            stock.num_in_stock = 1
            stock.save()
            assert len(entries()) == 2          # written in the same transaction …
            raise RuntimeError("payment refused")
    assert entries() == []                      # … and gone with it
    assert record(product).num_in_stock == 100


def test_channel_product_disabled_or_deleted_queues_delisting(channel):
    product = make_product()
    enable(channel, product)
    OutboxEntry.objects.all().delete()
    cp = ChannelProduct.objects.get(channel=channel, product=product)
    cp.is_enabled = False
    cp.save()
    assert entries() == [("jd-test", product.pk, "delist")]
    OutboxEntry.objects.all().delete()
    cp.delete()
    assert entries() == [("jd-test", product.pk, "delist")]


def test_deleting_a_listed_product_writes_no_dangling_entry(channel):
    product = make_product()
    enable(channel, product)
    product.delete()
    connection.check_constraints()      # deferred foreign keys checked now
    assert OutboxEntry.objects.count() == 0


def test_no_channel_costs_one_query_then_none():
    product = make_product()
    outbox.channels_changed()
    with CaptureQueriesContext(connection) as first:
        assert outbox_mark([product.pk], OutboxEntry.Kind.STOCK) == 0
    with CaptureQueriesContext(connection) as second:
        assert outbox_mark([product.pk], OutboxEntry.Kind.STOCK) == 0
        record(product).allocate(1)      # the flash-sale path: the receiver adds nothing
    assert len(first) == 1
    assert [q["sql"] for q in second if "catalog_sync" in q["sql"]] == []


def test_saving_a_channel_clears_the_flag():
    product = make_product()
    assert outbox_mark([product.pk], OutboxEntry.Kind.STOCK) == 0     # "no channel" cached
    channel = make_channel("new")
    enable(channel, product)
    OutboxEntry.objects.all().delete()
    assert outbox_mark([product.pk], OutboxEntry.Kind.STOCK) == 1


def test_with_channels_one_query_and_one_insert(channel):
    products = [make_product() for _ in range(3)]
    enable(channel, *products)
    outbox_mark([products[0].pk], "stock")      # warm the flag
    with CaptureQueriesContext(connection) as captured:
        assert outbox_mark(products, ("price", "stock")) == 6
    assert len(captured) == 2
