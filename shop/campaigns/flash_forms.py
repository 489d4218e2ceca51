from django import forms
from django.utils.translation import gettext_lazy as _

from shop.checkout.forms import RecipientCleaning
from shop.fulfilment.selectors import pickup_points_active

from .models import CampaignProduct


class FlashPurchaseForm(RecipientCleaning, forms.Form):
    """立即抢购: which campaign product, how many, where to collect, who collects."""

    item = forms.ModelChoiceField(
        queryset=CampaignProduct.objects.select_related("campaign", "product"),
        widget=forms.HiddenInput, error_messages={"invalid_choice": _("该活动商品不存在")},
    )
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=99, initial=1,
                                  error_messages={"min_value": _("请选择购买数量"),
                                                  "max_value": _("单次最多购买 %(limit_value)d 件")})
    service_point = forms.ModelChoiceField(
        label=_("自提点"), queryset=None, empty_label=_("请选择自提点"),
        error_messages={"required": _("请选择一个自提点"), "invalid_choice": _("请选择列表中的自提点")},
    )
    recipient_name = forms.CharField(label=_("收货人姓名"), max_length=64,
                                     error_messages={"required": _("请填写收货人姓名")})
    recipient_phone = forms.CharField(label=_("收货人手机号"), max_length=20,
                                      error_messages={"required": _("请填写收货人手机号")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_point"].queryset = pickup_points_active()

