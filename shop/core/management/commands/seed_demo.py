"""manage.py seed_demo: idempotent Guangdong demo data (see shop/core/demo)."""
import time

from django.core.management.base import BaseCommand, CommandError

from shop.core.demo.catalogue_specs import all_product_specs
from shop.core.demo.seed import DEFAULT_HOUSEHOLDS, DEFAULT_PRODUCTS, model_counts, seed_demo


class Command(BaseCommand):
    help = "写入乡品通演示数据（可重复运行，不会重复创建）。"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS,
                            help=f"建档立卡贫困户数量（默认 {DEFAULT_HOUSEHOLDS}）")
        parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS,
                            help=f"商品数量（默认 {DEFAULT_PRODUCTS}；基准测试可用 2000）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, households, products, no_progress, **options):
        if households < 0 or products < 0:
            raise CommandError("--households 与 --products 不能为负数。")
        available = len(all_product_specs())
        if products > available:
            self.stderr.write(self.style.WARNING(f"最多可生成 {available} 件不同的商品，将只生成 {available} 件。"))
            products = available
        started = time.monotonic()
        report = seed_demo(households=households, products=products, out=self.stdout,
                           show_progress=not no_progress)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"\n完成，用时 {elapsed:.1f} 秒。本次新建："
                                             + ("、".join(f"{k} {v}" for k, v in report.created.items() if v) or "无")))
        self._summary()
        self._accounts(report)

    def _summary(self):
        self.stdout.write("\n数据概况")
        counts = model_counts()
        width = max(_display_width(label) for label in counts) + 2
        for label, count in counts.items():
            self.stdout.write(f"  {_pad(label, width)}{count:>7}")

    def _accounts(self, report):
        self.stdout.write("\n演示账号（仅供演示，用户名即邮箱）")
        rows = [("角色", "用户名", "密码", "范围")]
        rows += [(a.role, a.email, report.password, a.scope or "-") for a in report.accounts]
        widths = [max(_display_width(row[i]) for row in rows) for i in range(4)]
        for index, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)))
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))


def _display_width(text: str) -> int:
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))
