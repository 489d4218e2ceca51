"""The pickup point's screens (自提点工作台): the waves coming to my points (sign
for a shipped one), the orders waiting there, and the phone-first hand-over page.

Function-level: Django permissions of the pickup-staff role (``fulfilment``
view/change ``orderpickup``). Object-level: staff of a point see only their
points' waves and orders (``ServicePoint.staff``); staff users every point. A
wave or order of another point is a 404; another point's pickup code is simply
invalid. Staff see the recipient masked, never the pickup code, the address or
the customer's e-mail."""
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from shop.fulfilment import pickup_selectors
from shop.fulfilment.models import OrderPickup

from ..crud import Screen

VIEW = "fulfilment.view_orderpickup"
CHANGE = "fulfilment.change_orderpickup"


class PickupScreen(Screen):
    model = OrderPickup
    name = "pickup"
    path = "pickup"
    icon = "fas fa-store"
    section = _("配送与自提")
    verbose_name = _("自提点工作台")
    verbose_name_plural = _("自提点工作台")
    actions = ("wave-list", "wave-detail", "wave-receive", "order-list", "order-detail", "hand-over")
    writes = ("wave-receive", "hand-over")

    # -- permissions ----------------------------------------------------------
    def required_permissions(self, action):
        return [VIEW, CHANGE] if action in self.writes else [VIEW]

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action) for action in self.actions}

    def can(self, user, action) -> bool:
        return user.has_perms(self.required_permissions(action))

    # -- scope ----------------------------------------------------------------
    def points(self, user):
        return pickup_selectors.points_for_user(user)

    def point_from(self, user, value):
        """The point named by ``value`` (an id) among ``user``'s; 404 out of scope."""
        if not str(value).isdigit():
            raise Http404
        return get_object_or_404(self.points(user), pk=value)

    def wave(self, user, pk):
        return get_object_or_404(pickup_selectors.waves_at(self.points(user)), pk=pk)

    def pickup(self, user, number):
        pickup = pickup_selectors.pickup_at_points(self.points(user), number=number)
        if pickup is None:
            raise Http404
        return pickup

    # -- URLs -----------------------------------------------------------------
    def routes(self):
        return {
            "wave-list": f"{self.path}/waves/",
            "wave-detail": f"{self.path}/waves/<int:pk>/",
            "wave-receive": f"{self.path}/waves/<int:pk>/receive/",
            "order-list": f"{self.path}/orders/",
            "order-detail": f"{self.path}/orders/<str:number>/",
            "hand-over": f"{self.path}/hand-over/",
        }

    def get_urls(self):
        from .. import views_pickup

        view_classes = {
            "wave-list": views_pickup.PickupWaveListView,
            "wave-detail": views_pickup.PickupWaveDetailView,
            "wave-receive": views_pickup.PickupWaveReceiveView,
            "order-list": views_pickup.PickupOrderListView,
            "order-detail": views_pickup.PickupOrderDetailView,
            "hand-over": views_pickup.HandOverView,
        }
        routes = self.routes()
        return [
            path(routes[action], view.as_view(screen=self, action=action), name=self.url_name(action))
            for action, view in view_classes.items()
        ]

    def url(self, action, obj=None, **kwargs) -> str:
        if action == "list":
            action = "order-list"
        if action in ("wave-detail", "wave-receive") and obj is not None:
            kwargs["pk"] = obj.pk
        return reverse(f"backoffice:{self.url_name(action)}", kwargs=kwargs or None)

    def create_url(self, user):
        return None
