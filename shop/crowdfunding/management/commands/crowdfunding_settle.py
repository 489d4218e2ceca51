"""manage.py crowdfunding_settle: decide and settle the crowdfunding projects
past their deadline (run it at least daily, e.g. from cron or Celery beat; on
the embedded default it runs in process). Safe to run again at any time: a
pledge is never charged or refunded twice."""
from django.core.management.base import BaseCommand, CommandError

from shop.crowdfunding.models import Project
from shop.crowdfunding.settlement import project_settle, projects_settle_due


class Command(BaseCommand):
    help = "众筹截止结算：成功则扣款并生成回报订单，未成功则全额退款（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--project", help="只结算这个项目（网址标识）")

    def handle(self, *args, **options):
        if options["project"]:
            project = Project.objects.filter(slug=options["project"]).first()
            if project is None:
                raise CommandError(f"没有项目 {options['project']}")
            results = [project_settle(project=project)]
        else:
            results = projects_settle_due()
        if not results:
            self.stdout.write("没有需要结算的众筹项目")
        for result in results:
            project = result.project
            self.stdout.write(
                f"{project.title}：{project.get_state_display()}；扣款 {len(result.charged)}，"
                f"扣款失败 {len(result.charge_failed)}，回报订单 {len(result.fulfilled)}，退款 {len(result.refunded)}，"
                f"未扣款释放 {len(result.released)}，取消 {len(result.canceled)}，待下次处理 {len(result.waiting)}"
            )
            for number, reason in result.waiting.items():
                self.stdout.write(f"  {number}：{reason}")
