"""Views of the crowdfunding screens beyond the generic ones: a project's detail
(tiers, households, updates, pledges, settlement figures), launching and
settling, and the forms of its tiers, households and updates. Scoping comes
from the screen (another cooperative's project → 404); writes go through
``shop.crowdfunding``."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from shop.core.masking import mask_name
from shop.crowdfunding import selectors, services
from shop.crowdfunding.models import Pledge, Project, ProjectHousehold, ProjectUpdate, RewardTier
from shop.crowdfunding.settlement import committed_total, project_settle

from .forms.base import fields_with_out_of_scope_choices
from .forms.crowdfunding import ProjectHouseholdForm, ProjectUpdateForm, RewardTierForm
from .views import ObjectDetailView, ScreenViewMixin, security_log


def _household_label(row, show_registration):
    household = row.household
    alias = household.public_alias if household.alias_consent and household.public_alias else _("未公开化名")
    if show_registration:
        return f"{household.registration_number} · {mask_name(household.head_name)} · {alias}"
    return alias


def _backer(user):
    return mask_name(user.get_full_name() or user.get_username())


class ProjectDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project, user, screen = self.object, self.request.user, self.screen
        show_registration = user.has_perm("producers.view_household")
        context.update({
            "tiers": selectors.tier_offers(project),
            "households": [
                {"row": row, "label": _household_label(row, show_registration)}
                for row in project.project_households.select_related("household").order_by("pk")
            ],
            "updates": project.updates.order_by("-published_at", "-pk"),
            "can": {action.replace("-", "_"): screen.can(user, action) for action in screen.extra_actions},
            "can_launch": project.state == Project.State.DRAFT and screen.can(user, "launch"),
            "can_settle": project.state != Project.State.SETTLED and project.state != Project.State.DRAFT
            and timezone.now() >= project.deadline and screen.can(user, "settle"),
            "editable": not project.is_decided,
            "committed_total": committed_total(project),
        })
        if user.has_perm("crowdfunding.view_pledge"):
            counts = selectors.pledge_state_counts(project)
            context["pledge_states"] = [
                {"label": label, "count": counts[state][0], "amount": counts[state][1]}
                for state, label in Pledge.State.choices if state in counts
            ]
            context["pledges"] = [
                {"pledge": pledge, "backer": _backer(pledge.user)}
                for pledge in selectors.pledges_for_dashboard(project)
            ]
        return context


class _ProjectPostView(ScreenViewMixin, generic.View):
    http_method_names = ["post"]

    def prepare(self):
        self.project = self.screen.get_object(self.request.user, pk=self.kwargs["pk"])


class ProjectLaunchView(_ProjectPostView):
    def post(self, request, *args, **kwargs):
        try:
            services.project_launch(project=self.project)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("项目已上线，开始接受支持"))
        return redirect(self.screen.url("detail", self.project))


class ProjectSettleView(_ProjectPostView):
    """Run the settlement now (the daily job does the same; running it again is safe)."""

    def post(self, request, *args, **kwargs):
        if timezone.now() < self.project.deadline:
            messages.error(request, _("项目尚未截止，不能结算"))
            return redirect(self.screen.url("detail", self.project))
        result = project_settle(project=self.project)
        messages.success(request, _(
            "结算完成：%(state)s；扣款 %(charged)d，扣款失败 %(failed)d，回报订单 %(orders)d，退款 %(refunds)d，"
            "未扣款释放 %(released)d，待下次处理 %(waiting)d") % {
            "state": result.project.get_state_display(), "charged": len(result.charged),
            "failed": len(result.charge_failed), "orders": len(result.fulfilled), "refunds": len(result.refunded),
            "released": len(result.released), "waiting": len(result.waiting)})
        for number, reason in result.waiting.items():
            messages.warning(request, f"{number}：{reason}")
        return redirect(self.screen.url("detail", self.project))


# kind → (model, form class, label)
_CHILDREN = {
    "tier": (RewardTier, RewardTierForm, _("回报档位")),
    "household": (ProjectHousehold, ProjectHouseholdForm, _("项目农户")),
    "update": (ProjectUpdate, ProjectUpdateForm, _("项目动态")),
}


class _ChildMixin(ScreenViewMixin):
    def prepare(self):
        self.kind = self.action.split("-", 1)[0]
        self.model, self.form_class, self.label = _CHILDREN[self.kind]
        self.project = self.screen.get_object(self.request.user, pk=self.kwargs["pk"])
        self.child = None
        if "child_pk" in self.kwargs:
            self.child = get_object_or_404(self.model, pk=self.kwargs["child_pk"], project=self.project)

    def detail_url(self):
        return self.screen.url("detail", self.project)


class ChildFormView(_ChildMixin, generic.FormView):
    def get_template_names(self):
        return [self.screen.child_form_template]

    def get_form(self, form_class=None):
        data = self.request.POST if self.request.method == "POST" else None
        if self.kind == "household":
            return ProjectHouseholdForm(data, project=self.project, user=self.request.user)
        return self.form_class(data, instance=self.child or self.model(project=self.project))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"project": self.project, "child": self.child, "label": self.label,
                        "detail_url": self.detail_url()})
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
            if self.kind == "tier":
                services.tier_save(tier=form.save(commit=False))
            elif self.kind == "household":
                services.project_household_add(project=self.project, household=form.cleaned_data["household"],
                                               note=form.cleaned_data["note"])
            elif self.child is None:  # updates may be posted at any time, e.g. shipping news after settlement
                services.update_post(project=self.project, title=form.cleaned_data["title"],
                                     body=form.cleaned_data["body"], user=self.request.user)
            else:
                form.save()
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存：%(label)s") % {"label": self.label})
        return redirect(self.detail_url())


class ChildDeleteView(_ChildMixin, generic.View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            if self.kind == "tier":
                services.tier_delete(tier=self.child)
            elif self.kind == "household":
                services.project_household_remove(project_household=self.child)
            else:
                self.child.delete()
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已删除：%(label)s") % {"label": self.label})
        return redirect(self.detail_url())
