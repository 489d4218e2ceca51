"""Harvest batches (采收批次): list, detail, create; the contributions import,
label sheet and event recording hang off a batch. Cooperative staff see their
own batches, programme officers and staff every batch; pickup-point staff see
only the batches that reached their point (``PointBatchScreen``)."""
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from shop.core.masking import mask_name
from shop.harvest import selectors, services
from shop.harvest.models import HarvestBatch, TraceEvent
from shop.regions.models import ServicePoint

from ..access import market_subjects_visible_to, user_sees_all
from ..crud import Column, RowAction, Screen
from ..forms.harvest import BatchFilterForm, HarvestBatchForm

LABEL_FORM_ID = "batch_label_form"


def _select_box(batch):
    return format_html('<input type="checkbox" name="batch" value="{}" form="{}" aria-label="{}">',
                       batch.pk, LABEL_FORM_ID, batch.code)


def _place(batch):
    village = batch.village
    if village is None:
        return None
    return f"{village.township.county.name} · {village.township.name} · {village.name}"


def _trace_link(batch):
    url = selectors.batch_public_url(batch)
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)


@dataclass(frozen=True)
class EventRecording:
    """Who records an event of ``batch`` as what, and at which points."""

    batch: HarvestBatch
    recorders: tuple[str, ...]
    points: QuerySet
    point_required: bool


class HarvestBatchScreen(Screen):
    model = HarvestBatch
    name = "harvest-batch"
    path = "batches"
    icon = "fas fa-boxes"
    form_class = HarvestBatchForm
    filter_form_class = BatchFilterForm
    search_fields = ("code", "product__title", "inspection_report_number")
    select_related = ("product", "market_subject", "village__township__county")
    ordering = ("-harvested_on", "-pk")  # explicit: Meta.ordering is dropped by the count annotation
    actions = ("list", "detail", "create")
    extra_actions = ("contributions-import", "contributions-template", "labels", "label-sheet", "event-create")
    list_template = "backoffice/harvest/batch_list.html"
    detail_template = "backoffice/harvest/batch_detail.html"
    list_columns = (
        Column(_("选择"), _select_box),
        Column(_("批次码"), "code", link=True),
        Column(_("商品"), "product.title"),
        Column(_("生产主体"), "market_subject.name"),
        Column(_("采收/生产日期"), "harvested_on"),
        Column(_("数量（件）"), "quantity"),
        Column(_("已分配"), "quantity_allocated"),
        Column(_("剩余"), "quantity_remaining"),
        Column(_("质检结论"), "get_inspection_result_display"),
        Column(_("供货农户数"), "household_count"),
    )
    detail_fields = (
        Column(_("批次码"), "code"),
        Column(_("商品"), "product.title"),
        Column(_("生产主体"), "market_subject.name"),
        Column(_("产地行政村"), _place),
        Column(_("采收/生产日期"), "harvested_on"),
        Column(_("数量（件）"), "quantity"),
        Column(_("已分配数量"), "quantity_allocated"),
        Column(_("剩余数量"), "quantity_remaining"),
        Column(_("质检报告编号"), "inspection_report_number"),
        Column(_("质检结论"), "get_inspection_result_display"),
        Column(_("质检日期"), "inspected_on"),
        Column(_("检测机构"), "inspection_agency"),
        Column(_("备注"), "note"),
        Column(_("登记时间"), "created"),
        Column(_("供货农户数"), "household_count"),
        Column(_("公开溯源页"), _trace_link),
    )

    # -- permissions ----------------------------------------------------------
    def required_permissions(self, action):
        if action == "event-create":
            return [self.permission("view"), "harvest.add_traceevent"]
        # The screens show each household's contribution: viewing them is part of reading a batch.
        permissions = [self.permission("view"), "harvest.view_batchcontribution"]
        if action == "create":
            permissions.append(self.permission("add"))
        elif action in ("contributions-import", "contributions-template"):
            permissions += ["harvest.add_batchcontribution", "harvest.change_batchcontribution"]
        return permissions

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action)
                for action in self.actions + self.extra_actions}

    def can(self, user, action) -> bool:
        return user.has_perms(self.required_permissions(action))

    # -- reads ----------------------------------------------------------------
    def get_queryset(self, user):
        return selectors.batches_with_counts(super().get_queryset(user))

    def scope(self, queryset, user):
        if user_sees_all(user):
            return queryset
        return queryset.filter(market_subject__in=market_subjects_visible_to(user).values("pk"))

    def event_recording(self, user, pk) -> EventRecording:
        """What ``user`` may record for batch ``pk``: staff as anyone, anywhere; a
        cooperative on its own batches; pickup staff at their points the batch
        reached. 404 for anything else."""
        Recorder = TraceEvent.Recorder
        if user.is_staff:
            batch = get_object_or_404(HarvestBatch.objects.select_related("product__origin"), pk=pk)
            recorders = (Recorder.WAREHOUSE, Recorder.COOPERATIVE, Recorder.PICKUP_POINT)
            return EventRecording(batch, recorders, ServicePoint.objects.filter(is_active=True), False)
        batch = get_object_or_404(HarvestBatch.objects.select_related("product__origin", "market_subject"), pk=pk)
        if market_subjects_visible_to(user).filter(pk=batch.market_subject_id).exists():
            return EventRecording(batch, (Recorder.COOPERATIVE,), ServicePoint.objects.none(), False)
        points = selectors.batch_points(batch, selectors.points_staffed_by(user))
        if not points.exists():
            raise Http404
        return EventRecording(batch, (Recorder.PICKUP_POINT,), points, True)

    def label_batches(self, user, ids):
        """The batches of ``ids``, all of them in scope (else 404)."""
        batches = list(selectors.label_batches(self.scope(HarvestBatch.objects.filter(pk__in=ids), user)))
        if len(batches) != len(set(ids)):
            raise Http404
        return batches

    # -- writes ---------------------------------------------------------------
    def save(self, *, form, user):
        return services.batch_create(**form.service_arguments(), user=user)

    # -- URLs -----------------------------------------------------------------
    def routes(self):
        return {
            **super().routes(),
            "contributions-import": f"{self.path}/<int:pk>/contributions/import/",
            "contributions-template": f"{self.path}/contributions-template.<slug:fmt>",
            "labels": f"{self.path}/<int:pk>/labels/",
            "label-sheet": f"{self.path}/labels/",
            "event-create": f"{self.path}/<int:pk>/events/create/",
        }

    def get_urls(self):
        from .. import views, views_harvest

        view_classes = {
            "list": views.ObjectListView,
            "create": views.ObjectCreateView,
            "detail": views_harvest.BatchDetailView,
            "contributions-import": views_harvest.ContributionImportView,
            "contributions-template": views_harvest.ContributionTemplateView,
            "labels": views_harvest.LabelSheetView,
            "label-sheet": views_harvest.LabelSheetView,
            "event-create": views_harvest.TraceEventCreateView,
        }
        routes = self.routes()
        return [
            path(routes[action], view.as_view(screen=self, action=action), name=self.url_name(action))
            for action, view in view_classes.items()
        ]

    def action_url(self, action, obj=None, **kwargs) -> str:
        if obj is not None:
            kwargs["pk"] = obj.pk
        return reverse(f"backoffice:{self.url_name(action)}", kwargs=kwargs or None)

    def detail_actions(self, batch, user):
        return [
            RowAction(_("打印标签"), self.action_url("labels", batch), "primary"),
            RowAction(_("公开溯源页"), selectors.batch_public_url(batch)),
        ]

    def extra_list_context(self, user):
        return {"label_form_id": LABEL_FORM_ID, "label_sheet_url": self.action_url("label-sheet")}

    # -- the detail page ------------------------------------------------------
    def contribution_rows(self, batch) -> list[dict]:
        """A batch's contributions for an operator: the household by registration
        number and masked head's name, never more."""
        return [
            {
                "registration_number": row.household.registration_number,
                "masked_name": mask_name(row.household.head_name),
                "quantity": row.quantity,
                "income_rule": row.get_income_rule_display(),
                "purchase_price": row.purchase_price,
                "sales_share": row.sales_share,
            }
            for row in selectors.batch_contributions(batch)
        ]

    def can_record_events(self, user, batch) -> bool:
        return self.can(user, "event-create") and (
            user.is_staff or market_subjects_visible_to(user).filter(pk=batch.market_subject_id).exists()
        )


class PointBatchScreen(Screen):
    """Pickup-point staff: the batches with units in orders collected at their
    points, where they record receiving and hand-over events. No household data."""

    model = HarvestBatch
    name = "harvest-point-batch"
    path = "point-batches"
    icon = "fas fa-truck"
    verbose_name = _("自提点到货批次")
    verbose_name_plural = _("自提点到货批次")
    search_fields = ("code", "product__title")
    actions = ("list",)
    list_columns = (
        Column(_("批次码"), "code"),
        Column(_("商品"), "product.title"),
        Column(_("生产主体"), "market_subject.name"),
        Column(_("采收/生产日期"), "harvested_on"),
        Column(_("本点订单数"), "orders_here"),
        Column(_("本点件数"), "units_here"),
    )

    def required_permissions(self, action):
        return ["harvest.view_harvestbatch", "harvest.add_traceevent", "regions.view_servicepoint"]

    def get_queryset(self, user):
        points = ServicePoint.objects.all() if user.is_staff else selectors.points_staffed_by(user)
        return (
            selectors.batches_at_points(points)
            .select_related("product", "market_subject")
            .order_by("-harvested_on", "-pk")
        )

    def create_url(self, user):
        return None

    def row_link(self, batch, user):
        return None

    def row_actions(self, batch, user):
        url = reverse("backoffice:harvest-batch-event-create", kwargs={"pk": batch.pk})
        return [RowAction(_("记录到货/交付"), url, "primary")]
