"""Views of the pickup point (自提点工作台): waves coming in and signing for them,
the orders waiting, one order, and the hand-over page (type or scan the code,
check the order and the amount due, confirm). Writes go through
``shop.fulfilment.pickup``; scoping comes from the screen (``PickupScreen``)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import generic
from oscar.core.loading import get_model

from shop.fulfilment import pickup, pickup_selectors, wave_selectors
from shop.fulfilment.models import DeliveryWave
from shop.fulfilment.statuses import READY_FOR_PICKUP

from .forms.pickup import HandOverForm, WaveReceiveForm
from .views import ScreenViewMixin

ShippingEvent = get_model("order", "ShippingEvent")

SESSION_POINT = "backoffice_pickup_point"


class _PickupView(ScreenViewMixin, generic.TemplateView):
    template_name = None

    def get_template_names(self):
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        screen = self.screen
        context.update({
            "nav": {action.replace("-", "_"): screen.url(action)
                    for action in ("wave-list", "order-list", "hand-over")},
            "active": self.action.replace("-", "_"),
        })
        return context


class PickupWaveListView(_PickupView):
    template_name = "backoffice/pickup/wave_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        points = self.screen.points(self.request.user)
        can_receive = self.screen.can(self.request.user, "wave-receive")
        context.update({
            "points": list(points),
            "incoming": [{"wave": wave, "receive_url": self.screen.url("wave-receive", wave) if can_receive else None,
                          "detail_url": self.screen.url("wave-detail", wave)}
                         for wave in pickup_selectors.incoming_waves(points)],
            "received": [{"wave": wave, "detail_url": self.screen.url("wave-detail", wave)}
                         for wave in pickup_selectors.received_waves(points)],
        })
        return context


class PickupWaveDetailView(_PickupView):
    """A wave's orders and the lines it carries (its cooperative's), recipients masked."""

    template_name = "backoffice/pickup/wave_detail.html"

    def prepare(self):
        self.wave = self.screen.wave(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        wave = self.wave
        context.update({
            "wave": wave,
            "manifest": wave_selectors.wave_manifest(wave=wave),
            "receive_url": (self.screen.url("wave-receive", wave)
                            if wave.status == DeliveryWave.Status.SHIPPED and self.screen.can(self.request.user,
                                                                                                "wave-receive")
                            else None),
        })
        return context


class PickupWaveReceiveView(ScreenViewMixin, generic.View):
    """POST: sign for the wave (with the temperature of a cold-chain wave)."""

    http_method_names = ["post"]

    def prepare(self):
        self.wave = self.screen.wave(self.request.user, self.kwargs["pk"])

    def post(self, request, *args, **kwargs):
        back = self.screen.url("wave-list")
        form = WaveReceiveForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        try:
            wave = pickup.wave_receive(wave=self.wave, user=request.user,
                                       temperature=form.cleaned_data["temperature"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(back)
        ready = wave.wave_orders.filter(order__status=READY_FOR_PICKUP).count()
        messages.success(request, _("波次 %(code)s 已签收；%(count)d 个订单已通知顾客取货") % {
            "code": wave.code, "count": ready})
        return redirect(back)


class PickupOrderListView(_PickupView):
    template_name = "backoffice/pickup/order_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        points = self.screen.points(self.request.user)
        context.update({
            "points": list(points),
            "orders": [{"order": row, "detail_url": self.screen.url("order-detail", number=row.number)}
                       for row in pickup_selectors.orders_waiting(points)],
        })
        return context


class PickupOrderDetailView(_PickupView):
    template_name = "backoffice/pickup/order_detail.html"

    def prepare(self):
        self.pickup = self.screen.pickup(self.request.user, self.kwargs["number"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.pickup.order
        context.update({
            "pickup": self.pickup,
            "summary": pickup_selectors.hand_over_summary(self.pickup),
            "events": ShippingEvent.objects.filter(order=order).select_related("event_type").order_by("date_created",
                                                                                                         "pk"),
        })
        return context


class HandOverView(_PickupView):
    """GET: the code input (typed, scanned, or prefilled from the customer's QR:
    ``?code=``); with a code, the order and the amount due. POST: hand over."""

    template_name = "backoffice/pickup/hand_over.html"

    def prepare(self):
        user, request = self.request.user, self.request
        self.points = list(self.screen.points(user))
        value = request.POST.get("point") if request.method == "POST" else request.GET.get("point")
        if value:
            self.point = self.screen.point_from(user, value)
            request.session[SESSION_POINT] = self.point.pk
        else:
            remembered = request.session.get(SESSION_POINT)
            self.point = next((p for p in self.points if p.pk == remembered), self.points[0] if self.points else None)

    def get(self, request, *args, **kwargs):
        code = pickup_selectors.code_normalise(request.GET.get("code", ""))
        context = {"code": code}
        if code and self.point is not None:
            try:
                found = pickup.pickup_for_code(service_point=self.point, code=code, user=request.user)
            except ValidationError as error:
                context["error"] = " ".join(error.messages)
            else:
                context["summary"] = pickup_selectors.hand_over_summary(found)
        return self.render_to_response(self.get_context_data(**context))

    def post(self, request, *args, **kwargs):
        form = HandOverForm(request.POST)
        if self.point is None or not form.is_valid():
            return self.render_to_response(self.get_context_data(error=_("请输入 6 位取货码")))
        data = form.cleaned_data
        code = pickup_selectors.code_normalise(data["code"])
        try:
            done = pickup.order_hand_over(
                service_point=self.point, code=code, user=request.user,
                payment_collected=data["payment_collected"], amount_expected=data["amount_expected"],
            )
        except ValidationError as error:
            context = {"code": code, "error": " ".join(error.messages)}
            if isinstance(error, pickup.PaymentNotCollected):
                found = pickup_selectors.open_pickup_for_code(service_point=self.point, code=code)
                if found is not None:
                    context["summary"] = pickup_selectors.hand_over_summary(found)
            return self.render_to_response(self.get_context_data(**context))
        messages.success(request, _("订单 %(number)s 已交付顾客") % {"number": done.order.number})
        return redirect(f"{self.screen.url('hand-over')}?point={self.point.pk}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"points": self.points, "point": self.point})
        return context
