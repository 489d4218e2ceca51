"""Forms of the delivery-rate screen: the list filter and a rate."""
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from shop.fulfilment.models import DeliveryRate

from .base import BackofficeModelForm
from .filters import SearchForm


class DeliveryRateFilterForm(SearchForm):
    method = forms.ChoiceField(label=_("配送方式"), required=False)
    filters = {"method": "method"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [("", _("全部")), *DeliveryRate.Method.choices]


_NOT_NEGATIVE = [MinValueValidator(Decimal("0"), message=_("不能为负数"))]


class DeliveryRateForm(BackofficeModelForm):
    class Meta:
        model = DeliveryRate
        fields = ["method", "city", "first_weight_kg", "first_price", "additional_kg_price", "free_over", "is_active"]
        error_messages = {
            "method": {"required": _("请选择配送方式"), "invalid_choice": _("请选择列表中的配送方式")},
            "city": {"invalid_choice": _("请选择列表中的城市")},
            "first_weight_kg": {"required": _("请填写首重")},
            "first_price": {"required": _("请填写首重价格")},
            "additional_kg_price": {"required": _("请填写续重每千克价格")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].empty_label = _("其他所有城市")
        for name in ("first_weight_kg", "first_price", "additional_kg_price", "free_over"):
            field = self.fields[name]
            field.validators += _NOT_NEGATIVE
            field.error_messages.update({
                "invalid": _("请输入数字"),
                "max_digits": _("数字过大"),
                "max_decimal_places": _("最多保留 %(max)s 位小数"),
                "max_whole_digits": _("数字过大"),
            })
