"""Festival campaigns (节庆活动: 年货节, 扶贫日, 双11), the campaign manager's
screens: the list with each campaign's state, a campaign's create and edit
forms (window, theme), its detail with the products (campaign price, quota,
per-customer limit) and publish / unpublish, the live page (chart of units
sold and quota left, polled from a small JSON endpoint) and the results as
XLSX and CSV.

Campaign managers (运营) and administrators only: the model permissions of
``shop.campaigns`` (``shop.core.roles``); everyone else gets 403, anonymous
users the dashboard login. Writes go through ``shop.campaigns.scheduling``."""
from django.db.models import Count, Sum
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.campaigns.models import Campaign
from shop.campaigns.themes import get_theme

from ..crud import Column, RowAction, Screen
from ..forms.campaigns import CampaignForm


def _state(campaign):
    return Campaign.State(campaign.state_at(timezone.now())).label


def _theme(campaign):
    theme = get_theme(campaign.theme)
    return theme.label if theme else campaign.theme


class CampaignScreen(Screen):
    model = Campaign
    name = "campaign"
    path = "campaigns"
    icon = "fas fa-bullhorn"
    section = _("营销活动")
    form_class = CampaignForm
    search_fields = ("name", "slug")
    ordering = ("-starts_at", "pk")
    actions = ("list", "detail", "create", "update")
    extra_actions = (
        "publish", "unpublish", "live", "live-data", "results-xlsx", "results-csv",
        "item-create", "item-update", "item-delete",
    )
    detail_template = "backoffice/campaigns/campaign_detail.html"
    form_template = "backoffice/campaigns/campaign_form.html"
    list_columns = (
        Column(_("活动名称"), "name", link=True),
        Column(_("状态"), _state),
        Column(_("主题"), _theme),
        Column(_("开始时间"), "starts_at"),
        Column(_("结束时间"), "ends_at"),
        Column(_("商品数"), "item_count"),
        Column(_("已售（件）"), lambda campaign: campaign.units_sold or 0),
    )

    # -- permissions ----------------------------------------------------------
    def required_permissions(self, action):
        permissions = [self.permission("view")]
        if action == "create":
            permissions.append(self.permission("add"))
        elif action in ("update", "publish", "unpublish"):
            permissions.append(self.permission("change"))
        elif action.startswith("item-"):
            verb = {"item-create": "add", "item-update": "change", "item-delete": "delete"}[action]
            permissions += [self.permission("change"), f"campaigns.{verb}_campaignproduct"]
        elif action in ("live", "live-data", "results-xlsx", "results-csv"):
            permissions.append("campaigns.view_campaignorderline")
        return permissions

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action)
                for action in self.actions + self.extra_actions}

    def user_can(self, user, action) -> bool:
        return (action in self.actions or action in self.extra_actions) and \
            user.has_perms(self.required_permissions(action))

    # -- reads ----------------------------------------------------------------
    def get_queryset(self, user):
        return super().get_queryset(user).annotate(item_count=Count("items"), units_sold=Sum("items__sold"))

    # -- writes (the generic create and edit views) ----------------------------
    def get_form_kwargs(self, user, instance):
        return {"user": user}

    def save(self, *, form, user):
        from shop.campaigns import scheduling

        if form.instance is None or form.instance.pk is None:
            return scheduling.campaign_create(data=form.service_input(), user=user)
        return scheduling.campaign_update(campaign=form.instance, data=form.service_input(), user=user)

    # -- URLs -----------------------------------------------------------------
    def routes(self):
        return {
            "list": f"{self.path}/",
            "create": f"{self.path}/create/",
            "detail": f"{self.path}/<int:pk>/",
            "update": f"{self.path}/<int:pk>/edit/",
            "publish": f"{self.path}/<int:pk>/publish/",
            "unpublish": f"{self.path}/<int:pk>/unpublish/",
            "live": f"{self.path}/<int:pk>/live/",
            "live-data": f"{self.path}/<int:pk>/live.json",
            "results-xlsx": f"{self.path}/<int:pk>/results.xlsx",
            "results-csv": f"{self.path}/<int:pk>/results.csv",
            "item-create": f"{self.path}/<int:pk>/products/add/",
            "item-update": f"{self.path}/<int:pk>/products/<int:item_pk>/edit/",
            "item-delete": f"{self.path}/<int:pk>/products/<int:item_pk>/delete/",
        }

    def get_urls(self):
        from .. import views, views_campaigns

        view_classes = {
            "list": views.ObjectListView,
            "create": views.ObjectCreateView,
            "detail": views_campaigns.CampaignDetailView,
            "update": views.ObjectUpdateView,
            "publish": views_campaigns.CampaignPublishView,
            "unpublish": views_campaigns.CampaignUnpublishView,
            "live": views_campaigns.CampaignLiveView,
            "live-data": views_campaigns.CampaignLiveDataView,
            "results-xlsx": views_campaigns.CampaignResultsExportView,
            "results-csv": views_campaigns.CampaignResultsExportView,
            "item-create": views_campaigns.CampaignItemCreateView,
            "item-update": views_campaigns.CampaignItemUpdateView,
            "item-delete": views_campaigns.CampaignItemDeleteView,
        }
        routes = self.routes()
        return [
            path(routes[action], view.as_view(screen=self, action=action), name=self.url_name(action))
            for action, view in view_classes.items()
        ]

    def action_url(self, action, campaign, item=None) -> str:
        kwargs = {"pk": campaign.pk}
        if item is not None:
            kwargs["item_pk"] = item.pk
        return reverse(f"backoffice:{self.url_name(action)}", kwargs=kwargs)

    def row_actions(self, campaign, user):
        actions = []
        if self.user_can(user, "live"):
            actions.append(RowAction(_("实时看板"), self.action_url("live", campaign)))
        if self.user_can(user, "update") and campaign.state_at(timezone.now()) != Campaign.State.ENDED:
            actions.append(RowAction(_("编辑"), self.url("update", campaign)))
        return actions

    def detail_actions(self, campaign, user):
        actions = []
        if self.user_can(user, "live"):
            actions.append(RowAction(_("实时看板"), self.action_url("live", campaign), "primary"))
            actions.append(RowAction(_("导出 Excel"), self.action_url("results-xlsx", campaign)))
            actions.append(RowAction(_("导出 CSV"), self.action_url("results-csv", campaign)))
        if self.user_can(user, "update") and campaign.state_at(timezone.now()) != Campaign.State.ENDED:
            actions.append(RowAction(_("编辑"), self.url("update", campaign)))
        return actions
