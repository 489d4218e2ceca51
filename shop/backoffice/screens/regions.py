from django.utils.translation import gettext_lazy as _

from shop.regions.models import City, County, ServicePoint, Township, Village

from ..access import user_sees_all
from ..crud import Column, Screen
from ..forms import filters
from ..forms.regions import CityForm, CountyForm, ServicePointForm, TownshipForm, VillageForm


class CityScreen(Screen):
    model = City
    name = "city"
    path = "cities"
    icon = "fas fa-city"
    form_class = CityForm
    search_fields = ("name", "name_en", "code")
    list_columns = (
        Column(_("行政区划代码"), "code"),
        Column(_("名称"), "name", link=True),
        Column(_("英文名"), "name_en"),
    )
    detail_fields = list_columns


class CountyScreen(Screen):
    model = County
    name = "county"
    path = "counties"
    form_class = CountyForm
    filter_form_class = filters.CountyFilterForm
    search_fields = ("name", "name_en", "code")
    select_related = ("city",)
    list_columns = (
        Column(_("行政区划代码"), "code"),
        Column(_("名称"), "name", link=True),
        Column(_("地级市"), "city.name"),
        Column(_("电子商务进农村综合示范县"), "is_demonstration_county"),
    )
    detail_fields = list_columns + (Column(_("英文名"), "name_en"),)


class TownshipScreen(Screen):
    model = Township
    name = "township"
    path = "townships"
    form_class = TownshipForm
    filter_form_class = filters.TownshipFilterForm
    search_fields = ("name", "code")
    select_related = ("county__city",)
    list_columns = (
        Column(_("行政区划代码"), "code"),
        Column(_("名称"), "name", link=True),
        Column(_("县（市、区）"), "county.name"),
        Column(_("地级市"), "county.city.name"),
    )
    detail_fields = list_columns


class VillageScreen(Screen):
    model = Village
    name = "village"
    path = "villages"
    form_class = VillageForm
    filter_form_class = filters.VillageFilterForm
    search_fields = ("name", "code")
    select_related = ("township__county__city",)
    list_columns = (
        Column(_("行政区划代码"), "code"),
        Column(_("名称"), "name", link=True),
        Column(_("乡镇"), "township.name"),
        Column(_("县（市、区）"), "township.county.name"),
        Column(_("地级市"), "township.county.city.name"),
        Column(_("省定贫困村"), "is_provincial_poor_village"),
    )
    detail_fields = list_columns


def _staff_accounts(point):
    return "、".join(user.email or user.get_username() for user in point.staff.all())


class ServicePointScreen(Screen):
    model = ServicePoint
    name = "service-point"
    path = "service-points"
    form_class = ServicePointForm
    filter_form_class = filters.ServicePointFilterForm
    search_fields = ("name", "code", "address", "community")
    select_related = ("county__city", "township", "village")
    prefetch_related = ("staff",)
    ordering = ("county__code", "kind", "name", "pk")
    list_columns = (
        Column(_("编号"), "code"),
        Column(_("名称"), "name", link=True),
        Column(_("类型"), "get_kind_display"),
        Column(_("所在县（市、区）"), "county.name"),
        Column(_("地址"), "address"),
        Column(_("营业时间"), "opening_hours"),
        Column(_("冷藏"), "has_cold_storage"),
        Column(_("启用"), "is_active"),
        Column(_("工作人员账号"), _staff_accounts),
    )
    detail_fields = (
        Column(_("编号"), "code"),
        Column(_("名称"), "name"),
        Column(_("类型"), "get_kind_display"),
        Column(_("所在县（市、区）"), "county.name"),
        Column(_("所在乡镇"), "township.name"),
        Column(_("所在行政村"), "village.name"),
        Column(_("社区"), "community"),
        Column(_("地址"), "address"),
        Column(_("营业时间"), "opening_hours"),
        Column(_("冷藏"), "has_cold_storage"),
        Column(_("启用"), "is_active"),
        Column(_("工作人员账号"), _staff_accounts),
    )

    def scope(self, queryset, user):
        # Pickup-point staff see only the points that list them.
        return queryset if user_sees_all(user) else queryset.filter(staff=user)
