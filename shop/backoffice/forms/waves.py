"""Forms of the delivery wave screens: the list filter, a new wave (pickup
point, delivery date, the orders) and shipping (the temperature of a cold-chain wave)."""
import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from shop.fulfilment.models import DeliveryWave
from shop.regions.models import ServicePoint

from .filters import SearchForm

Order = get_model("order", "Order")
Line = get_model("order", "Line")


class WaveFilterForm(SearchForm):
    status = forms.ChoiceField(label=_("状态"), required=False)
    filters = {"status": "status"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *DeliveryWave.Status.choices]


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, partner):
        return partner.name


class PointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, point):
        return point.name


class WaveCreateForm(forms.Form):
    """A new wave of ``partner``. The choices are what the user may name (their
    cooperatives, pickup points, orders with their cooperative's lines), so a
    swapped id is an invalid choice; whether an order can still be packed is
    for ``wave_create`` to say."""

    partner = PartnerChoiceField(label=_("合作社"), queryset=None, widget=forms.HiddenInput)
    service_point = PointChoiceField(label=_("自提点"), queryset=None, widget=forms.HiddenInput)
    delivery_date = forms.DateField(label=_("配送日期"), widget=forms.DateInput(attrs={"type": "date"}))
    orders = forms.ModelMultipleChoiceField(label=_("订单"), queryset=None, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, partners, partner, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("delivery_date", timezone.localdate() + datetime.timedelta(days=1))
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.fields["service_point"].queryset = ServicePoint.objects.filter(kind__in=ServicePoint.URBAN_KINDS)
        self.fields["orders"].queryset = (
            Order.objects.filter(pk__in=Line.objects.filter(partner=partner).values("order_id"))
            if partner is not None else Order.objects.none()
        )

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"partner": data["partner"], "service_point": data["service_point"],
                "delivery_date": data["delivery_date"], "orders": list(data["orders"])}


class WaveShipForm(forms.Form):
    temperature = forms.DecimalField(label=_("发运温度（℃）"), max_digits=4, decimal_places=1, min_value=-40,
                                     max_value=60, required=False)
