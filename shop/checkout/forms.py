from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class

from shop.fulfilment.selectors import pickup_point_unavailable_reason, pickup_points_active
from shop.fulfilment.services import InvalidRecipient, recipient_phone_normalise
from shop.fulfilment.shipping import HOME_METHODS_BY_CODE, ColdChainDelivery, HomeDelivery
from shop.regions.models import City

from .session import home_method_checkout_reason

PICKUP = "pickup"
DELIVERY_METHOD_CHOICES = (
    (PICKUP, _("自提点 / 提货柜自提")),
    (HomeDelivery.code, HomeDelivery.name),
    (ColdChainDelivery.code, ColdChainDelivery.name),
)


class RecipientCleaning:
    """Cleaning of a form's ``recipient_name`` and ``recipient_phone`` (a mainland mobile)."""

    def clean_recipient_name(self):
        name = self.cleaned_data["recipient_name"].strip()
        if not name:
            raise forms.ValidationError(_("请填写收货人姓名"))
        return name

    def clean_recipient_phone(self):
        try:
            return recipient_phone_normalise(self.cleaned_data["recipient_phone"])
        except InvalidRecipient as exc:
            raise forms.ValidationError(str(exc)) from exc


class DeliveryForm(RecipientCleaning, forms.Form):
    """Step 1: how the order reaches the customer — a pickup point or locker, or
    送货上门 / 冷链到家 to an address — and who receives it. The options (with
    prices and the reasons some are unavailable) are rendered by the template;
    this form is what the server trusts. A POST without ``delivery_method`` is a
    pickup (the pickup-only form of earlier versions)."""

    delivery_method = forms.ChoiceField(
        label=_("配送方式"),
        choices=DELIVERY_METHOD_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("请选择列表中的配送方式")},
    )
    service_point = forms.ModelChoiceField(
        label=_("自提点"),
        queryset=None,
        required=False,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("请选择列表中的自提点")},
    )
    city = forms.ModelChoiceField(
        label=_("城市"),
        queryset=City.objects.order_by("code"),
        required=False,
        empty_label=_("请选择城市"),
        error_messages={"invalid_choice": _("请选择列表中的城市")},
    )
    district = forms.CharField(label=_("区/县"), max_length=32, required=False,
                               error_messages={"max_length": _("区/县最多 %(limit_value)d 个字")})
    street = forms.CharField(
        label=_("详细地址"), max_length=200, required=False, help_text=_("街道、小区、楼栋及门牌号"),
        error_messages={"max_length": _("详细地址最多 %(limit_value)d 个字")},
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

    PICKUP_FIELDS = ("service_point",)
    ADDRESS_FIELDS = ("city", "district", "street")

    def __init__(self, *args, requires_cold_storage, **kwargs):
        super().__init__(*args, **kwargs)
        self.requires_cold_storage = requires_cold_storage
        self.fields["service_point"].queryset = pickup_points_active()

    @property
    def is_pickup(self):
        return self.cleaned_data.get("delivery_method", PICKUP) == PICKUP

    def clean_delivery_method(self):
        return self.cleaned_data["delivery_method"] or PICKUP

    def clean_service_point(self):
        point = self.cleaned_data["service_point"]
        if not self.is_pickup:
            return None
        if point is None:
            raise forms.ValidationError(_("请选择一个自提点"))
        reason = pickup_point_unavailable_reason(service_point=point, requires_cold_storage=self.requires_cold_storage)
        if reason:
            raise forms.ValidationError(_("%(point)s：%(reason)s") % {"point": point.name, "reason": reason})
        return point

    def clean_district(self):
        return self.cleaned_data["district"].strip()

    def clean_street(self):
        return self.cleaned_data["street"].strip()


    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("delivery_method")
        # Only the chosen method's fields count: a stale radio or address left
        # on the page for the other one is no error.
        ignored = self.ADDRESS_FIELDS if method == PICKUP else self.PICKUP_FIELDS
        for name in ignored:
            self._errors.pop(name, None)
        method_class = HOME_METHODS_BY_CODE.get(method)
        if method_class is None:
            return cleaned
        reason = home_method_checkout_reason(
            method_class=method_class, city=None, requires_cold_chain=self.requires_cold_storage
        )
        if reason:
            self.add_error("delivery_method",
                           _("%(method)s：%(reason)s") % {"method": method_class.name, "reason": reason})
        city = cleaned.get("city")
        if city is None and "city" not in self._errors:
            self.add_error("city", _("请选择收货城市"))
        if not cleaned.get("district") and "district" not in self._errors:
            self.add_error("district", _("请填写区/县"))
        if not cleaned.get("street") and "street" not in self._errors:
            self.add_error("street", _("请填写详细地址"))
        if city is not None and not reason:
            city_reason = home_method_checkout_reason(
                method_class=method_class, city=city, requires_cold_chain=self.requires_cold_storage
            )
            if city_reason:
                self.add_error("city", _("%(city)s：%(reason)s") % {"city": city.name, "reason": city_reason})
        return cleaned

    def home_address(self):
        """The address of a valid home-delivery form, as stored in the session."""
        return {
            "city_id": self.cleaned_data["city"].pk,
            "district": self.cleaned_data["district"],
            "street": self.cleaned_data["street"],
        }


OscarGatewayForm = get_class("checkout.forms", "GatewayForm")


class GatewayForm(OscarGatewayForm):
    """Oscar's gateway (guest / new account / sign in). The password is only needed
    to sign in, and the server checks that; without this the browser's own
    validation of `required` blocks a guest from continuing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.use_required_attribute = lambda initial: False
