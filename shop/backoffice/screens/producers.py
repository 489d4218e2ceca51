from django.db.models import Count, Prefetch
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from shop.core.masking import mask_id_number, mask_name, mask_phone
from shop.producers import services as producer_services
from shop.producers.models import Household, MarketSubject, Membership

from .. import services
from ..access import market_subjects_visible_to, user_sees_all
from ..crud import Column, RowAction, Screen
from ..forms import filters
from ..forms.producers import (
    HouseholdFindForm,
    HouseholdForm,
    MarketSubjectContactForm,
    MarketSubjectCreateForm,
    MarketSubjectForm,
)


class MarketSubjectScreen(Screen):
    """Market subjects; each is an Oscar partner. Cooperative staff see and edit
    (contact details only) their own."""

    model = MarketSubject
    name = "market-subject"
    path = "market-subjects"
    form_class = MarketSubjectForm
    filter_form_class = filters.CountyScopedFilterForm
    search_fields = ("name", "unified_social_credit_code", "contact_name")
    select_related = ("county__city", "partner")
    ordering = ("county__code", "name", "pk")
    actions = ("list", "detail", "create", "update")
    list_columns = (
        Column(_("名称"), "name", link=True),
        Column(_("类型"), "get_kind_display"),
        Column(_("所在县（市、区）"), "county.name"),
        Column(_("利益联结模式"), "get_linkage_model_display"),
        Column(_("销售商（Oscar partner）"), "partner.name"),
        Column(_("联系人"), "contact_name"),
        Column(_("带动农户数"), "household_count"),
    )
    detail_fields = (
        Column(_("名称"), "name"),
        Column(_("类型"), "get_kind_display"),
        Column(_("所在县（市、区）"), "county.name"),
        Column(_("利益联结模式"), "get_linkage_model_display"),
        Column(_("销售商（Oscar partner）"), "partner.name"),
        Column(_("统一社会信用代码"), "unified_social_credit_code"),
        Column(_("联系人"), "contact_name"),
        Column(_("联系电话"), "contact_phone"),
        Column(_("简介"), "description"),
        Column(_("带动农户数"), "household_count"),
    )

    def get_queryset(self, user):
        return super().get_queryset(user).annotate(household_count=Count("memberships"))

    def scope(self, queryset, user):
        return queryset if user_sees_all(user) else queryset.filter(partner__users=user)

    def get_form_class(self, user, instance):
        if instance is None:
            return MarketSubjectCreateForm
        return MarketSubjectForm if user_sees_all(user) else MarketSubjectContactForm

    def save(self, *, form, user):
        data = {field: form.cleaned_data[field] for field in form.Meta.fields}
        if form.instance.pk:
            return services.market_subject_update(market_subject=form.instance, **data)
        return services.market_subject_create(partner=form.cleaned_data["partner"], **data)

    def detail_actions(self, obj, user):
        actions = super().detail_actions(obj, user)
        if user.is_staff and user.has_perm("partner.view_partner"):
            url = reverse("dashboard:partner-manage", kwargs={"pk": obj.partner_id})
            actions.append(RowAction(_("销售商与账号"), url))
        return actions


def _household_subjects(household):
    return "、".join(membership.market_subject.name for membership in household.visible_memberships)


def _household_place(household):
    village = household.village
    return f"{village.township.county.name} · {village.township.name} · {village.name}"


class HouseholdScreen(Screen):
    """The household registry. Personal data shows masked to everyone; the forms
    never pre-fill it; writes go through ``shop.producers.services``."""

    model = Household
    name = "household"
    path = "households"
    form_class = HouseholdForm
    filter_form_class = filters.HouseholdFilterForm
    # Never the encrypted columns: they cannot be searched and must not be.
    search_fields = ("registration_number", "public_alias", "village__name", "village__township__name")
    select_related = ("village__township__county__city",)
    actions = ("list", "detail", "create", "update")
    list_template = "backoffice/household_list.html"
    list_columns = (
        Column(_("建档立卡编号"), "registration_number", link=True),
        Column(_("户主姓名"), lambda household: mask_name(household.head_name)),
        Column(_("户主身份证号"), lambda household: mask_id_number(household.id_number)),
        Column(_("联系电话"), lambda household: mask_phone(household.phone or "")),
        Column(_("所在行政村"), _household_place),
        Column(_("家庭人口"), "members"),
        Column(_("贫困状态"), "status_label"),
        Column(_("所属市场主体"), _household_subjects),
    )
    detail_fields = list_columns + (
        Column(_("有劳动能力人数"), "able_bodied_members"),
        Column(_("同意公开化名"), "alias_consent"),
        Column(_("公开化名"), "public_alias"),
    )

    def find_permissions(self) -> list[str]:
        # Looking a household up by its full ID number is an operator task
        # (e.g. before registering one), not a monitoring one.
        return [self.permission("view"), self.permission("change")]

    def permissions_map(self):
        return {**super().permissions_map(), "household-find": self.find_permissions()}

    def get_urls(self):
        from ..views_households import HouseholdFindView

        return super().get_urls() + [
            path(f"{self.path}/find/", HouseholdFindView.as_view(screen=self, action="find"), name="household-find")
        ]

    def required_permissions(self, action):
        return self.find_permissions() if action == "find" else super().required_permissions(action)

    def get_queryset(self, user):
        visible = Membership.objects.filter(market_subject__in=market_subjects_visible_to(user).values("pk"))
        return (
            super()
            .get_queryset(user)
            .prefetch_related(
                Prefetch(
                    "memberships", queryset=visible.select_related("market_subject"), to_attr="visible_memberships"
                )
            )
        )

    def scope(self, queryset, user):
        if user_sees_all(user):
            return queryset
        own = Household.objects.filter(memberships__market_subject__partner__users=user)
        return queryset.filter(pk__in=own.values("pk"))

    def save(self, *, form, user):
        arguments = form.service_arguments()
        household = form.instance
        if not household.pk:
            return producer_services.household_create(**arguments)
        # Keep memberships in subjects this user cannot see (another cooperative's).
        hidden = MarketSubject.objects.filter(memberships__household=household).exclude(
            pk__in=market_subjects_visible_to(user).values("pk")
        )
        arguments["market_subjects"] = arguments["market_subjects"] + list(hidden)
        return producer_services.household_update(household=household, **arguments)

    def extra_list_context(self, user):
        if not user.has_perms(self.find_permissions()):
            return {}
        return {"find_url": reverse("backoffice:household-find"), "find_form": HouseholdFindForm()}
