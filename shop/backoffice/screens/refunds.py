"""Order refunds (退款), full or partial by units, from the dashboard. Staff with
Oscar's ``order.change_order`` permission only; the money goes back through
``shop.payments.refunds.order_refund``, which also reverses the attribution ledger."""
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from ..crud import Screen

Order = get_model("order", "Order")


class OrderRefundScreen(Screen):
    model = Order
    name = "order-refund"
    path = "orders"
    icon = "fas fa-undo"
    actions = ()
    template = "backoffice/orders/refund.html"

    @property
    def verbose_name_plural(self):
        return _("订单退款")

    def url_name(self, action: str) -> str:
        return self.name

    def url(self, action: str, obj=None) -> str:
        if obj is None:
            return reverse("dashboard:order-list")
        return reverse(f"backoffice:{self.name}", kwargs={"number": obj.number})

    def required_permissions(self, action: str) -> list[str]:
        return ["order.change_order"]

    def permissions_map(self):
        return {self.name: self.required_permissions("refund")}

    def get_urls(self):
        from ..views_refunds import OrderRefundView

        return [path(f"{self.path}/<str:number>/refund/", OrderRefundView.as_view(screen=self, action="refund"),
                     name=self.name)]
