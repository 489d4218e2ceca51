import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.core.loading import get_model

from shop.core.masking import mask_id_number, mask_name, mask_phone
from shop.producers.models import Household, MarketSubject
from shop.producers.services import id_number_checksum_is_valid, id_number_digest
from shop.regions.models import County, Village

from ..access import market_subjects_visible_to, user_sees_all
from ..validators import validate_uscc
from .base import BackofficeModelForm, NoEchoTextInput
from .regions import VillageChoiceField, village_choices

Partner = get_model("partner", "Partner")

FIRST_LIFTED_OUT_YEAR = 2014  # 建档立卡 began in 2014


class MarketSubjectForm(BackofficeModelForm):
    """All fields, for operators (staff)."""

    class Meta:
        model = MarketSubject
        fields = [
            "name", "kind", "county", "linkage_model", "unified_social_credit_code",
            "contact_name", "contact_phone", "description",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.select_related("city")

    def clean_unified_social_credit_code(self):
        code = self.cleaned_data["unified_social_credit_code"].strip().upper()
        if code:
            validate_uscc(code)
        return code


class MarketSubjectCreateForm(MarketSubjectForm):
    partner = forms.ModelChoiceField(
        label=gettext_lazy("关联销售商（Oscar partner）"),
        queryset=Partner.objects.none(),
        required=False,
        help_text=gettext_lazy("留空则新建一个同名销售商。"),
    )

    field_order = ["partner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(market_subject__isnull=True).order_by("name")


class MarketSubjectContactForm(BackofficeModelForm):
    """What a cooperative may change about itself: contact details and description."""

    class Meta:
        model = MarketSubject
        fields = ["contact_name", "contact_phone", "description"]


class MarketSubjectChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, subject):
        return subject.name


class HouseholdForm(BackofficeModelForm):
    """Household registry form. The head's name, ID number and phone are never
    pre-filled or echoed back; left blank on edit, they keep their value."""

    head_name = forms.CharField(label=gettext_lazy("户主姓名"), max_length=32, required=False, widget=NoEchoTextInput)
    id_number = forms.CharField(label=gettext_lazy("户主身份证号"), max_length=18, required=False, widget=NoEchoTextInput)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=20, required=False, widget=NoEchoTextInput)
    village = VillageChoiceField(label=gettext_lazy("所在行政村"), queryset=Village.objects.none())
    market_subjects = MarketSubjectChoiceField(
        label=gettext_lazy("所属市场主体"), queryset=MarketSubject.objects.none(), required=False
    )

    PERSONAL_FIELDS = ("head_name", "id_number", "phone")

    class Meta:
        model = Household
        fields = [
            "village", "registration_number", "members", "able_bodied_members",
            "status", "lifted_out_year", "alias_consent",
        ]

    field_order = ["head_name", "id_number", "phone", "village", "registration_number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        subjects = market_subjects_visible_to(self.user).order_by("name")
        villages = village_choices()
        if not user_sees_all(self.user):
            villages = villages.filter(township__county__in=subjects.values("county"))
            # A cooperative's household must belong to one of its own subjects,
            # or the cooperative would lose sight of it.
            self.fields["market_subjects"].required = True
        self.fields["village"].queryset = villages
        self.fields["market_subjects"].queryset = subjects
        if self.instance.pk:
            self.fields["market_subjects"].initial = list(
                subjects.filter(memberships__household=self.instance).values_list("pk", flat=True)
            )
            keep = _("留空则保持不变")
            self.fields["head_name"].help_text = f"{_('当前')}：{mask_name(self.instance.head_name)}；{keep}"
            self.fields["id_number"].help_text = f"{_('当前')}：{mask_id_number(self.instance.id_number)}；{keep}"
            self.fields["phone"].help_text = f"{_('当前')}：{mask_phone(self.instance.phone or '') or '—'}；{keep}"
        else:
            self.fields["head_name"].required = True
            self.fields["id_number"].required = True

    def clean_head_name(self):
        return self.cleaned_data["head_name"].strip()

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not phone.replace("-", "").isdigit():
            raise ValidationError(_("联系电话只能包含数字和连字符。"))
        return phone

    def clean_id_number(self):
        id_number = self.cleaned_data["id_number"].strip().upper()
        if not id_number:
            return id_number
        if not id_number_checksum_is_valid(id_number):
            raise ValidationError(_("身份证号码格式或校验位不正确。"))
        duplicates = Household.objects.filter(id_number_digest=id_number_digest(id_number))
        if self.instance.pk:
            duplicates = duplicates.exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise ValidationError(_("该身份证号码已登记。"))
        return id_number

    def clean(self):
        cleaned = super().clean()
        status, year = cleaned.get("status"), cleaned.get("lifted_out_year")
        if status == Household.Status.LIFTED:
            if year is None:
                self.add_error("lifted_out_year", _("已脱贫户须填写脱贫年份。"))
            elif not FIRST_LIFTED_OUT_YEAR <= year <= datetime.date.today().year:
                self.add_error(
                    "lifted_out_year",
                    _("脱贫年份须在 %(first)d 年至今年之间。") % {"first": FIRST_LIFTED_OUT_YEAR},
                )
        elif status == Household.Status.IN_POVERTY and year is not None:
            self.add_error("lifted_out_year", _("未脱贫户不应填写脱贫年份。"))
        members, able = cleaned.get("members"), cleaned.get("able_bodied_members")
        if members is not None and able is not None and able > members:
            self.add_error("able_bodied_members", _("有劳动能力人数不能多于家庭人口。"))
        return cleaned

    def service_arguments(self) -> dict:
        """Keyword arguments for household_create / household_update."""
        data = {field: self.cleaned_data[field] for field in self.Meta.fields}
        data.update({field: self.cleaned_data[field] for field in self.PERSONAL_FIELDS})
        data["market_subjects"] = list(self.cleaned_data["market_subjects"])
        return data


class HouseholdFindForm(forms.Form):
    """Find a household by its head's full ID number (exact match on the keyed
    digest). Sent by POST so the number never lands in a URL or access log."""

    id_number = forms.CharField(label=gettext_lazy("户主身份证号（完整 18 位）"), max_length=18, widget=NoEchoTextInput)

    def clean_id_number(self):
        id_number = self.cleaned_data["id_number"].strip().upper()
        if not id_number_checksum_is_valid(id_number):
            raise ValidationError(_("身份证号码格式或校验位不正确。"))
        return id_number
