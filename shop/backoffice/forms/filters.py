"""GET forms that filter a screen's list: a free-text search over the screen's
``search_fields`` plus optional exact filters (field name → ORM lookup)."""
from functools import reduce
from operator import or_

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.producers.models import Household
from shop.regions.models import City, County, ServicePoint


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=64)

    #: {form field name: ORM lookup} applied when the field has a value.
    filters: dict[str, str] = {}

    def __init__(self, *args, search_fields=(), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.search_fields = search_fields
        self.user = user
        if not search_fields:
            del self.fields["q"]

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())

    def filter_queryset(self, queryset):
        if not self.is_bound:
            return queryset
        if not self.is_valid():
            return queryset.none()
        query = self.cleaned_data.get("q", "").strip()
        if query and self.search_fields:
            matches = (Q(**{f"{field}__icontains": query}) for field in self.search_fields)
            queryset = queryset.filter(reduce(or_, matches))
        for field, lookup in self.filters.items():
            value = self.cleaned_data.get(field)
            if value not in (None, "", []):
                queryset = queryset.filter(**{lookup: value})
        return queryset


def _city_field():
    return forms.ModelChoiceField(label=_("地级市"), queryset=City.objects.all(), required=False)


def _county_field():
    return forms.ModelChoiceField(
        label=_("县（市、区）"), queryset=County.objects.select_related("city"), required=False
    )


class CountyFilterForm(SearchForm):
    city = _city_field()
    filters = {"city": "city"}


class TownshipFilterForm(SearchForm):
    city = _city_field()
    county = _county_field()
    filters = {"city": "county__city", "county": "county"}


class VillageFilterForm(SearchForm):
    city = _city_field()
    county = _county_field()
    is_provincial_poor_village = forms.NullBooleanField(
        label=_("省定贫困村"),
        required=False,
        widget=forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))]),
    )
    filters = {
        "city": "township__county__city",
        "county": "township__county",
        "is_provincial_poor_village": "is_provincial_poor_village",
    }


class CountyScopedFilterForm(SearchForm):
    """For models with a ``county`` foreign key (service points, market subjects)."""

    city = _city_field()
    county = _county_field()
    filters = {"city": "county__city", "county": "county"}


class HouseholdFilterForm(SearchForm):
    county = _county_field()
    status = forms.ChoiceField(label=_("贫困状态"), required=False)
    filters = {"county": "village__township__county", "status": "status"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *Household.Status.choices]


class ServicePointFilterForm(CountyScopedFilterForm):
    kind = forms.ChoiceField(label=_("类型"), required=False)
    filters = {**CountyScopedFilterForm.filters, "kind": "kind"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部")), *ServicePoint.Kind.choices]
