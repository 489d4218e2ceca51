"""The customer's pre-sale pages: buy (pickup point, quantity, online method →
the payment page), their pre-sale orders, one order (its state, the deposit
rule, the balance window and the balance payment). Writes go through
``services``; a signed-in customer sees only their own orders (another's → 404)."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shop.fulfilment.selectors import pickup_point_options
from shop.payments import gateway
from shop.payments.views import payment_remember

from . import jobs, selectors, services
from .forms import BalancePayForm, PreSaleBuyForm
from .models import PreSale
from .rules import deposit_rule


def _login_first(request):
    return redirect(f"{reverse('customer:login')}?next={request.get_full_path()}")


def buy(request, pk):
    presale = get_object_or_404(PreSale.objects.select_related("product"), pk=pk,
                                status__in=(PreSale.Status.PUBLISHED, PreSale.Status.CANCELLED))
    if not request.user.is_authenticated:
        return _login_first(request)
    methods = gateway.online_methods_enabled()
    cold = selectors.presale_requires_cold_storage(presale)
    form = PreSaleBuyForm(request.POST or None, presale=presale, methods=methods, requires_cold_storage=cold,
                          initial={"recipient_name": request.user.get_full_name()})
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.purchase_start(presale=presale, user=request.user, request=services.PurchaseRequest(
                quantity=data["quantity"], service_point=data["service_point"], recipient_name=data["recipient_name"],
                recipient_phone=data["recipient_phone"], method=data["payment_method"]))
        except services.PreSaleError as exc:
            error = str(exc)
        else:
            payment_remember(request, payment)
            return redirect("payments:pay", reference=payment.reference)
    presale.refresh_from_db()
    context = {
        "presale": presale, "product": presale.product, "form": form, "error": error, "methods": methods,
        "state": presale.state_at(), "deposit_rule": deposit_rule(presale), "requires_cold_storage": cold,
        "pickup_cities": pickup_point_options(requires_cold_storage=cold),
        "selected_service_point_id": str(form["service_point"].value() or ""),
    }
    return render(request, "presale/buy.html", context, status=400 if error or form.errors else 200)


def order_list(request):
    if not request.user.is_authenticated:
        return _login_first(request)
    return render(request, "presale/order_list.html", {"orders": selectors.presale_orders_of(request.user)})


def _order_for(request, number):
    presale_order = selectors.presale_order_of(request.user, number)
    if presale_order is None:
        raise Http404
    return jobs.order_deadline_check(presale_order)


def order_detail(request, number):
    if not request.user.is_authenticated:
        return _login_first(request)
    presale_order = _order_for(request, number)
    methods = gateway.online_methods_enabled()
    window = services.balance_window_state(presale_order)
    context = {
        "presale_order": presale_order, "presale": presale_order.presale, "window": window, "methods": methods,
        "balance_form": BalancePayForm(methods=methods)
        if presale_order.status == presale_order.Status.BALANCE_DUE and window == "open" and methods else None,
        "now": timezone.now(),
    }
    return render(request, "presale/order_detail.html", context)


@require_POST
def balance_pay(request, number):
    if not request.user.is_authenticated:
        return _login_first(request)
    presale_order = _order_for(request, number)
    form = BalancePayForm(request.POST, methods=gateway.online_methods_enabled())
    detail = reverse("presale:order-detail", kwargs={"number": number})
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(detail)
    try:
        payment = services.balance_payment_start(presale_order=presale_order, user=request.user,
                                                 method=form.cleaned_data["payment_method"])
    except services.PreSaleError as exc:
        messages.error(request, str(exc))
        return redirect(detail)
    payment_remember(request, payment)
    return redirect("payments:pay", reference=payment.reference)
