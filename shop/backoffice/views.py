"""The five generic views every screen uses. They only wire a ``Screen``
(permissions, scoping, forms, writes) to Django's generic views."""
import logging

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic
from oscar.views.decorators import check_permissions

from .forms.base import fields_with_out_of_scope_choices

security_log = logging.getLogger("shop.backoffice.security")


class ScreenViewMixin:
    screen = None
    action = None

    def dispatch(self, request, *args, **kwargs):
        # Same check as the URL's permissions_map decorator, so a view stays
        # protected wherever it is mounted.
        if not check_permissions(request.user, self.screen.required_permissions(self.action)):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("dashboard:login"))
            raise PermissionDenied
        self.prepare()
        return super().dispatch(request, *args, **kwargs)

    def prepare(self):
        """Load what the view works on, after the permission check (404 when out of scope)."""

    def get_template_names(self):
        return [getattr(self.screen, f"{self.template_kind}_template")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["screen"] = self.screen
        context["list_url"] = self.screen.url("list")
        return context


class ObjectListView(ScreenViewMixin, generic.ListView):
    template_kind = "list"

    def get_paginate_by(self, queryset):
        return self.screen.paginate_by

    def get_queryset(self):
        user = self.request.user
        self.filter_form = self.screen.get_filter_form(self.request.GET or None, user)
        return self.filter_form.filter_queryset(self.screen.get_list_queryset(user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        screen = self.screen
        context["filter_form"] = self.filter_form
        context["columns"] = screen.list_columns
        context["create_url"] = screen.create_url(user)
        context.update(screen.extra_list_context(user))
        context["rows"] = [
            {
                "object": obj,
                "link": screen.row_link(obj, user),
                "cells": [(column, column.render(obj)) for column in screen.list_columns],
                "actions": screen.row_actions(obj, user),
            }
            for obj in context["object_list"]
        ]
        return context


class ObjectDetailView(ScreenViewMixin, generic.DetailView):
    template_kind = "detail"
    context_object_name = "object"

    def get_object(self, queryset=None):
        return self.screen.get_object(self.request.user, **self.kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["fields"] = [(column.label, column.render(self.object)) for column in self.screen.detail_fields]
        context["actions"] = self.screen.detail_actions(self.object, self.request.user)
        return context


class ObjectFormView(ScreenViewMixin, generic.FormView):
    """Create (``object`` is None) or update; ``instance`` is what the form edits."""

    template_kind = "form"
    object = None
    instance = None

    def get_form_class(self):
        return self.screen.get_form_class(self.request.user, self.object)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.instance
        kwargs.update(self.screen.get_form_kwargs(self.request.user, self.instance))
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def form_invalid(self, form):
        tampered = fields_with_out_of_scope_choices(form)
        if tampered:
            security_log.warning(
                "Out-of-scope choice refused: user=%s view=%s fields=%s",
                self.request.user.pk, self.screen.url_name(self.action), ",".join(tampered),
            )
            raise PermissionDenied
        return super().form_invalid(form)

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = self.screen.save(form=form, user=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存：%(object)s") % {"object": self.object})
        return HttpResponseRedirect(self.screen.success_url(self.object))


class ObjectCreateView(ObjectFormView):
    def prepare(self):
        self.instance = self.screen.new_instance(self.request.user, **self.kwargs)


class ObjectUpdateView(ObjectFormView):
    def prepare(self):
        self.object = self.instance = self.screen.get_object(self.request.user, **self.kwargs)


class ObjectDeleteView(ScreenViewMixin, generic.TemplateView):
    template_kind = "delete"

    def prepare(self):
        self.object = self.screen.get_object(self.request.user, **self.kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def post(self, request, *args, **kwargs):
        obj = self.object
        label = str(obj)
        try:
            with transaction.atomic():
                self.screen.delete(obj=obj, user=request.user)
        except (ProtectedError, RestrictedError):
            messages.error(request, _("「%(object)s」仍被其他记录引用，不能删除。") % {"object": label})
            return HttpResponseRedirect(self.screen.success_url(obj))
        messages.success(request, _("已删除：%(object)s") % {"object": label})
        return HttpResponseRedirect(self.screen.url("list"))
