"""立即抢购 (POST only). An order → the customer's order page; a refusal →
a short page with the reason: 409 for 已抢光 and other refusals, 400 for a form
that does not validate."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .flash import FlashRefused, flash_purchase
from .flash_forms import FlashPurchaseForm


def _refused(request, message, *, status, item=None):
    return render(request, "campaigns/flash_refused.html", {"message": message, "item": item}, status=status)


@require_POST
def flash_buy(request):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('customer:login')}?next={request.META.get('HTTP_REFERER') or '/'}")
    form = FlashPurchaseForm(request.POST)
    if not form.is_valid():
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
        return _refused(request, "；".join(errors), status=400)
    data = form.cleaned_data
    try:
        order = flash_purchase(
            user=request.user, item=data["item"], quantity=data["quantity"], service_point=data["service_point"],
            recipient_name=data["recipient_name"], recipient_phone=data["recipient_phone"],
        )
    except FlashRefused as exc:
        return _refused(request, str(exc), status=409, item=data["item"])
    messages.success(request, _("抢购成功！订单 %(number)s 已提交，请到自提点付款取货。") % {"number": order.number})
    return redirect("customer:order", order_number=order.number)
