"""The storefront's pledge form: a tier, how to pay, and the pickup point of the reward."""
from django import forms
from django.utils.translation import gettext_lazy as _

from shop.fulfilment.selectors import fresh_product_ids, pickup_point_unavailable_reason
from shop.payments.models import PaymentMethodCode
from shop.regions.models import ServicePoint

METHOD_LABELS = {
    PaymentMethodCode.CARD: _("银行卡：现在只绑卡，众筹成功后才扣款；未成功不扣款"),
    PaymentMethodCode.ALIPAY: _("支付宝：现在付款，众筹未成功自动全额退款"),
    PaymentMethodCode.WECHAT_PAY: _("微信支付：现在付款，众筹未成功自动全额退款"),
}


class TierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, tier):
        return f"{tier.title} · ¥{tier.amount}"


class PointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, point):
        return f"{point.county.city.name} {point.county.name} · {point.name}（{point.address}）"


class PledgeForm(forms.Form):
    tier = TierChoiceField(label=_("回报档位"), queryset=None, widget=forms.RadioSelect, empty_label=None)
    method = forms.ChoiceField(label=_("支付方式"), widget=forms.RadioSelect)
    service_point = PointChoiceField(label=_("回报自提点"), queryset=None, empty_label=_("请选择自提点"))
    recipient_name = forms.CharField(label=_("取货人"), max_length=40)
    recipient_phone = forms.CharField(label=_("手机号"), max_length=20)

    def __init__(self, *args, project, methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["tier"].queryset = project.tiers.order_by("position", "amount", "pk")
        self.fields["method"].choices = [(code, METHOD_LABELS[code]) for code in methods]
        if len(methods) == 1:
            self.fields["method"].initial = methods[0]
        requires_cold = bool(fresh_product_ids(product_ids=[project.product_id]))
        points = ServicePoint.objects.filter(is_active=True, kind__in=ServicePoint.URBAN_KINDS).select_related(
            "county__city").order_by("county__city__code", "county__code", "name")
        usable = [point.pk for point in points
                  if not pickup_point_unavailable_reason(service_point=point, requires_cold_storage=requires_cold)]
        self.fields["service_point"].queryset = points.filter(pk__in=usable)
        if requires_cold:
            self.fields["service_point"].help_text = _("鲜活产品，只列出有冷藏条件的自提点")
