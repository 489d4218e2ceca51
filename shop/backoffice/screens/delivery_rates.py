"""Delivery rates (运费标准): the price of each delivery method by destination city,
first weight and each further kilogram, and the free-delivery threshold. Edited by
administrators and campaign managers (model permissions of fulfilment.DeliveryRate);
nobody else sees them here (customers see the resulting prices at checkout)."""
from django.utils.translation import gettext_lazy as _

from shop.fulfilment.models import DeliveryRate

from ..crud import Column, Screen
from ..forms.delivery_rates import DeliveryRateFilterForm, DeliveryRateForm


def _city(rate):
    return rate.city.name if rate.city_id else _("其他所有城市")


def _free_over(rate):
    return rate.free_over if rate.free_over is not None else _("不包邮")


def _updated_by(rate):
    user = rate.updated_by
    return (user.get_full_name() or user.email or user.get_username()) if user else ""


class DeliveryRateScreen(Screen):
    model = DeliveryRate
    name = "delivery-rate"
    path = "delivery-rates"
    icon = "fas fa-truck"
    section = _("配送与自提")
    form_class = DeliveryRateForm
    filter_form_class = DeliveryRateFilterForm
    search_fields = ("city__name",)
    select_related = ("city", "updated_by")
    ordering = ("method", "city__code", "pk")
    list_columns = (
        Column(_("配送方式"), "get_method_display", link=True),
        Column(_("目的城市"), _city),
        Column(_("首重（千克）"), "first_weight_kg"),
        Column(_("首重价格（元）"), "first_price"),
        Column(_("续重每千克价格（元）"), "additional_kg_price"),
        Column(_("满额包邮（元）"), _free_over),
        Column(_("启用"), "is_active"),
    )
    detail_fields = list_columns + (
        Column(_("更新时间"), "updated"),
        Column(_("更新人"), _updated_by),
    )

    def save(self, *, form, user):
        form.instance.updated_by = user
        return form.save()
