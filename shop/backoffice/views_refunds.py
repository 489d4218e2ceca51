"""The refund page of an order: the lines with what is left to refund, a
partial refund by units or a full refund of everything left."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic
from oscar.core.loading import get_model

from shop.payments.models import OnlinePayment
from shop.payments.refunds import RefundRefused, order_refund, refundable_quantities, refunded_amount
from shop.payments.services import PaymentError

from .views import ScreenViewMixin

Order = get_model("order", "Order")


class OrderRefundView(ScreenViewMixin, generic.TemplateView):
    def prepare(self):
        self.order = get_object_or_404(Order, number=self.kwargs["number"])

    def get_template_names(self):
        return [self.screen.template]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        left = refundable_quantities(order=self.order)
        context.update(
            order=self.order,
            lines=[(line, left[line.pk]) for line in self.order.lines.order_by("pk")],
            refunded=refunded_amount(order=self.order),
            payment=OnlinePayment.objects.filter(order=self.order).first(),
            order_url=reverse("dashboard:order-detail", kwargs={"number": self.order.number}),
        )
        return context

    def post(self, request, *args, **kwargs):
        reason = request.POST.get("reason", "").strip() or _("后台退款")
        if request.POST.get("full"):
            quantities = None
        else:
            quantities = {}
            for line in self.order.lines.all():
                value = request.POST.get(f"line_{line.pk}", "").strip() or "0"
                if not value.isdigit():
                    messages.error(request, _("退款数量必须是非负整数"))
                    return self.get(request, *args, **kwargs)
                quantities[line.pk] = int(value)
        try:
            result = order_refund(order=self.order, line_quantities=quantities, reason=reason, user=request.user)
        except (RefundRefused, PaymentError) as exc:
            messages.error(request, str(exc))
            return self.get(request, *args, **kwargs)
        messages.success(request, _("已退款 ¥%(amount)s") % {"amount": f"{result.amount:.2f}"})
        return redirect(self.screen_url())

    def screen_url(self):
        return reverse("backoffice:order-refund", kwargs={"number": self.order.number})
