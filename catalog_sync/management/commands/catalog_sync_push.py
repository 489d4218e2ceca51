"""Push a channel's pending changes now (or, with ``--all``, check every enabled
product), running the relay until the outbox has nothing due."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from catalog_sync.models import Channel, ChannelListing, OutboxEntry
from catalog_sync.outbox import outbox_mark_channel
from catalog_sync.relay import due_entries, relay_run
from catalog_sync.selectors import channel_enabled_product_ids


class Command(BaseCommand):
    help = _("把渠道的待同步商品推送到该渠道（--all：检查该渠道的全部已启用商品）")

    def add_arguments(self, parser):
        parser.add_argument("--channel", required=True, help=_("渠道代码"))
        parser.add_argument("--all", action="store_true", help=_("把该渠道全部已启用商品标记为待同步"))
        parser.add_argument("--force", action="store_true",
                            help=_("与 --all 一起使用：忽略已推送内容的摘要，全部重新推送"))
        parser.add_argument("--limit", type=int, default=500, help=_("每轮最多处理的商品数"))

    def handle(self, *args, channel, all, force, limit, **options):
        try:
            channel = Channel.objects.get(code=channel)
        except Channel.DoesNotExist as exc:
            raise CommandError(_("没有代码为 %(code)s 的渠道") % {"code": channel}) from exc
        if force and not all:
            raise CommandError(_("--force 须与 --all 一起使用"))
        if all:
            with transaction.atomic():
                product_ids = channel_enabled_product_ids(channel=channel)
                if force:
                    ChannelListing.objects.filter(channel=channel, product_id__in=product_ids).update(
                        content_hash="", price_hash="", stock_hash="")
                outbox_mark_channel(channel, product_ids, OutboxEntry.Kind.CONTENT)
        total = due_entries(channel, timezone.now()).values("product_id").distinct().count()
        totals = {"created": 0, "updated": 0, "price_updates": 0, "stock_updates": 0, "delisted": 0,
                  "unchanged": 0, "deferred": 0, "dead_lettered": 0}
        with tqdm(total=total, unit=_("件"), desc=channel.code, disable=options.get("verbosity", 1) < 1) as bar:
            while True:
                report = relay_run(channel, limit=limit, progress=bar.update)
                for name in totals:
                    totals[name] += getattr(report, name)
                if report.claimed == 0 or report.products == 0:
                    break
        self.stdout.write(_(
            "%(code)s：新建 %(created)d，更新 %(updated)d，改价 %(price_updates)d，改库存 %(stock_updates)d，"
            "下架 %(delisted)d，无变化 %(unchanged)d，待重试 %(deferred)d，死信 %(dead_lettered)d"
        ) % {"code": channel.code, **totals})
