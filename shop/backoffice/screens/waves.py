"""Delivery waves (配送波次, 基地+城市社区直配), the cooperative's side: the
orders waiting per pickup point, a new wave, its detail, shipping it, and the
printable manifest (配送清单) and packing list (拣货单).

Cooperative staff see and ship their own cooperatives' waves (another's → 404);
programme officers and staff see every wave; pickup-point staff have their own
screens (receiving, hand-over)."""
from django.db.models import Count
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from shop.fulfilment import wave_selectors
from shop.fulfilment.models import DeliveryWave

from ..crud import Column, RowAction, Screen
from ..forms.waves import WaveFilterForm


class DeliveryWaveScreen(Screen):
    model = DeliveryWave
    name = "delivery-wave"
    path = "waves"
    icon = "fas fa-shipping-fast"
    section = _("配送与自提")
    filter_form_class = WaveFilterForm
    search_fields = ("code", "service_point__name")
    ordering = ("-delivery_date", "-pk")
    actions = ("list", "detail", "create")
    extra_actions = ("ship", "manifest", "packing-list")
    list_template = "backoffice/waves/wave_list.html"
    detail_template = "backoffice/waves/wave_detail.html"
    form_template = "backoffice/waves/wave_form.html"
    list_columns = (
        Column(_("波次号"), "code", link=True),
        Column(_("合作社"), "partner.name"),
        Column(_("自提点"), "service_point.name"),
        Column(_("配送日期"), "delivery_date"),
        Column(_("状态"), "get_status_display"),
        Column(_("冷链"), "cold_chain"),
        Column(_("订单数"), "order_count"),
        Column(_("发运时间"), "shipped_at"),
    )
    detail_fields = (
        Column(_("波次号"), "code"),
        Column(_("合作社"), "partner.name"),
        Column(_("自提点"), "service_point.name"),
        Column(_("自提点地址"), "service_point.address"),
        Column(_("配送日期"), "delivery_date"),
        Column(_("状态"), "get_status_display"),
        Column(_("冷链"), "cold_chain"),
        Column(_("订单数"), "order_count"),
        Column(_("创建时间"), "created"),
        Column(_("发运时间"), "shipped_at"),
        Column(_("到达时间"), "received_at"),
    )

    # -- permissions ----------------------------------------------------------
    def required_permissions(self, action):
        permissions = [self.permission("view")]
        if action == "create":
            permissions.append(self.permission("add"))
        elif action == "ship":
            permissions.append(self.permission("change"))
        return permissions

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action)
                for action in self.actions + self.extra_actions}

    def can(self, user, action) -> bool:
        return user.has_perms(self.required_permissions(action))

    # -- reads ----------------------------------------------------------------
    def get_queryset(self, user):
        return (wave_selectors.waves_visible_to(user=user)
                .annotate(order_count=Count("wave_orders")).order_by(*self.ordering))

    def partners(self, user):
        """The cooperatives ``user`` may pack waves for (none without the add permission)."""
        if not self.can(user, "create"):
            return wave_selectors.partners_for_waves(user=user).none()
        return wave_selectors.partners_for_waves(user=user)

    def partner_from(self, user, value):
        """The cooperative named by ``value`` (an id), or the user's only one; 404 out of scope."""
        partners = self.partners(user)
        if value in (None, ""):
            return partners.first() if partners.count() == 1 else None
        if not str(value).isdigit():
            raise Http404
        partner = partners.filter(pk=value).first()
        if partner is None:
            raise Http404
        return partner

    def candidates(self, user):
        """Orders waiting per (cooperative, pickup point), each with its link to a new wave."""
        rows = []
        for partner in self.partners(user):
            for candidate in wave_selectors.wave_candidates(partner=partner):
                rows.append({"candidate": candidate, "create_url": self.create_url_for(partner, candidate.service_point)})
        return rows

    def extra_list_context(self, user):
        return {"candidates": self.candidates(user), "can_create": self.can(user, "create")}

    # -- URLs -----------------------------------------------------------------
    def routes(self):
        return {
            "list": f"{self.path}/",
            "create": f"{self.path}/create/",
            "detail": f"{self.path}/<int:pk>/",
            "ship": f"{self.path}/<int:pk>/ship/",
            "manifest": f"{self.path}/<int:pk>/manifest/",
            "packing-list": f"{self.path}/<int:pk>/packing-list/",
        }

    def get_urls(self):
        from .. import views, views_waves

        view_classes = {
            "list": views.ObjectListView,
            "create": views_waves.WaveCreateView,
            "detail": views_waves.WaveDetailView,
            "ship": views_waves.WaveShipView,
            "manifest": views_waves.WaveManifestView,
            "packing-list": views_waves.WavePackingListView,
        }
        routes = self.routes()
        return [
            path(routes[action], view.as_view(screen=self, action=action), name=self.url_name(action))
            for action, view in view_classes.items()
        ]

    def action_url(self, action, obj=None) -> str:
        return reverse(f"backoffice:{self.url_name(action)}", kwargs={"pk": obj.pk} if obj is not None else None)

    def create_url_for(self, partner, service_point) -> str:
        return f"{self.action_url('create')}?partner={partner.pk}&point={service_point.pk}"

    def row_actions(self, wave, user):
        return [RowAction(_("配送清单"), self.action_url("manifest", wave)),
                RowAction(_("拣货单"), self.action_url("packing-list", wave))]

    def detail_actions(self, wave, user):
        return [RowAction(_("打印配送清单"), self.action_url("manifest", wave), "primary"),
                RowAction(_("打印拣货单"), self.action_url("packing-list", wave))]

    def can_ship(self, user, wave) -> bool:
        return wave.status == DeliveryWave.Status.PLANNED and self.can(user, "ship")
