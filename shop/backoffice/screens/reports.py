"""Monitoring reports (监测统计): the attribution report and its exports.

Not a CRUD screen: it declares its own URLs and the permission they need
(``attribution.view_ledgerentry``: programme officers, cooperative staff,
administrators), so that Oscar's navigation hides the entries from everyone
else. What a user sees is the ledger scope of ``shop.attribution.reports``:
everything for staff and programme officers, a cooperative's own market
subjects for its staff."""
from django.urls import path
from django.utils.translation import gettext_lazy as _

from shop.attribution import reports
from shop.attribution.models import LedgerEntry

from ..access import market_subjects_visible_to, user_sees_all
from ..crud import Screen


class AttributionReportScreen(Screen):
    model = LedgerEntry
    name = "attribution-report"
    path = "reports/attribution"
    icon = "fas fa-chart-bar"
    actions = ()
    report_actions = ("report", "csv", "xlsx")
    paginate_by = 50
    template = "backoffice/reports/attribution.html"

    @property
    def verbose_name_plural(self):
        return _("收益归属报表")

    def url_name(self, action: str) -> str:
        # "list" is what the generic views link back to: the report page.
        return self.name if action in ("report", "list") else f"{self.name}-{action}"

    def required_permissions(self, action: str) -> list[str]:
        return [self.permission("view")]

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action) for action in self.report_actions}

    def get_urls(self):
        from ..views_reports import AttributionReportExportView, AttributionReportView

        return [
            path(f"{self.path}/", AttributionReportView.as_view(screen=self, action="report"),
                 name=self.url_name("report")),
            path(f"{self.path}/export.csv", AttributionReportExportView.as_view(screen=self, action="csv"),
                 name=self.url_name("csv")),
            path(f"{self.path}/export.xlsx", AttributionReportExportView.as_view(screen=self, action="xlsx"),
                 name=self.url_name("xlsx")),
        ]

    def ledger(self, user):
        return reports.ledger_visible_to(user)

    def scope_label(self, user) -> str:
        if user_sees_all(user):
            return str(_("全部市场主体"))
        subjects = market_subjects_visible_to(user).order_by("name", "pk")
        return "、".join(subject.name for subject in subjects) or str(_("无"))
