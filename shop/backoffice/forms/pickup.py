"""Forms of the pickup-point screens: signing for a wave (the temperature of a
cold-chain wave) and the hand-over (the 6-digit code, the payment taken)."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class WaveReceiveForm(forms.Form):
    temperature = forms.DecimalField(
        label=_("到货温度（℃）"), required=False, max_digits=4, decimal_places=1,
        min_value=Decimal("-40"), max_value=Decimal("60"),
    )


class HandOverForm(forms.Form):
    """What the confirm button posts; whether the code opens an order is for
    ``order_hand_over`` to say."""

    code = forms.CharField(label=_("取货码"), max_length=12)
    payment_collected = forms.BooleanField(label=_("已收款"), required=False)
    amount_expected = forms.DecimalField(required=False, max_digits=12, decimal_places=2, widget=forms.HiddenInput)
