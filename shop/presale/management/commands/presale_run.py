"""manage.py presale_run: the pre-sales' timed work (holds, balance reminders,
balance deadlines, unanswered refunds). Idempotent; run it every few minutes."""
from django.core.management.base import BaseCommand

from shop.presale.jobs import presale_jobs_run


class Command(BaseCommand):
    help = "预售定时任务：释放超时未付名额、尾款提醒、尾款截止取消（定金不退）、重发未确认的退款（可重复运行）。"

    def handle(self, *args, **options):
        result = presale_jobs_run()
        self.stdout.write(
            f"释放超时名额 {len(result.expired)} 单；尾款开始提醒 {len(result.reminded_open)} 单；"
            f"尾款截止提醒 {len(result.reminded_due)} 单；逾期未付尾款取消 {len(result.defaulted)} 单；"
            f"重发退款 {result.refunds_sent} 笔"
        )
        for label, numbers in (("释放", result.expired), ("取消", result.defaulted)):
            if numbers:
                self.stdout.write(f"  {label}：{'、'.join(numbers)}")
