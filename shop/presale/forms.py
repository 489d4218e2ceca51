"""The pre-sale purchase form: the checkout's pickup-point form (point and
recipient, the same checks: an active urban point, cold storage for fresh
products, an 11-digit mobile number) plus quantity and online method."""
from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from shop.checkout.forms import DeliveryForm
from shop.payments.models import PaymentMethodCode


class PreSaleBuyForm(DeliveryForm):
    quantity = forms.IntegerField(label=_("预订数量（件）"), min_value=1, initial=1,
                                  error_messages={"required": _("请填写预订数量")})
    payment_method = forms.ChoiceField(label=_("付款方式"), widget=forms.RadioSelect,
                                       error_messages={"required": _("请选择付款方式"),
                                                       "invalid_choice": _("请选择可用的付款方式")})

    field_order = ("quantity", "service_point", "recipient_name", "recipient_phone", "payment_method")

    def __init__(self, *args, presale, methods, requires_cold_storage, **kwargs):
        super().__init__(*args, requires_cold_storage=requires_cold_storage, **kwargs)
        for name in ("delivery_method", *self.ADDRESS_FIELDS):
            del self.fields[name]
        self.fields["quantity"].max_value = presale.max_per_order
        self.fields["quantity"].validators.append(MaxValueValidator(presale.max_per_order))
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": presale.max_per_order})
        self.fields["payment_method"].choices = [(code, PaymentMethodCode(code).label) for code in methods]
        if len(methods) == 1:
            self.fields["payment_method"].initial = methods[0]

    def clean(self):
        # A pickup only: none of the home-delivery checks of the checkout form.
        return forms.Form.clean(self)


class BalancePayForm(forms.Form):
    payment_method = forms.ChoiceField(label=_("付款方式"), widget=forms.RadioSelect,
                                       error_messages={"required": _("请选择付款方式"),
                                                       "invalid_choice": _("请选择可用的付款方式")})

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = [(code, PaymentMethodCode(code).label) for code in methods]
        if methods:
            self.fields["payment_method"].initial = methods[0]
