"""Pre-sales (预售): list, detail with its orders and figures, create, edit;
confirming the harvest against a batch and "the seller cannot deliver" hang
off a pre-sale. Cooperative staff see and manage their own products'
pre-sales (another's → 404); campaign managers and staff every pre-sale;
programme officers read them."""
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.presale.models import PreSale

from ..access import products_visible_to
from ..crud import Column, RowAction, Screen
from ..forms.presales import PreSaleFilterForm, PreSaleForm


def _state(presale):
    return presale.state_at().label


def _window(start, end, *, dates=False):
    def render(presale):
        first, last = getattr(presale, start), getattr(presale, end)
        if first is None:
            return None
        if dates:
            return f"{first:%Y-%m-%d} — {last:%Y-%m-%d}"
        return f"{timezone.localtime(first):%Y-%m-%d %H:%M} — {timezone.localtime(last):%Y-%m-%d %H:%M}"
    return render


class PreSaleScreen(Screen):
    model = PreSale
    name = "presale"
    path = "presales"
    icon = "fas fa-seedling"
    section = _("营销活动")
    form_class = PreSaleForm
    filter_form_class = PreSaleFilterForm
    search_fields = ("title", "product__title")
    select_related = ("product",)
    ordering = ("-order_starts", "-pk")
    actions = ("list", "detail", "create", "update")
    extra_actions = ("confirm-harvest", "cancel")
    detail_template = "backoffice/presales/presale_detail.html"
    list_columns = (
        Column(_("预售名称"), "title", link=True),
        Column(_("商品"), "product.title"),
        Column(_("方式"), "get_mode_display"),
        Column(_("预售价"), "price"),
        Column(_("定金"), "deposit"),
        Column(_("已预订/数量"), lambda presale: f"{presale.sold} / {presale.capacity}"),
        Column(_("预订时间"), _window("order_starts", "order_ends")),
        Column(_("状态"), _state),
    )
    detail_fields = (
        Column(_("预售名称"), "title"),
        Column(_("商品"), "product.title"),
        Column(_("付款方式"), "get_mode_display"),
        Column(_("预售价（元/件）"), "price"),
        Column(_("定金（元/件）"), "deposit"),
        Column(_("预售数量（件）"), "capacity"),
        Column(_("已预订（件）"), "sold"),
        Column(_("每单限购（件）"), "max_per_order"),
        Column(_("预订时间"), _window("order_starts", "order_ends")),
        Column(_("尾款支付"), _window("balance_starts", "balance_deadline")),
        Column(_("预计发货"), _window("ship_from", "ship_until", dates=True)),
        Column(_("当前状态"), _state),
        Column(_("确认采收时间"), "harvest_confirmed_at"),
        Column(_("取消原因"), "cancel_reason"),
    )

    # -- permissions ----------------------------------------------------------
    def required_permissions(self, action):
        permissions = super().required_permissions(action)
        if action == "confirm-harvest":
            permissions += [self.permission("change"), "harvest.view_harvestbatch"]
        elif action == "cancel":
            permissions.append(self.permission("change"))
        return permissions

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action)
                for action in self.actions + self.extra_actions}

    def can(self, user, action) -> bool:
        return user.has_perms(self.required_permissions(action))

    # -- reads ----------------------------------------------------------------
    def scope(self, queryset, user):
        return queryset.filter(product__in=products_visible_to(user))

    # -- writes ---------------------------------------------------------------
    def save(self, *, form, user):
        presale = form.save(commit=False)
        if presale.pk is None:
            presale.created_by = user
        presale.save()
        return presale

    # -- URLs -----------------------------------------------------------------
    def routes(self):
        routes = super().routes()
        routes.update({"confirm-harvest": f"{self.path}/<int:pk>/confirm-harvest/",
                       "cancel": f"{self.path}/<int:pk>/cancel/"})
        return routes

    def get_urls(self):
        from .. import views, views_presales

        view_classes = {
            "list": views.ObjectListView,
            "create": views.ObjectCreateView,
            "detail": views_presales.PreSaleDetailView,
            "update": views.ObjectUpdateView,
            "confirm-harvest": views_presales.PreSaleHarvestConfirmView,
            "cancel": views_presales.PreSaleCancelView,
        }
        routes = self.routes()
        return [path(routes[action], view.as_view(screen=self, action=action), name=self.url_name(action))
                for action, view in view_classes.items()]

    def action_url(self, action, obj) -> str:
        return reverse(f"backoffice:{self.url_name(action)}", kwargs={"pk": obj.pk})

    def row_actions(self, presale, user):
        if presale.status != PreSale.Status.CANCELLED and self.user_can(user, "update"):
            return [RowAction(_("编辑"), self.url("update", presale))]
        return []

    def can_confirm(self, user, presale) -> bool:
        return presale.status == PreSale.Status.PUBLISHED and self.can(user, "confirm-harvest")

    def can_cancel(self, user, presale) -> bool:
        return presale.status != PreSale.Status.CANCELLED and self.can(user, "cancel")
