"""Storefront pages of crowdfunding: the project list, a project's page (progress,
backers, tiers, households by alias, updates, countdown, the pledge form), and a
pledge's page where the backer saves a card (Stripe SetupIntent) or pays with a
wallet. A pledge is visible to its backer only. Without Stripe keys no online
pledge is offered, and the page says so."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shop.payments import services as payment_services
from shop.payments.models import PaymentMethodCode
from shop.payments.views import wallet_redirect_url

from . import selectors, services
from .forms import PledgeForm
from .models import Pledge


def project_list(request):
    projects = list(selectors.projects_public())
    rows = [{"project": project, "progress": selectors.progress_of(project)} for project in projects]
    return render(request, "crowdfunding/project_list.html", {"rows": rows, "now": timezone.now()})


def _project_context(request, project, form=None):
    now = timezone.now()
    methods = services.pledge_methods()
    is_open = services.pledging_open(project, now)
    if form is None and is_open and methods and request.user.is_authenticated:
        form = PledgeForm(project=project, methods=methods, initial={
            "recipient_name": request.user.get_full_name()})
    return {
        "project": project,
        "progress": selectors.progress_of(project),
        "tiers": selectors.tier_offers(project, now),
        "households": selectors.public_households(project),
        "updates": project.updates.filter(published_at__lte=now).order_by("-published_at", "-pk"),
        "remaining_seconds": selectors.remaining_seconds(project, now),
        "is_open": is_open,
        "online_methods": methods,
        "form": form,
        "my_pledges": list(selectors.pledges_of(user=request.user, project=project))
        if request.user.is_authenticated else [],
    }


def project_detail(request, slug):
    project = selectors.project_public(slug=slug)
    if project is None:
        raise Http404(_("没有这个众筹项目"))
    return render(request, "crowdfunding/project_detail.html", _project_context(request, project))


@login_required
@require_POST
def pledge_create(request, slug):
    project = selectors.project_public(slug=slug)
    if project is None:
        raise Http404(_("没有这个众筹项目"))
    methods = services.pledge_methods()
    form = PledgeForm(request.POST, project=project, methods=methods)
    if form.is_valid():
        data = form.cleaned_data
        try:
            delivery = services.pickup_choice(project=project, service_point=data["service_point"],
                                              recipient_name=data["recipient_name"],
                                              recipient_phone=data["recipient_phone"])
            pledge = services.pledge_start(project=project, tier=data["tier"], user=request.user,
                                           method=data["method"], delivery=delivery)
        except services.PledgeRefused as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            return redirect(pledge.get_absolute_url())
    context = _project_context(request, project, form=form)
    return render(request, "crowdfunding/project_detail.html", context, status=400)


def _pledge_for(request, reference):
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(Pledge.objects.select_related("project", "tier", "payment", "order"),
                             reference=reference, user=request.user)


def _return_url(request, pledge):
    return request.build_absolute_uri(reverse("crowdfunding:pledge-return", args=[pledge.reference]))


@login_required
def pledge_detail(request, reference):
    pledge = _pledge_for(request, reference)
    context = {"pledge": pledge, "project": pledge.project, "next_action": None,
               "stripe_js_url": settings.STRIPE_JS_URL, "publishable_key": settings.STRIPE_PUBLISHABLE_KEY}
    if pledge.state == Pledge.State.PENDING:
        if pledge.method == Pledge.Method.CARD:
            try:
                context["client_secret"] = services.pledge_card_setup_ensure(pledge=pledge)
            except payment_services.PaymentError as exc:
                context["error"] = str(exc)
        elif request.method == "POST":
            try:
                intent = payment_services.payment_intent_ensure(payment=pledge.payment,
                                                                return_url=_return_url(request, pledge))
            except payment_services.PaymentError as exc:
                context["error"] = str(exc)
            else:
                payment_services.payment_observe_intent(payment=pledge.payment, intent=intent)
                pledge.refresh_from_db()
                if pledge.state != Pledge.State.PENDING:
                    return redirect(pledge.get_absolute_url())
                next_action = intent.to_dict().get("next_action") or {}
                redirect_url = wallet_redirect_url(next_action)
                if redirect_url:
                    return redirect(redirect_url)
                context["next_action"] = next_action
    return render(request, "crowdfunding/pledge_detail.html", context)


@login_required
@require_POST
def pledge_card(request, reference):
    """After Stripe.js confirmed the SetupIntent in the browser: ask Stripe, record the saved card."""
    pledge = _pledge_for(request, reference)
    if pledge.method != PaymentMethodCode.CARD:
        raise Http404
    try:
        pledge = services.pledge_card_sync(pledge=pledge)
    except payment_services.gateway.stripe.StripeError:
        return JsonResponse({"error": _("暂时无法确认绑卡结果，请稍后刷新页面")}, status=502)
    if pledge.state == Pledge.State.CARD_SAVED:
        messages.success(request, _("银行卡已保存：众筹成功后才会扣款 ¥%(amount)s，未成功不扣款") % {
            "amount": pledge.amount})
        return JsonResponse({"redirect": pledge.get_absolute_url()})
    return JsonResponse({"error": _("银行卡尚未保存成功，请重试")}, status=402)


@login_required
def pledge_return(request, reference):
    pledge = _pledge_for(request, reference)
    if pledge.payment_id and pledge.state == Pledge.State.PENDING:
        payment_services.payment_sync(payment=pledge.payment)
    return redirect(pledge.get_absolute_url())


@login_required
def pledge_status(request, reference):
    pledge = _pledge_for(request, reference)
    if pledge.payment_id and pledge.state == Pledge.State.PENDING and pledge.payment.intent_id:
        payment_services.payment_sync(payment=pledge.payment)
        pledge.refresh_from_db()
    body = {"status": pledge.state, "label": pledge.get_state_display()}
    if pledge.state != Pledge.State.PENDING:
        body["redirect"] = pledge.get_absolute_url()
    return JsonResponse(body)


@login_required
@require_POST
def pledge_cancel(request, reference):
    pledge = services.pledge_abandon(pledge=_pledge_for(request, reference))
    if pledge.state == Pledge.State.CANCELED:
        messages.info(request, _("已取消这次支持"))
    return redirect(pledge.project.get_absolute_url())
