"""The customer's online payment pages: pay (card form / wallet hand-off), the
card charge, the return URL, a status poll and "cancel, back to the basket".

A payment is visible to its user, or to the session that started it (guests)."""
from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import purposes, services
from .models import OnlinePayment, PaymentMethodCode, PaymentPurpose

SESSION_KEY = "online_payments"


def payment_remember(request, payment):
    refs = request.session.get(SESSION_KEY, [])
    refs.append(str(payment.reference))
    request.session[SESSION_KEY] = refs[-20:]


def _payment_for(request, reference):
    payment = get_object_or_404(OnlinePayment.objects.select_related("order"), reference=reference)
    if payment.user_id is not None:
        if not request.user.is_authenticated or request.user.pk != payment.user_id:
            raise Http404
    elif str(payment.reference) not in request.session.get(SESSION_KEY, []):
        raise Http404
    return payment


def _is_done(payment):
    """An order payment is done when its order is placed; another (a pre-sale
    deposit or balance, a pledge) once it is paid: its app says what follows."""
    if payment.purpose == PaymentPurpose.ORDER:
        return payment.order_id is not None
    return payment.is_paid


def _done_url(request, payment):
    if payment.purpose != PaymentPurpose.ORDER:
        return purposes.page_url(payment) or "/"
    request.session["checkout_order_id"] = payment.order_id
    return reverse("checkout:thank-you")


def _return_url(request, payment):
    return request.build_absolute_uri(reverse("payments:return", args=[payment.reference]))


def wallet_redirect_url(next_action):
    """Where the wallet wants the customer: Alipay's ``alipay_handle_redirect``,
    or a plain ``redirect_to_url`` (None for WeChat Pay's QR code)."""
    for kind in ("alipay_handle_redirect", "redirect_to_url"):
        url = (next_action.get(kind) or {}).get("url")
        if url:
            return url
    return None


def pay(request, reference):
    payment = _payment_for(request, reference)
    if _is_done(payment):
        return redirect(_done_url(request, payment))
    context = {"payment": payment, "stripe_js_url": settings.STRIPE_JS_URL,
               "publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "next_action": None}
    if payment.status in (payment.Status.CANCELED, payment.Status.FAILED) and payment.method != PaymentMethodCode.CARD:
        context["error"] = _("支付未完成，请返回购物车重新结算")
    elif payment.method != PaymentMethodCode.CARD and request.method == "POST":
        try:
            intent = services.payment_intent_ensure(payment=payment, return_url=_return_url(request, payment))
        except services.PaymentError as exc:
            context["error"] = str(exc)
        else:
            payment = services.payment_observe_intent(payment=payment, intent=intent)
            if _is_done(payment):
                return redirect(_done_url(request, payment))
            next_action = (intent.to_dict().get("next_action") or {})
            redirect_url = wallet_redirect_url(next_action)
            if redirect_url:
                return redirect(redirect_url)
            context["next_action"] = next_action
    return render(request, "payments/pay.html", context)


@require_POST
def pay_card(request, reference):
    payment = _payment_for(request, reference)
    if payment.method != PaymentMethodCode.CARD:
        raise Http404
    if _is_done(payment):
        return JsonResponse({"redirect": _done_url(request, payment)})
    card = request.POST.get("card", "")
    if not payment.intent_id and not card.startswith(("card_", "pm_")):
        return JsonResponse({"error": _("请填写完整的银行卡信息")}, status=400)
    try:
        intent = services.payment_intent_ensure(payment=payment, card=card)
    except services.PaymentError as exc:
        return JsonResponse({"error": str(exc)}, status=402)
    payment = services.payment_observe_intent(payment=payment, intent=intent)
    if _is_done(payment):
        return JsonResponse({"redirect": _done_url(request, payment)})
    if payment.status == payment.Status.REQUIRES_ACTION:
        return JsonResponse({"client_secret": payment.client_secret})
    if payment.is_paid:
        return JsonResponse({"error": payment.problem or _("支付成功，但订单未能生成，款项将全额退回")}, status=409)
    return JsonResponse({"poll": reverse("payments:status", args=[payment.reference])})


def pay_return(request, reference):
    payment = _payment_for(request, reference)
    if not _is_done(payment):
        payment = services.payment_sync(payment=payment)
    if _is_done(payment):
        return redirect(_done_url(request, payment))
    if payment.status in (payment.Status.FAILED, payment.Status.CANCELED):
        messages.error(request, _("支付未成功，您可以重新支付或返回购物车"))
        return redirect("payments:pay", reference=payment.reference)
    return render(request, "payments/pay.html", {"payment": payment, "waiting": True})


def pay_status(request, reference):
    payment = _payment_for(request, reference)
    if not _is_done(payment) and payment.intent_id:
        payment = services.payment_sync(payment=payment)
    body = {"status": payment.status, "label": payment.get_status_display()}
    if _is_done(payment):
        body["redirect"] = _done_url(request, payment)
    if payment.problem:
        body["problem"] = payment.problem
    return JsonResponse(body)


@require_POST
def pay_cancel(request, reference):
    payment = _payment_for(request, reference)
    payment = services.payment_abandon(payment=payment)
    if _is_done(payment):
        return redirect(_done_url(request, payment))
    if payment.purpose != PaymentPurpose.ORDER:
        messages.info(request, _("已取消支付"))
        return redirect(_done_url(request, payment))
    basket = payment.basket
    if basket is not None and request.basket.id != basket.id:
        if request.basket.id:
            basket.merge(request.basket)
        request.basket = basket
        if not request.user.is_authenticated:
            request.cookies_to_delete = [*getattr(request, "cookies_to_delete", []), settings.OSCAR_BASKET_COOKIE_OPEN]
    messages.info(request, _("已取消支付，商品已放回购物车"))
    return redirect("basket:summary")
