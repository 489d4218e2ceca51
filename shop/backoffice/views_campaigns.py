"""Views of the campaign screens beyond the generic list and forms: a
campaign's detail (its products, publish / unpublish), adding, editing and
removing its products, the live page with its JSON and the results exports.
Writes go through ``shop.campaigns.scheduling``; figures come from
``shop.campaigns.reports``."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from shop.attribution.exports import content_disposition
from shop.campaigns import exports, reports, scheduling
from shop.campaigns.landing import landing_page_for
from shop.campaigns.models import Campaign
from shop.campaigns.themes import get_theme

from .forms.campaigns import CampaignItemForm, ProductSearchForm
from .views import ObjectDetailView, ScreenViewMixin


def _add_errors(form, error):
    by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    for field, errors in by_field.items():
        form.add_error(field if field in form.fields else None, errors)


def _error_messages(request, error):
    for message in error.messages:
        messages.error(request, message)


class CampaignMixin(ScreenViewMixin):
    """Loads the campaign (and the campaign product named by ``item_pk``)."""

    def prepare(self):
        self.campaign = self.screen.get_object(self.request.user, pk=self.kwargs["pk"])
        self.item = None
        if "item_pk" in self.kwargs:
            self.item = get_object_or_404(self.campaign.items.select_related("product"), pk=self.kwargs["item_pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(campaign=self.campaign, object=self.campaign, item=self.item,
                       detail_url=self.screen.url("detail", self.campaign))
        return context


def _item_rows(campaign, screen, user):
    rows = []
    can_update, can_delete = screen.user_can(user, "item-update"), screen.user_can(user, "item-delete")
    for item in campaign.items.select_related("product").prefetch_related("product__stockrecords"):
        rows.append({
            "item": item,
            "regular_price": scheduling.regular_price(item.product),
            "update_url": screen.action_url("item-update", campaign, item) if can_update else None,
            "delete_url": screen.action_url("item-delete", campaign, item) if can_delete else None,
        })
    return rows


class CampaignDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign, screen, user = self.object, self.screen, self.request.user
        state = campaign.state_at(timezone.now())
        is_open = state != Campaign.State.ENDED
        landing = landing_page_for(campaign)
        context.update(
            state=state,
            state_label=Campaign.State(state).label,
            theme=get_theme(campaign.theme),
            item_rows=_item_rows(campaign, screen, user),
            landing_page=landing,
            landing_url=landing.get_url(self.request) if landing is not None and landing.live else None,
            item_create_url=screen.action_url("item-create", campaign)
            if is_open and screen.user_can(user, "item-create") else None,
            publish_url=screen.action_url("publish", campaign)
            if is_open and not campaign.is_published and screen.user_can(user, "publish") else None,
            unpublish_url=screen.action_url("unpublish", campaign)
            if is_open and campaign.is_published and screen.user_can(user, "unpublish") else None,
        )
        return context


class _PublishingView(CampaignMixin, generic.View):
    http_method_names = ["post"]
    service = None
    success_message = ""

    def post(self, request, *args, **kwargs):
        try:
            campaign = type(self).service(campaign=self.campaign, user=request.user)
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, self.success_message % {"name": campaign.name})
        return redirect(self.screen.url("detail", self.campaign))


class CampaignPublishView(_PublishingView):
    service = staticmethod(scheduling.campaign_publish)
    success_message = _("已发布活动「%(name)s」：到开始时间后商城按活动价销售。")


class CampaignUnpublishView(_PublishingView):
    service = staticmethod(scheduling.campaign_unpublish)
    success_message = _("已撤回活动「%(name)s」，活动价和活动主题不再生效。")


class CampaignItemCreateView(CampaignMixin, generic.FormView):
    """Search a product by title or UPC, pick one of the results, then its
    campaign price, quota and per-customer limit."""

    template_name = "backoffice/campaigns/item_form.html"

    def get_template_names(self):
        return [self.template_name]

    def get_form(self, form_class=None):
        return CampaignItemForm(self.request.POST if self.request.method == "POST" else None)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        search = ProductSearchForm({"q": params.get("q", "")})
        results = search.results()
        form = context["form"]
        chosen = form.cleaned_data.get("product") if form.is_bound and hasattr(form, "cleaned_data") else None
        if chosen is not None and all(product.pk != chosen.pk for product in results):
            results = [chosen, *results]
        context.update(
            search_form=search, searched=bool(search.data.get("q", "").strip()),
            results=[{"product": product, "regular_price": scheduling.regular_price(product)} for product in results],
            chosen_pk=chosen.pk if chosen is not None else None,
        )
        return context

    def form_valid(self, form):
        try:
            item = scheduling.item_add(campaign=self.campaign, product=form.cleaned_data["product"],
                                       data=form.service_input())
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已添加活动商品「%(title)s」：活动价 ¥%(price)s。") % {
            "title": item.product.get_title(), "price": item.price})
        return redirect(self.screen.url("detail", self.campaign))


class CampaignItemUpdateView(CampaignMixin, generic.FormView):
    template_name = "backoffice/campaigns/item_form.html"

    def get_template_names(self):
        return [self.template_name]

    def get_form(self, form_class=None):
        return CampaignItemForm(self.request.POST if self.request.method == "POST" else None, item=self.item)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["regular_price"] = scheduling.regular_price(self.item.product)
        return context

    def form_valid(self, form):
        try:
            item = scheduling.item_update(item=self.item, data=form.service_input())
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存活动商品「%(title)s」。") % {"title": item.product.get_title()})
        return redirect(self.screen.url("detail", self.campaign))


class CampaignItemDeleteView(CampaignMixin, generic.TemplateView):
    template_name = "backoffice/campaigns/item_confirm_delete.html"

    def get_template_names(self):
        return [self.template_name]

    def post(self, request, *args, **kwargs):
        title = self.item.product.get_title()
        try:
            scheduling.item_remove(item=self.item)
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("已从活动中移除「%(title)s」。") % {"title": title})
        return redirect(self.screen.url("detail", self.campaign))


class CampaignLiveView(CampaignMixin, generic.TemplateView):
    """The figures and charts of a campaign, refreshed from ``live-data`` every few seconds."""

    template_name = "backoffice/campaigns/live.html"
    poll_seconds = 5

    def get_template_names(self):
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        results = reports.campaign_results(self.campaign)
        screen = self.screen
        context.update(
            results=results,
            state_label=Campaign.State(results.state).label,
            live_data={
                **reports.results_json(results),
                "url": screen.action_url("live-data", self.campaign),
                "poll_seconds": self.poll_seconds,
                "texts": {"units": _("累计售出（件）"), "quota_left": _("剩余限量（件）"), "sold": _("已售（件）"),
                          "unlimited": _("不限量")},
            },
            xlsx_url=screen.action_url("results-xlsx", self.campaign),
            csv_url=screen.action_url("results-csv", self.campaign),
        )
        return context


class CampaignLiveDataView(CampaignMixin, generic.View):
    def get(self, request, *args, **kwargs):
        response = JsonResponse(reports.results_json(reports.campaign_results(self.campaign)))
        response["Cache-Control"] = "private, no-store"
        return response


class CampaignResultsExportView(CampaignMixin, generic.View):
    content_types = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv; charset=utf-8",
    }

    def get(self, request, *args, **kwargs):
        extension = self.action.rsplit("-", 1)[1]
        results = reports.campaign_results(self.campaign)
        content = exports.results_xlsx(results) if extension == "xlsx" else exports.results_csv(results)
        response = HttpResponse(content, content_type=self.content_types[extension])
        response["Content-Disposition"] = content_disposition(*exports.export_filename(results, extension))
        response["Cache-Control"] = "private, no-store"
        return response
