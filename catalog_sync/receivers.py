"""Thin receivers: each one line into ``catalog_sync.outbox``.

Oscar's ``StockRecord.allocate`` / ``consume_allocation`` / ``cancel_allocation``
update with ``F()`` expressions but send ``post_save`` themselves, so order
placement is covered by the StockRecord receiver; the stock moves of this
project that bypass ``save()`` call ``outbox_mark`` explicitly."""
from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_delete

from . import outbox
from .delists import remote_delists_record
from .models import Channel, ChannelProduct, OutboxEntry

Kind = OutboxEntry.Kind
DISPATCH_PREFIX = "catalog-sync-outbox"


def product_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.outbox_mark([instance.pk], Kind.CONTENT)


def product_deleting(sender, instance, **kwargs):
    # Before the delete takes the product's listing rows with it.
    if outbox.any_channel_enabled():
        remote_delists_record([instance.pk])


def stockrecord_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        outbox.outbox_mark([instance.product_id], (Kind.PRICE, Kind.STOCK))


def channel_changed(sender, **kwargs):
    outbox.channels_changed()


def channel_product_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        kind = Kind.CONTENT if instance.is_enabled else Kind.DELIST
        outbox.outbox_mark_channel(instance.channel_id, [instance.product_id], kind)


def channel_product_deleted(sender, instance, origin=None, **kwargs):
    # Only a channel product deleted for itself; not one swept away with its
    # product or channel (nothing is left to write an entry for).
    if isinstance(origin, ChannelProduct) or getattr(origin, "model", None) is ChannelProduct:
        outbox.outbox_mark_channel(instance.channel_id, [instance.product_id], Kind.DELIST)


def connect():
    product = apps.get_model("catalogue", "Product")
    stockrecord = apps.get_model("partner", "StockRecord")
    post_save.connect(product_saved, sender=product, dispatch_uid=f"{DISPATCH_PREFIX}:product")
    pre_delete.connect(product_deleting, sender=product, dispatch_uid=f"{DISPATCH_PREFIX}:product-delete")
    post_save.connect(stockrecord_saved, sender=stockrecord, dispatch_uid=f"{DISPATCH_PREFIX}:stockrecord")
    post_save.connect(channel_changed, sender=Channel, dispatch_uid=f"{DISPATCH_PREFIX}:channel-save")
    post_delete.connect(channel_changed, sender=Channel, dispatch_uid=f"{DISPATCH_PREFIX}:channel-delete")
    post_save.connect(channel_product_saved, sender=ChannelProduct, dispatch_uid=f"{DISPATCH_PREFIX}:cp-save")
    post_delete.connect(channel_product_deleted, sender=ChannelProduct, dispatch_uid=f"{DISPATCH_PREFIX}:cp-delete")
