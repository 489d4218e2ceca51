"""Views of delivery waves beyond the generic list: a new wave from the orders
waiting at a pickup point, a wave's detail with its orders and this
cooperative's lines, shipping it, and the printable manifest and packing list.
Writes go through ``shop.fulfilment.waves``; scoping comes from the screen."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from shop.fulfilment import wave_selectors, waves
from shop.regions.models import ServicePoint

from .forms.base import fields_with_out_of_scope_choices
from .forms.waves import WaveCreateForm, WaveShipForm
from .views import ObjectDetailView, ScreenViewMixin, security_log


def _add_errors(form, error):
    by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    for field, errors in by_field.items():
        form.add_error(field if field in form.fields else None, errors)


class WaveCreateView(ScreenViewMixin, generic.FormView):
    """Pick a pickup point from the orders waiting, then the delivery date and
    the orders (all preselected); ``wave_create`` packs them."""

    def get_template_names(self):
        return [self.screen.form_template]

    def _value(self, post_name, get_name):
        if self.request.method == "POST":
            return self.request.POST.get(post_name)
        return self.request.GET.get(get_name)

    def prepare(self):
        user = self.request.user
        self.partner = self.screen.partner_from(user, self._value("partner", "partner"))
        point = self._value("service_point", "point")
        self.point = None
        if self.partner is not None and point and str(point).isdigit():
            self.point = ServicePoint.objects.filter(kind__in=ServicePoint.URBAN_KINDS, pk=point).first()
        self.rows = (wave_selectors.candidate_orders(partner=self.partner, service_point=self.point)
                     if self.point is not None else [])

    def get_form(self, form_class=None):
        initial = {"partner": self.partner, "service_point": self.point, "orders": [row.order for row in self.rows]}
        data = self.request.POST if self.request.method == "POST" else None
        return WaveCreateForm(data, partners=self.screen.partners(self.request.user), partner=self.partner,
                              initial=initial)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        if form.is_bound:
            selected = {value for value in self.request.POST.getlist("orders")}
        else:
            selected = {str(row.order.pk) for row in self.rows}
        candidates = self.screen.candidates(self.request.user)
        if self.partner is not None:
            candidates = [row for row in candidates if row["candidate"].partner.pk == self.partner.pk]
        context.update({
            "partner": self.partner, "point": self.point, "rows": self.rows, "selected": selected,
            "candidates": candidates,
        })
        return context

    def form_invalid(self, form):
        tampered = fields_with_out_of_scope_choices(form)
        if tampered:
            security_log.warning("Out-of-scope choice refused: user=%s view=%s fields=%s",
                                 self.request.user.pk, self.screen.url_name(self.action), ",".join(tampered))
            raise PermissionDenied
        return super().form_invalid(form)

    def form_valid(self, form):
        try:
            wave = waves.wave_create(**form.service_arguments(), user=self.request.user)
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已创建配送波次 %(code)s：%(count)d 个订单") % {
            "code": wave.code, "count": wave.wave_orders.count()})
        return redirect(self.screen.url("detail", wave))


class WaveDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        wave, user, screen = self.object, self.request.user, self.screen
        context.update({
            "manifest": wave_selectors.wave_manifest(wave=wave),
            "packing_list": wave_selectors.wave_packing_list(wave=wave),
            "manifest_url": screen.action_url("manifest", wave),
            "packing_list_url": screen.action_url("packing-list", wave),
        })
        if screen.can_ship(user, wave):
            context["ship_form"] = WaveShipForm()
            context["ship_url"] = screen.action_url("ship", wave)
        return context


class WaveShipView(ScreenViewMixin, generic.View):
    """POST: mark the wave shipped (with the temperature of a cold-chain wave)."""

    http_method_names = ["post"]

    def prepare(self):
        self.wave = self.screen.get_object(self.request.user, **self.kwargs)

    def post(self, request, *args, **kwargs):
        form = WaveShipForm(request.POST)
        detail_url = self.screen.url("detail", self.wave)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(detail_url)
        try:
            wave = waves.wave_ship(wave=self.wave, user=request.user, temperature=form.cleaned_data["temperature"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(detail_url)
        messages.success(request, _("波次 %(code)s 已发运") % {"code": wave.code})
        return redirect(detail_url)


class _PrintView(ScreenViewMixin, generic.TemplateView):
    def get_template_names(self):
        return [self.template_name]

    def prepare(self):
        self.wave = self.screen.get_object(self.request.user, **self.kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"wave": self.wave, "back_url": self.screen.url("detail", self.wave),
                        "printed_at": timezone.localtime()})
        return context


class WaveManifestView(_PrintView):
    """配送清单: goes with the goods to the pickup point."""

    template_name = "backoffice/waves/manifest.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        manifest = wave_selectors.wave_manifest(wave=self.wave)
        context.update({"manifest": manifest, "item_total": sum(row.item_count for row in manifest)})
        return context


class WavePackingListView(_PrintView):
    """拣货单: what to pick, per product and batch."""

    template_name = "backoffice/waves/packing_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = wave_selectors.wave_packing_list(wave=self.wave)
        context.update({"packing_list": rows, "item_total": sum(row.quantity for row in rows)})
        return context
