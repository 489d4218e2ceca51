"""The filters of the monitoring reports (GET)."""
import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from shop.attribution.models import Channel
from shop.attribution.reports import ReportFilters
from shop.brands.models import Brand
from shop.regions.models import City, County

from ..access import market_subjects_visible_to

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class MonthField(forms.CharField):
    """A month as ``YYYY-MM`` (what ``<input type="month">`` sends), cleaned to
    the first day of that month."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"})
    default_error_messages = {"invalid": _("请按“年-月”填写月份，例如 2026-01。")}

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        match = _MONTH.match(value) if len(value) <= 7 else None
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month = int(match[1]), int(match[2])
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return datetime.date(year, month, 1)

    def prepare_value(self, value):
        if isinstance(value, datetime.date):
            return f"{value.year:04d}-{value.month:02d}"
        return value


class ReportFilterForm(forms.Form):
    month_from = MonthField(label=_("起始月份"), required=False)
    month_to = MonthField(label=_("截止月份"), required=False)
    channel = forms.ChoiceField(label=_("渠道"), required=False)
    city = forms.ModelChoiceField(label=_("地级市"), queryset=City.objects.all(), required=False,
                                  empty_label=_("全部地级市"))
    county = forms.ModelChoiceField(label=_("县（市、区）"), queryset=County.objects.all(), required=False,
                                    empty_label=_("全部县（市、区）"))
    brand = forms.ModelChoiceField(label=_("区域公用品牌"), queryset=Brand.objects.only("pk", "name"),
                                   required=False,
                                   empty_label=_("全部品牌"))
    market_subject = forms.ModelChoiceField(label=_("市场主体"), queryset=None, required=False,
                                            empty_label=_("全部市场主体"))

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["channel"].choices = [("", _("全部渠道"))] + list(Channel.choices)
        # A cooperative can only narrow down to its own subjects; the ledger
        # scope (not this list) is what keeps other cooperatives' entries out.
        self.fields["market_subject"].queryset = market_subjects_visible_to(user).order_by("name", "pk")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("month_from"), cleaned.get("month_to")
        if start and end and start > end:
            self.add_error("month_to", _("截止月份不能早于起始月份。"))
        return cleaned

    def report_filters(self) -> ReportFilters:
        """The filters to apply; only call it on a valid (or unbound) form."""
        if not self.is_bound:
            return ReportFilters()
        data = self.cleaned_data

        def pk(name):
            value = data.get(name)
            return value.pk if value is not None else None

        return ReportFilters(
            month_from=data.get("month_from"), month_to=data.get("month_to"), channel=data.get("channel") or "",
            city_id=pk("city"), county_id=pk("county"), brand_id=pk("brand"), market_subject_id=pk("market_subject"),
        )
