"""Import a channel's orders now (from its cursor, or ``--days`` back), with a
progress bar over the time windows the platform allows per call."""
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from catalog_sync.models import Channel
from catalog_sync.orders import channel_connector, orders_import


class Command(BaseCommand):
    help = _("导入渠道订单（从上次导入处继续；--days：重新扫描最近几天）")

    def add_arguments(self, parser):
        parser.add_argument("--channel", required=True, help=_("渠道代码"))
        parser.add_argument("--days", type=float, default=None, help=_("重新扫描最近几天的订单"))

    def handle(self, *args, channel, days, **options):
        try:
            channel = Channel.objects.get(code=channel)
        except Channel.DoesNotExist as exc:
            raise CommandError(_("没有代码为 %(code)s 的渠道") % {"code": channel}) from exc
        now = timezone.now()
        since = now - timedelta(days=days) if days else None
        bar = tqdm(total=0, unit=_("时段"), desc=channel.code, disable=options.get("verbosity", 1) < 1)

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        try:
            report = orders_import(channel, channel_connector(channel), now=now, since=since, on_window=progress)
        finally:
            bar.close()
        self.stdout.write(_(
            "%(code)s：%(windows)d 个时段，%(pages)d 页，读到 %(seen)d 单，新订单 %(new)d，"
            "生成本店订单 %(created)d，取消 %(cancelled)d，待处理 %(problems)d"
        ) % {"code": channel.code, "windows": report.windows, "pages": report.pages, "seen": report.seen,
             "new": report.new, "created": report.orders_created, "cancelled": report.cancelled,
             "problems": len(report.problems)})
        for external_id, problem in sorted(report.problems.items()):
            self.stderr.write(f"{external_id}: {problem}")
