"""Views of a harvest batch beyond the generic CRUD: its detail page (with
contributions and events), the contributions import and its template, the
label sheet and the event form. Each wires a form to ``shop.harvest``'s
services and selectors; scoping comes from the screen."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import generic

from shop.harvest import importers, selectors, services

from .forms.base import fields_with_out_of_scope_choices
from .forms.harvest import ContributionImportForm, LabelSheetForm, TraceEventForm
from .views import ObjectDetailView, ScreenViewMixin, security_log

MAX_LABEL_BATCHES = 50

TEMPLATE_FILES = {
    "csv": (importers.template_csv, "text/csv; charset=utf-8"),
    "xlsx": (importers.template_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _template_urls(screen):
    return {fmt: screen.action_url("contributions-template", fmt=fmt) for fmt in TEMPLATE_FILES}


def _event_form(recording, data=None):
    return TraceEventForm(data, batch=recording.batch, recorders=recording.recorders, points=recording.points,
                          point_required=recording.point_required)


class BatchDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch, user, screen = self.object, self.request.user, self.screen
        sold = selectors.batch_is_sold(batch)
        context.update({
            "contributions": screen.contribution_rows(batch),
            "events": selectors.batch_events(batch),
            "sold": sold,
            "labels_url": screen.action_url("labels", batch),
        })
        if screen.can(user, "contributions-import"):
            context.update({
                "import_form": None if sold else ContributionImportForm(),
                "import_url": screen.action_url("contributions-import", batch),
                "template_urls": _template_urls(screen),
            })
        if screen.can_record_events(user, batch):
            context["event_form"] = _event_form(screen.event_recording(user, batch.pk))
            context["event_url"] = screen.action_url("event-create", batch)
        return context


class ContributionImportView(ScreenViewMixin, generic.FormView):
    """Upload a CSV or XLSX of the batch's contributions: all rows are written, or none."""

    form_class = ContributionImportForm
    template_name = "backoffice/harvest/contribution_import.html"

    def get_template_names(self):
        return [self.template_name]

    def prepare(self):
        self.batch = self.screen.get_object(self.request.user, **self.kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({
            "batch": self.batch, "sold": selectors.batch_is_sold(self.batch),
            "detail_url": self.screen.url("detail", self.batch), "template_urls": _template_urls(self.screen),
            "columns": importers.COLUMNS,
        })
        return context

    def form_valid(self, form):
        name, data = form.read()
        try:
            rows = services.contributions_import(batch=self.batch, name=name, data=data)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(form=form, import_errors=error.messages))
        messages.success(self.request, _("已导入 %(count)d 户农户的供货，原有供货记录已替换。") % {"count": len(rows)})
        return redirect(self.screen.url("detail", self.batch))


class ContributionTemplateView(ScreenViewMixin, generic.View):
    """The import template (headers and one example row), as CSV or XLSX."""

    def get(self, request, fmt, **kwargs):
        if fmt not in TEMPLATE_FILES:
            raise Http404
        build, content_type = TEMPLATE_FILES[fmt]
        response = HttpResponse(build(), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, _("农户供货导入模板") + f".{fmt}")
        return response


class LabelSheetView(ScreenViewMixin, generic.TemplateView):
    """An A4 sheet of labels (QR code, product, brand, village, date, batch
    code) for one batch, or for the batches ticked in the list (``?batch=``)."""

    template_name = "backoffice/harvest/label_sheet.html"

    def get_template_names(self):
        return [self.template_name]

    def _ids(self):
        if "pk" in self.kwargs:
            return [self.kwargs["pk"]]
        values = self.request.GET.getlist("batch")
        if not all(value.isdigit() for value in values):
            raise Http404
        return list(dict.fromkeys(int(value) for value in values))

    def get(self, request, *args, **kwargs):
        ids = self._ids()
        if not ids or len(ids) > MAX_LABEL_BATCHES:
            messages.warning(request, _("请勾选 1 至 %(max)d 个批次再打印标签。") % {"max": MAX_LABEL_BATCHES})
            return redirect(self.screen.url("list"))
        batches = self.screen.label_batches(request.user, ids)
        form = LabelSheetForm(request.GET if "count" in request.GET else None, batches=len(batches))
        count = form.count_or_default()
        pages = selectors.label_pages(batches, count=count, absolute_url=request.build_absolute_uri)
        return self.render_to_response(self.get_context_data(
            form=form, batches=batches, pages=pages, count=count, label_total=count * len(batches),
            back_url=self.screen.url("detail", batches[0]) if len(batches) == 1 else self.screen.url("list"),
        ))


class TraceEventCreateView(ScreenViewMixin, generic.FormView):
    """Record a circulation event of a batch, as the user's role (cooperative,
    pickup point; staff may choose warehouse)."""

    template_name = "backoffice/harvest/event_form.html"

    def get_template_names(self):
        return [self.template_name]

    def prepare(self):
        self.recording = self.screen.event_recording(self.request.user, self.kwargs["pk"])

    def get_form(self, form_class=None):
        data = self.request.POST if self.request.method == "POST" else None
        return _event_form(self.recording, data)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["batch"] = self.recording.batch
        context["back_url"] = self._next_url()
        return context

    def _next_url(self):
        user, batch = self.request.user, self.recording.batch
        if self.screen.can(user, "detail") and self.screen.get_queryset(user).filter(pk=batch.pk).exists():
            return self.screen.url("detail", batch)
        return reverse("backoffice:harvest-point-batch-list")

    def form_invalid(self, form):
        tampered = fields_with_out_of_scope_choices(form)
        if tampered:
            security_log.warning("Out-of-scope choice refused: user=%s view=%s fields=%s",
                                 self.request.user.pk, self.screen.url_name(self.action), ",".join(tampered))
            raise PermissionDenied
        return super().form_invalid(form)

    def form_valid(self, form):
        try:
            event = services.trace_event_record(batch=self.recording.batch, user=self.request.user,
                                                **form.service_arguments())
        except ValidationError as error:
            by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
            for field, errors in by_field.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        messages.success(self.request, _("已记录流通事件：%(step)s") % {"step": event.get_business_step_display()})
        return redirect(self._next_url())
