"""Views of a pre-sale beyond the generic ones: its detail (orders, figures,
the confirm-harvest and cannot-deliver forms) and the two POST actions, which
go through ``shop.presale.harvest``; scoping comes from the screen."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import generic

from shop.presale import harvest, selectors
from shop.presale.models import PreSaleOrder
from shop.presale.services import PreSaleError

from .forms.base import fields_with_out_of_scope_choices
from .forms.presales import HarvestConfirmForm, PreSaleCancelForm
from .views import ObjectDetailView, ScreenViewMixin, security_log


class PreSaleDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        presale, user, screen = self.object, self.request.user, self.screen
        context.update({
            "orders": PreSaleOrder.objects.filter(presale=presale).exclude(status=PreSaleOrder.Status.EXPIRED)
            .select_related("batch", "order").order_by("created", "pk"),
            "figures": selectors.presale_figures(presale),
            "waiting_count": harvest.orders_waiting_for_harvest(presale).count(),
        })
        if screen.can_confirm(user, presale):
            context["confirm_form"] = HarvestConfirmForm(presale=presale)
            context["confirm_url"] = screen.action_url("confirm-harvest", presale)
        if screen.can_cancel(user, presale):
            context["cancel_form"] = PreSaleCancelForm()
            context["cancel_url"] = screen.action_url("cancel", presale)
        return context


class _PreSaleActionView(ScreenViewMixin, generic.View):
    http_method_names = ["post"]

    def prepare(self):
        self.presale = self.screen.get_object(self.request.user, **self.kwargs)

    def _errors(self, form):
        tampered = fields_with_out_of_scope_choices(form)
        if tampered:
            security_log.warning("Out-of-scope choice refused: user=%s view=%s fields=%s",
                                 self.request.user.pk, self.screen.url_name(self.action), ",".join(tampered))
            raise PermissionDenied
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, error)


class PreSaleHarvestConfirmView(_PreSaleActionView):
    """POST: allocate the orders waiting for the harvest to the chosen batch."""

    def post(self, request, *args, **kwargs):
        detail_url = self.screen.url("detail", self.presale)
        if not self.screen.can_confirm(request.user, self.presale):
            messages.error(request, _("该预售不能确认采收"))
            return redirect(detail_url)
        form = HarvestConfirmForm(request.POST, presale=self.presale)
        if not form.is_valid():
            self._errors(form)
            return redirect(detail_url)
        try:
            result = harvest.harvest_confirm(presale=self.presale, batch=form.cleaned_data["batch"], user=request.user)
        except PreSaleError as exc:
            messages.error(request, str(exc))
            return redirect(detail_url)
        messages.success(request, _("已确认采收（批次 %(code)s）：%(allocated)d 单分配到批次，其中 %(released)d 单已付清、转入待发货；"
                                    "%(left)d 单未能分配") % {
            "code": result.batch.code, "allocated": len(result.allocated), "released": len(result.released),
            "left": len(result.left)})
        return redirect(detail_url)


class PreSaleCancelView(_PreSaleActionView):
    """POST: the seller cannot deliver: cancel the orders left and refund them in full."""

    def post(self, request, *args, **kwargs):
        detail_url = self.screen.url("detail", self.presale)
        form = PreSaleCancelForm(request.POST)
        if not form.is_valid():
            self._errors(form)
            return redirect(detail_url)
        result = harvest.presale_cancel(presale=self.presale, reason=form.cleaned_data["reason"], user=request.user)
        messages.success(request, _("预售已取消：%(count)d 单取消并全额退款，已退款 %(sent)d 笔") % {
            "count": len(result.cancelled), "sent": result.refunds_sent})
        if result.refunds_waiting:
            messages.warning(request, _("%(count)d 笔退款暂未确认，将自动重试（不会重复退款）") % {
                "count": result.refunds_waiting})
        return redirect(detail_url)
