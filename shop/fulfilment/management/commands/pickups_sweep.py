"""manage.py pickups_sweep: remind once, then return and refund, the pickup
orders nobody collected (run it daily, e.g. from cron or Celery beat)."""
from django.core.management.base import BaseCommand

from shop.fulfilment.pickup import pickups_sweep


class Command(BaseCommand):
    help = "提醒并退回逾期未取的自提订单（可重复运行）。"

    def handle(self, *args, **options):
        result = pickups_sweep()
        self.stdout.write(
            f"取货提醒 {len(result.reminded)} 单；逾期退回 {len(result.returned)} 单；"
            f"已退款 {len(result.refunded)} 单；退款失败 {len(result.refund_failed)} 单（下次运行时重试）"
        )
        for label, numbers in (("提醒", result.reminded), ("退回", result.returned),
                               ("退款", result.refunded), ("退款失败", result.refund_failed)):
            if numbers:
                self.stdout.write(f"  {label}：{'、'.join(numbers)}")
