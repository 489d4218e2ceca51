"""The attribution report page and its CSV/XLSX exports: they read the filters,
ask ``shop.attribution.reports`` for the figures in the user's scope and hand
them to a template or to ``shop.attribution.exports``."""
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views import generic

from shop.attribution import exports
from shop.attribution.reports import Dimension, ReportFilters, attribution_report

from .access import user_sees_all
from .forms.reports import ReportFilterForm
from .views import ScreenViewMixin

DEFAULT_DIMENSION = Dimension.VILLAGE


class _GroupCount:
    """What a Paginator needs from a table whose rows come one page at a time."""

    def __init__(self, count):
        self._count = count

    def count(self):
        return self._count


class ReportMixin(ScreenViewMixin):
    def prepare(self):
        params = self.request.GET
        self.dimension = params.get("dimension")
        if self.dimension not in Dimension.values:
            self.dimension = DEFAULT_DIMENSION
        self.filter_form = ReportFilterForm(params or None, user=self.request.user)
        self.filters_valid = not self.filter_form.is_bound or self.filter_form.is_valid()
        self.filters = self.filter_form.report_filters() if self.filters_valid else ReportFilters()

    def ledger(self):
        queryset = self.screen.ledger(self.request.user)
        # Invalid filters show their errors over an empty report, never unfiltered figures.
        return queryset if self.filters_valid else queryset.none()

    def get_template_names(self):
        return [self.screen.template]


def _page_number(value) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def _series(rows, label=lambda row: row.label):
    return {
        "labels": [label(row) for row in rows],
        "sales": [str(row.sales_amount) for row in rows],
        "income": [str(row.income) for row in rows],
    }


class AttributionReportView(ReportMixin, generic.TemplateView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        screen, user = self.screen, self.request.user
        report = attribution_report(
            self.ledger(), dimension=self.dimension, filters=self.filters,
            page=_page_number(self.request.GET.get("page")), per_page=screen.paginate_by,
        )
        table = report.table
        columns, table_rows, totals_cells = exports.table_cells(report)
        context.update(
            columns=columns,
            table_rows=table_rows,
            totals_cells=totals_cells,
            report=report,
            totals=report.totals,
            dimension=self.dimension,
            dimension_label=Dimension.labels[self.dimension],
            dimensions=Dimension.choices,
            filter_form=self.filter_form,
            is_filtered=self.filters.is_filtered,
            sees_all=user_sees_all(user),
            scope_label=screen.scope_label(user),
            chart_data={
                "trend": _series(report.trend),
                "villages": _series(report.top_villages, lambda row: f"{row.place}{row.label}"),
                "brands": _series(report.top_brands),
                "texts": {"sales": _("销售额（元）"), "income": _("农户收益（元）")},
            },
            csv_url=screen.url("csv"),
            xlsx_url=screen.url("xlsx"),
        )
        if table.per_page:
            paginator = Paginator(_GroupCount(table.count), table.per_page)
            page_obj = Page(table.rows, table.number, paginator)
            context.update(paginator=paginator, page_obj=page_obj, is_paginated=paginator.num_pages > 1)
        return context


class AttributionReportExportView(ReportMixin, generic.View):
    content_types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }

    def get(self, request, *args, **kwargs):
        report = attribution_report(self.ledger(), dimension=self.dimension, filters=self.filters, charts=False)
        if self.action == "csv":
            content = exports.report_csv(report)
        else:
            content = exports.report_xlsx(report, scope_label=self.screen.scope_label(request.user))
        response = HttpResponse(content, content_type=self.content_types[self.action])
        response["Content-Disposition"] = exports.content_disposition(*exports.export_filename(report, self.action))
        response["Cache-Control"] = "private, no-store"
        return response
