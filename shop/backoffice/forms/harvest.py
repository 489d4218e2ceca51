"""Forms of the harvest batch screens: a new batch, a contributions file, a
circulation event, the label sheet and the list filter."""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.core.loading import get_model

from shop.harvest import importers
from shop.harvest.models import HarvestBatch, TraceEvent
from shop.harvest.selectors import products_for_batches
from shop.regions.models import ServicePoint

from ..access import market_subjects_visible_to, products_visible_to, user_sees_all
from .base import BackofficeModelForm
from .filters import SearchForm

Product = get_model("catalogue", "Product")
Step = TraceEvent.BusinessStep
Recorder = TraceEvent.Recorder


class ProductChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, with_subject=False, **kwargs):
        self.with_subject = with_subject
        super().__init__(*args, **kwargs)

    def label_from_instance(self, product):
        title = product.get_title()
        return f"{title}（{product.origin.market_subject.name}）" if self.with_subject else title


class HarvestBatchForm(BackofficeModelForm):
    """A new batch; ``batch_create`` validates and writes it. Products are the
    user's own (those whose origin names one of their market subjects)."""

    product = ProductChoiceField(label=gettext_lazy("商品"), queryset=Product.objects.none())

    class Meta:
        model = HarvestBatch
        fields = [
            "product", "harvested_on", "quantity", "inspection_report_number", "inspection_result",
            "inspected_on", "inspection_agency", "note",
        ]
        widgets = {
            "harvested_on": forms.DateInput(attrs={"type": "date"}),
            "inspected_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        products = products_for_batches(market_subjects_visible_to(self.user))
        if not user_sees_all(self.user):
            products = products.filter(pk__in=products_visible_to(self.user).values("pk"))
        self.fields["product"].queryset = products
        self.fields["product"].with_subject = user_sees_all(self.user)
        self.fields["quantity"].help_text = _("质检合格的批次，其数量计入该商品的库存。")

    def service_arguments(self) -> dict:
        """Keyword arguments for ``batch_create``."""
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


class BatchFilterForm(SearchForm):
    inspection_result = forms.ChoiceField(label=gettext_lazy("质检结论"), required=False)
    filters = {"inspection_result": "inspection_result"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspection_result"].choices = [("", _("全部")), *HarvestBatch.Inspection.choices]


class ContributionImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("农户供货文件（CSV 或 Excel .xlsx）"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx"}),
        allow_empty_file=True,  # the importer says "文件是空的"
        help_text=gettext_lazy("列：建档立卡编号、供货数量、收益方式、收购单价（元/件）、分成比例（%）；不超过 2 MB、5,000 行。"),
    )

    def read(self) -> tuple[str, bytes]:
        """(name, content) of the upload; an oversized file is not read past its limit."""
        upload = self.cleaned_data["file"]
        return upload.name, upload.read(importers.MAX_BYTES + 1)


# Steps each recorder may record, and the disposition each step leaves the goods in.
RECORDER_STEPS = {
    Recorder.COOPERATIVE: (Step.PACKING, Step.STORING, Step.SHIPPING),
    Recorder.WAREHOUSE: (Step.RECEIVING, Step.STORING, Step.PACKING, Step.SHIPPING),
    Recorder.PICKUP_POINT: (Step.RECEIVING, Step.RETAIL_SELLING),
}
STEP_DISPOSITION = {
    Step.PACKING: TraceEvent.Disposition.IN_PROGRESS,
    Step.STORING: TraceEvent.Disposition.IN_PROGRESS,
    Step.SHIPPING: TraceEvent.Disposition.IN_TRANSIT,
    Step.RECEIVING: TraceEvent.Disposition.SELLABLE,
    Step.RETAIL_SELLING: TraceEvent.Disposition.COMPLETED,
}


class PointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, point):
        return point.name


class TraceEventForm(forms.Form):
    """A circulation event of one batch. ``recorders`` are the roles the user
    may record as (staff: any); ``points`` the service points they may name
    (pickup staff: theirs that the batch reached, and then one is required)."""

    recorder = forms.ChoiceField(label=gettext_lazy("记录方"))
    business_step = forms.ChoiceField(label=gettext_lazy("业务环节"))
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("发生时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    service_point = PointChoiceField(label=gettext_lazy("服务网点"), queryset=ServicePoint.objects.none(), required=False)
    place = forms.CharField(label=gettext_lazy("地点"), max_length=120, required=False)
    temperature = forms.DecimalField(
        label=gettext_lazy("温度（℃）"), max_digits=4, decimal_places=1, min_value=-40, max_value=60, required=False
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def __init__(self, *args, batch, recorders, points, point_required=False, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        self.batch = batch
        self.fields["recorder"].choices = [(value, Recorder(value).label) for value in recorders]
        steps = []
        for recorder in recorders:
            steps += [step for step in RECORDER_STEPS[recorder] if step not in steps]
        self.fields["business_step"].choices = [(step.value, step.label) for step in steps]
        if len(recorders) == 1:
            self.fields["recorder"].initial = recorders[0]
            self.fields["recorder"].widget = forms.HiddenInput()
        self.fields["service_point"].queryset = points
        if point_required:
            self.fields["service_point"].required = True
            self.fields["service_point"].empty_label = None
            del self.fields["place"]  # the point is the place
        elif not points.exists():
            del self.fields["service_point"]
        origin = getattr(batch.product, "origin", None)
        if origin is not None and origin.is_fresh:
            self.fields["temperature"].help_text = _("鲜活产品：入库冷藏、发货、到货签收环节须填写温度。")

    def clean(self):
        cleaned = super().clean()
        recorder, step = cleaned.get("recorder"), cleaned.get("business_step")
        if recorder and step and step not in RECORDER_STEPS[recorder]:
            self.add_error("business_step", _("「%(recorder)s」不能记录「%(step)s」环节。") % {
                "recorder": Recorder(recorder).label, "step": Step(step).label})
        return cleaned

    def service_arguments(self) -> dict:
        """Keyword arguments for ``trace_event_record`` (without batch and user)."""
        data = self.cleaned_data
        return {
            "recorder": data["recorder"], "business_step": data["business_step"],
            "disposition": STEP_DISPOSITION[data["business_step"]], "occurred_at": data["occurred_at"],
            "service_point": data.get("service_point"), "place": data.get("place", ""),
            "temperature": data["temperature"], "note": data["note"],
        }


class LabelSheetForm(forms.Form):
    """How many labels of each batch; at most ``MAX_LABELS`` on one sheet."""

    count = forms.IntegerField(label=gettext_lazy("每批标签数"), min_value=1, max_value=240, initial=12)

    DEFAULT_COUNT = 12
    MAX_LABELS = 600

    def __init__(self, *args, batches=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches = max(batches, 1)
        self.fields["count"].initial = min(self.DEFAULT_COUNT, self.MAX_LABELS // self.batches)

    def clean_count(self):
        count = self.cleaned_data["count"]
        if count * self.batches > self.MAX_LABELS:
            raise forms.ValidationError(_("一次最多打印 %(max)d 张标签。") % {"max": self.MAX_LABELS})
        return count

    def count_or_default(self) -> int:
        """The chosen count, or the default (12, fewer if that would exceed the maximum)."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["count"]
        return self.fields["count"].initial
