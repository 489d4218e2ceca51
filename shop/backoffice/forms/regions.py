from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shop.core.roles import PICKUP_STAFF
from shop.regions.models import City, County, ServicePoint, Township, Village

from .base import BackofficeModelForm

User = get_user_model()


def _division_code(value: str, *, length: int, parent_code: str = "", parent_prefix: int = 0) -> str:
    """Statistical division codes: 6 digits (city/county), 9 (township), 12 (village);
    a child's code starts with its parent's."""
    value = value.strip()
    if not value.isdigit() or len(value) != length:
        raise ValidationError(_("行政区划代码须为 %(length)d 位数字。") % {"length": length})
    if parent_code and value[:parent_prefix] != parent_code[:parent_prefix]:
        raise ValidationError(_("行政区划代码须以上级代码 %(prefix)s 开头。") % {"prefix": parent_code[:parent_prefix]})
    return value


class CityForm(BackofficeModelForm):
    class Meta:
        model = City
        fields = ["code", "name", "name_en"]

    def clean_code(self):
        code = _division_code(self.cleaned_data["code"], length=6)
        if not code.endswith("00"):
            raise ValidationError(_("地级市代码以 00 结尾。"))
        return code


class CountyForm(BackofficeModelForm):
    class Meta:
        model = County
        fields = ["city", "code", "name", "name_en", "is_demonstration_county"]

    def clean(self):
        cleaned = super().clean()
        city, code = cleaned.get("city"), cleaned.get("code")
        if city and code:
            try:
                cleaned["code"] = _division_code(code, length=6, parent_code=city.code, parent_prefix=4)
            except ValidationError as error:
                self.add_error("code", error)
        return cleaned


class TownshipForm(BackofficeModelForm):
    class Meta:
        model = Township
        fields = ["county", "code", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.select_related("city")

    def clean(self):
        cleaned = super().clean()
        county, code = cleaned.get("county"), cleaned.get("code")
        if county and code:
            try:
                cleaned["code"] = _division_code(code, length=9, parent_code=county.code, parent_prefix=6)
            except ValidationError as error:
                self.add_error("code", error)
        return cleaned


class TownshipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, township):
        return f"{township.county.name} · {township.name}"


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, village):
        return f"{village.township.county.name} · {village.township.name} · {village.name}"


def township_choices():
    return Township.objects.select_related("county").order_by("code")


def village_choices():
    return Village.objects.select_related("township__county").order_by("code")


class VillageForm(BackofficeModelForm):
    township = TownshipChoiceField(label=gettext_lazy("乡镇"), queryset=Township.objects.none())

    class Meta:
        model = Village
        fields = ["township", "code", "name", "is_provincial_poor_village"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = township_choices()

    def clean(self):
        cleaned = super().clean()
        township, code = cleaned.get("township"), cleaned.get("code")
        if township and code:
            try:
                cleaned["code"] = _division_code(code, length=12, parent_code=township.code, parent_prefix=9)
            except ValidationError as error:
                self.add_error("code", error)
        return cleaned


class StaffAccountsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.email or user.get_username()


class ServicePointForm(BackofficeModelForm):
    township = TownshipChoiceField(label=gettext_lazy("所在乡镇"), queryset=Township.objects.none(), required=False)
    village = VillageChoiceField(label=gettext_lazy("所在行政村"), queryset=Village.objects.none(), required=False)
    staff = StaffAccountsField(
        label=gettext_lazy("工作人员账号"),
        queryset=User.objects.none(),
        required=False,
        help_text=gettext_lazy("可选「自提点工作人员」组的账号。"),
    )

    class Meta:
        model = ServicePoint
        fields = [
            "kind", "name", "code", "county", "township", "village", "community", "address",
            "opening_hours", "has_cold_storage", "is_active", "staff",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.select_related("city")
        self.fields["township"].queryset = township_choices()
        self.fields["village"].queryset = village_choices()
        current = Q(service_points=self.instance) if self.instance.pk else Q(pk__in=[])
        self.fields["staff"].queryset = (
            User.objects.filter(Q(groups__name=PICKUP_STAFF) | current).distinct().order_by("email", "username")
        )

    def clean(self):
        cleaned = super().clean()
        kind, county = cleaned.get("kind"), cleaned.get("county")
        township, village = cleaned.get("township"), cleaned.get("village")
        if county and township and township.county_id != county.pk:
            self.add_error("township", _("所选乡镇不在所在县（市、区）内。"))
        if village and township and village.township_id != township.pk:
            self.add_error("village", _("所选行政村不在所选乡镇内。"))
        elif village and county and village.township.county_id != county.pk:
            self.add_error("village", _("所选行政村不在所在县（市、区）内。"))
        if kind == ServicePoint.Kind.TOWNSHIP_STATION and not township:
            self.add_error("township", _("乡镇电子商务服务站须选择所在乡镇。"))
        if kind == ServicePoint.Kind.VILLAGE_POINT and not village:
            self.add_error("village", _("村级电子商务服务点须选择所在行政村。"))
        return cleaned
