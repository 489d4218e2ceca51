"""A small generic CRUD for the dashboard: one ``Screen`` per model declares its
permissions, scoping, columns, forms and writes; five generic views
(``shop.backoffice.views``) serve every screen."""
from dataclasses import dataclass
from typing import Any, Callable

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .forms.filters import SearchForm

ACTIONS = ("list", "detail", "create", "update", "delete")
# Extra model permission each action needs on top of "view" (Oscar's dashboard does the same).
_ACTION_PERMISSION = {"create": "add", "update": "change", "delete": "delete"}


@dataclass(frozen=True)
class Column:
    """A list column or detail field: an attribute path ("county.city.name",
    "get_kind_display") or a callable taking the object."""

    label: str
    value: str | Callable[[Any], Any]
    link: bool = False

    def render(self, obj):
        if callable(self.value):
            return self.value(obj)
        result = obj
        for part in self.value.split("."):
            if result is None:
                return None
            result = getattr(result, part)
        return result() if callable(result) else result


@dataclass(frozen=True)
class RowAction:
    label: str
    url: str
    style: str = "secondary"


class Screen:
    """The dashboard screens of one model."""

    model = None
    name = ""  # URL name stem: "city" gives "backoffice:city-list"
    path = ""  # URL segment: "cities"
    icon = "fas fa-table"
    section = _("乡村振兴")  # the dashboard menu section, shown in the breadcrumb
    form_class = None
    filter_form_class = SearchForm
    search_fields: tuple[str, ...] = ()
    list_columns: tuple[Column, ...] = ()
    detail_fields: tuple[Column, ...] = ()
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()
    actions: tuple[str, ...] = ACTIONS
    ordering: tuple[str, ...] = ()
    paginate_by = settings.OSCAR_DASHBOARD_ITEMS_PER_PAGE
    list_template = "backoffice/object_list.html"
    detail_template = "backoffice/object_detail.html"
    form_template = "backoffice/object_form.html"
    delete_template = "backoffice/object_confirm_delete.html"

    # -- labels ---------------------------------------------------------------
    @property
    def verbose_name(self):
        return self.model._meta.verbose_name

    @property
    def verbose_name_plural(self):
        return self.model._meta.verbose_name_plural

    # -- permissions ----------------------------------------------------------
    def permission(self, action: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{action}_{opts.model_name}"

    def required_permissions(self, action: str) -> list[str]:
        permissions = [self.permission("view")]
        if action in _ACTION_PERMISSION:
            permissions.append(self.permission(_ACTION_PERMISSION[action]))
        return permissions

    def permissions_map(self) -> dict[str, list[str]]:
        return {self.url_name(action): self.required_permissions(action) for action in self.actions}

    def user_can(self, user, action: str) -> bool:
        return action in self.actions and user.has_perms(self.required_permissions(action))

    # -- reads ----------------------------------------------------------------
    def get_queryset(self, user):
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        if self.ordering:
            queryset = queryset.order_by(*self.ordering)
        return self.scope(queryset, user)

    def scope(self, queryset, user):
        """Object-level scoping; every screen's reads and writes go through it."""
        return queryset

    def get_list_queryset(self, user):
        return self.get_queryset(user)

    def get_object(self, user, **kwargs):
        return get_object_or_404(self.get_queryset(user), pk=kwargs["pk"])

    def extra_list_context(self, user) -> dict:
        return {}

    def get_filter_form(self, data, user):
        return self.filter_form_class(data, search_fields=self.search_fields, user=user)

    # -- writes ---------------------------------------------------------------
    def get_form_class(self, user, instance):
        return self.form_class

    def get_form_kwargs(self, user, instance) -> dict:
        return {"user": user}

    def new_instance(self, user, **kwargs):
        """The unsaved instance a create form starts from (URL kwargs may name a parent)."""
        return self.model()

    def save(self, *, form, user):
        """Persist a valid form; runs inside a transaction. Raise ValidationError
        to send the errors back to the form."""
        return form.save()

    def delete(self, *, obj, user):
        obj.delete()

    # -- URLs -----------------------------------------------------------------
    def url_name(self, action: str) -> str:
        return f"{self.name}-{action}"

    def url(self, action: str, obj=None, **kwargs) -> str:
        """The action's URL; ``obj`` gives ``pk``, ``kwargs`` any other URL arguments."""
        if obj is not None:
            kwargs["pk"] = obj.pk
        return reverse(f"backoffice:{self.url_name(action)}", kwargs=kwargs or None)

    def routes(self) -> dict[str, str]:
        return {
            "list": f"{self.path}/",
            "create": f"{self.path}/create/",
            "detail": f"{self.path}/<int:pk>/",
            "update": f"{self.path}/<int:pk>/edit/",
            "delete": f"{self.path}/<int:pk>/delete/",
        }

    def get_urls(self):
        from . import views

        view_classes = {
            "list": views.ObjectListView,
            "create": views.ObjectCreateView,
            "detail": views.ObjectDetailView,
            "update": views.ObjectUpdateView,
            "delete": views.ObjectDeleteView,
        }
        routes = self.routes()
        return [
            path(routes[action], view_classes[action].as_view(screen=self, action=action), name=self.url_name(action))
            for action in ACTIONS
            if action in self.actions
        ]

    def success_url(self, obj) -> str:
        return self.url("detail", obj) if "detail" in self.actions else self.url("list")

    def create_url(self, user):
        return self.url("create") if self.user_can(user, "create") else None

    def row_link(self, obj, user):
        return self.url("detail", obj) if "detail" in self.actions else None

    def row_actions(self, obj, user) -> list[RowAction]:
        actions = []
        if self.user_can(user, "update"):
            actions.append(RowAction(_("编辑"), self.url("update", obj)))
        if self.user_can(user, "delete"):
            actions.append(RowAction(_("删除"), self.url("delete", obj), "danger"))
        return actions

    def detail_actions(self, obj, user) -> list[RowAction]:
        return self.row_actions(obj, user)
