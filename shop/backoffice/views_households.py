"""Finding a household by its head's full ID number."""
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import generic

from shop.producers.services import household_find_by_id_number

from .forms.producers import HouseholdFindForm
from .views import ScreenViewMixin


class HouseholdFindView(ScreenViewMixin, generic.FormView):
    """POST only carries the number (never a GET query string, so it stays out of
    URLs and access logs). The answer is the same whether the household does not
    exist or belongs to another cooperative."""

    form_class = HouseholdFindForm
    template_name = "backoffice/household_find.html"

    def get_template_names(self):
        return [self.template_name]

    def form_valid(self, form):
        household = household_find_by_id_number(id_number=form.cleaned_data["id_number"])
        if household is not None and self.screen.get_queryset(self.request.user).filter(pk=household.pk).exists():
            return redirect("backoffice:household-detail", pk=household.pk)
        form.add_error("id_number", _("没有找到您可查看的、使用该身份证号的贫困户。"))
        return self.form_invalid(form)
