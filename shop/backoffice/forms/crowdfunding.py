"""Forms of the crowdfunding screens: a project, its tiers, households and updates.

Choices are what the acting user may name (their cooperatives, those
cooperatives' products, batches and member households), so a swapped id in a
POST is an invalid choice. The rules (80-day campaigns, fixed terms once live,
the project's batch) are the services' (``shop.crowdfunding.services``)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from shop.core.masking import mask_name
from shop.crowdfunding.models import Project, ProjectHousehold, ProjectUpdate, RewardTier
from shop.harvest.models import HarvestBatch
from shop.producers.models import Household

from ..access import market_subjects_visible_to, products_visible_to
from .base import BackofficeModelForm
from .filters import SearchForm


class ProjectFilterForm(SearchForm):
    state = forms.ChoiceField(label=_("状态"), required=False)
    filters = {"state": "state"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("全部")), *Project.State.choices]


class _NameChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return getattr(obj, "name", None) or obj.get_title()


class _BatchChoice(forms.ModelChoiceField):
    def label_from_instance(self, batch):
        return f"{batch.code} · {batch.product.get_title()} · {batch.harvested_on:%Y-%m-%d} · " + str(
            _("剩余 %(left)d 件") % {"left": batch.quantity_remaining})


class ProjectForm(BackofficeModelForm):
    market_subject = _NameChoice(label=_("发起合作社"), queryset=None)
    product = _NameChoice(label=_("回报商品"), queryset=None)
    batch = _BatchChoice(label=_("项目批次"), queryset=None, required=False,
                         help_text=_("项目产品的采收批次，供货农户须与项目参与农户一致；众筹成功后回报订单从该批次发货"))

    class Meta:
        model = Project
        fields = ("title", "slug", "summary", "story", "market_subject", "product", "goal_amount", "deadline",
                  "delivery_note", "batch")
        widgets = {"deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                   "story": forms.Textarea(attrs={"rows": 8})}
        help_texts = {"deadline": _("上线后最长 80 天（支付宝仅支持付款后 90 天内退款）")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        subjects = market_subjects_visible_to(self.user)
        self.fields["market_subject"].queryset = subjects
        self.fields["product"].queryset = products_visible_to(self.user).filter(
            origin__market_subject__in=subjects.values("pk"))
        self.fields["batch"].queryset = HarvestBatch.objects.filter(
            market_subject__in=subjects.values("pk"), inspection_result=HarvestBatch.Inspection.PASSED
        ).select_related("product")
        self.fields["deadline"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if self.instance.pk and self.instance.state != Project.State.DRAFT:
            for name in ("market_subject", "product", "goal_amount", "deadline"):
                self.fields[name].disabled = True


class RewardTierForm(forms.ModelForm):
    class Meta:
        model = RewardTier
        fields = ("title", "amount", "quantity", "description", "limit", "position")


class ProjectUpdateForm(forms.ModelForm):
    class Meta:
        model = ProjectUpdate
        fields = ("title", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}


class _HouseholdChoice(forms.ModelChoiceField):
    """Operators with household access see the registration number and masked
    name; everyone else only the public alias (or that there is none)."""

    def __init__(self, *args, show_registration, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_registration = show_registration

    def label_from_instance(self, household):
        alias = household.public_alias if household.alias_consent and household.public_alias else _("未公开化名")
        if self.show_registration:
            return f"{household.registration_number} · {mask_name(household.head_name)} · {alias}"
        return f"{household.village.name} · {alias} · #{household.pk}"


class ProjectHouseholdForm(forms.ModelForm):
    class Meta:
        model = ProjectHousehold
        fields = ("household", "note")

    def __init__(self, *args, project, user, **kwargs):
        super().__init__(*args, **kwargs)
        members = Household.objects.filter(memberships__market_subject_id=project.market_subject_id).exclude(
            pk__in=ProjectHousehold.objects.filter(project=project).values("household_id")
        ).select_related("village").order_by("registration_number")
        self.fields["household"] = _HouseholdChoice(
            label=_("农户"), queryset=members, show_registration=user.has_perm("producers.view_household"))
