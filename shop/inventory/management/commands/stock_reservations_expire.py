"""manage.py stock_reservations_expire: delete expired stock reservations (housekeeping)."""
from django.core.management.base import BaseCommand

from shop.inventory.services import reservations_expire


class Command(BaseCommand):
    help = "删除已过期的库存预留（可随时运行；过期预留本来就不再占用库存）。"

    def handle(self, *args, **options):
        deleted = reservations_expire()
        self.stdout.write(f"已删除 {deleted} 条过期库存预留。")
