"""Crowdfunding projects (众筹认养) for campaign managers and cooperatives:
create and edit projects, their reward tiers, households and updates; launch;
see the pledges and what settlement did; settle a project past its deadline.

Cooperative staff see and edit their own cooperatives' projects only (another's
→ 404); campaign managers and administrators see every project; programme
officers read. Writes go through ``shop.crowdfunding.services`` and
``shop.crowdfunding.settlement``."""
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from shop.crowdfunding import selectors, services
from shop.crowdfunding.models import Project

from ..access import market_subjects_visible_to, user_sees_all
from ..crud import Column, RowAction, Screen
from ..forms.crowdfunding import ProjectFilterForm, ProjectForm


def _progress(project):
    progress = selectors.progress_of(project)
    return f"¥{progress.raised} / ¥{progress.goal}（{progress.percent}%）"


def _backers(project):
    return selectors.progress_of(project).backers


# Child objects of a project: their model permission and URL stem.
CHILDREN = {
    "tier": "rewardtier",
    "household": "projecthousehold",
    "update": "projectupdate",
}


class CrowdfundingProjectScreen(Screen):
    model = Project
    name = "crowdfunding-project"
    path = "crowdfunding"
    icon = "fas fa-hand-holding-heart"
    section = _("众筹认养")
    form_class = ProjectForm
    filter_form_class = ProjectFilterForm
    search_fields = ("title", "slug", "market_subject__name")
    select_related = ("market_subject", "product", "batch")
    ordering = ("-created", "-pk")
    actions = ("list", "detail", "create", "update")
    extra_actions = ("launch", "settle",
                     "tier-create", "tier-update", "tier-delete",
                     "household-create", "household-delete",
                     "update-create", "update-update", "update-delete")
    detail_template = "backoffice/crowdfunding/project_detail.html"
    child_form_template = "backoffice/crowdfunding/child_form.html"
    list_columns = (
        Column(_("项目名称"), "title", link=True),
        Column(_("发起合作社"), "market_subject.name"),
        Column(_("状态"), "get_state_display"),
        Column(_("已筹 / 目标"), _progress),
        Column(_("支持者"), _backers),
        Column(_("截止时间"), "deadline"),
    )
    detail_fields = (
        Column(_("项目名称"), "title"),
        Column(_("网址标识"), "slug"),
        Column(_("一句话介绍"), "summary"),
        Column(_("发起合作社"), "market_subject.name"),
        Column(_("回报商品"), "product.title"),
        Column(_("目标金额（元）"), "goal_amount"),
        Column(_("已筹 / 目标"), _progress),
        Column(_("支持者"), _backers),
        Column(_("状态"), "get_state_display"),
        Column(_("上线时间"), "launched_at"),
        Column(_("截止时间"), "deadline"),
        Column(_("发货说明"), "delivery_note"),
        Column(_("项目批次"), "batch.code"),
        Column(_("结果判定时间"), "decided_at"),
        Column(_("判定时筹得金额"), "decided_total"),
        Column(_("结算完成时间"), "settled_at"),
    )

    # -- permissions ----------------------------------------------------------
    def required_permissions(self, action):
        permissions = [self.permission("view")]
        if action == "create":
            permissions.append(self.permission("add"))
        elif action in ("update", "launch", "settle"):
            permissions.append(self.permission("change"))
        elif "-" in action and action.split("-", 1)[0] in CHILDREN:
            child, verb = action.split("-", 1)
            codename = {"create": "add", "update": "change", "delete": "delete"}[verb]
            permissions.append(f"crowdfunding.{codename}_{CHILDREN[child]}")
        return permissions

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action)
                for action in self.actions + self.extra_actions}

    def can(self, user, action) -> bool:
        return user.has_perms(self.required_permissions(action))

    def user_can(self, user, action):
        return self.can(user, action)

    # -- reads ----------------------------------------------------------------
    def get_queryset(self, user):
        return selectors.with_totals(super().get_queryset(user))

    def scope(self, queryset, user):
        if user_sees_all(user):
            return queryset
        return queryset.filter(market_subject__in=market_subjects_visible_to(user).values("pk"))

    # -- writes ---------------------------------------------------------------
    def save(self, *, form, user):
        return services.project_save(project=form.save(commit=False), user=user)

    # -- URLs -----------------------------------------------------------------
    def routes(self):
        base = super().routes()
        base.pop("delete")
        project = f"{self.path}/<int:pk>"
        return {
            **base,
            "launch": f"{project}/launch/",
            "settle": f"{project}/settle/",
            "tier-create": f"{project}/tiers/create/",
            "tier-update": f"{project}/tiers/<int:child_pk>/edit/",
            "tier-delete": f"{project}/tiers/<int:child_pk>/delete/",
            "household-create": f"{project}/households/create/",
            "household-delete": f"{project}/households/<int:child_pk>/delete/",
            "update-create": f"{project}/updates/create/",
            "update-update": f"{project}/updates/<int:child_pk>/edit/",
            "update-delete": f"{project}/updates/<int:child_pk>/delete/",
        }

    def get_urls(self):
        from .. import views, views_crowdfunding as cf

        view_classes = {
            "list": views.ObjectListView,
            "create": views.ObjectCreateView,
            "detail": cf.ProjectDetailView,
            "update": views.ObjectUpdateView,
            "launch": cf.ProjectLaunchView,
            "settle": cf.ProjectSettleView,
            "tier-create": cf.ChildFormView,
            "tier-update": cf.ChildFormView,
            "tier-delete": cf.ChildDeleteView,
            "household-create": cf.ChildFormView,
            "household-delete": cf.ChildDeleteView,
            "update-create": cf.ChildFormView,
            "update-update": cf.ChildFormView,
            "update-delete": cf.ChildDeleteView,
        }
        routes = self.routes()
        return [
            path(routes[action], view.as_view(screen=self, action=action), name=self.url_name(action))
            for action, view in view_classes.items()
        ]

    def action_url(self, action, project, child=None) -> str:
        kwargs = {"pk": project.pk}
        if child is not None:
            kwargs["child_pk"] = child.pk
        return reverse(f"backoffice:{self.url_name(action)}", kwargs=kwargs)

    def row_actions(self, project, user):
        actions = []
        if self.can(user, "update"):
            actions.append(RowAction(_("编辑"), self.url("update", project)))
        return actions

    def detail_actions(self, project, user):
        actions = self.row_actions(project, user)
        if project.state != Project.State.DRAFT:
            actions.append(RowAction(_("查看项目页"), project.get_absolute_url()))
        return actions
