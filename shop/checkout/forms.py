from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class

from shop.fulfilment.selectors import pickup_point_unavailable_reason, pickup_points_active
from shop.fulfilment.services import InvalidRecipient, recipient_phone_normalise


class PickupPointForm(forms.Form):
    """Pickup point plus the person collecting. The point list is rendered by the
    template (grouped by city and district); this form is what the server trusts."""

    service_point = forms.ModelChoiceField(
        label=_("自提点"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择一个自提点"),
            "invalid_choice": _("请选择列表中的自提点"),
        },
    )
    recipient_name = forms.CharField(
        label=_("收货人姓名"), max_length=64, error_messages={"required": _("请填写收货人姓名")}
    )
    recipient_phone = forms.CharField(
        label=_("收货人手机号"),
        max_length=20,
        help_text=_("取货时核对身份用，不会公开。"),
        error_messages={"required": _("请填写收货人手机号")},
    )

    def __init__(self, *args, requires_cold_storage, **kwargs):
        super().__init__(*args, **kwargs)
        self.requires_cold_storage = requires_cold_storage
        self.fields["service_point"].queryset = pickup_points_active()

    def clean_service_point(self):
        point = self.cleaned_data["service_point"]
        reason = pickup_point_unavailable_reason(service_point=point, requires_cold_storage=self.requires_cold_storage)
        if reason:
            raise forms.ValidationError(_("%(point)s：%(reason)s") % {"point": point.name, "reason": reason})
        return point

    def clean_recipient_phone(self):
        try:
            return recipient_phone_normalise(self.cleaned_data["recipient_phone"])
        except InvalidRecipient as exc:
            raise forms.ValidationError(str(exc)) from exc


OscarGatewayForm = get_class("checkout.forms", "GatewayForm")


class GatewayForm(OscarGatewayForm):
    """Oscar's gateway (guest / new account / sign in). The password is only needed
    to sign in, and the server checks that; without this the browser's own
    validation of `required` blocks a guest from continuing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.use_required_attribute = lambda initial: False
