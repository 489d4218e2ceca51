"""Views of the channel sync screens (``screens.channels``): thin — figures come
from ``catalog_sync.selectors_dashboard``, a dead letter is retried by
``catalog_sync.relay.dead_letter_retry`` and a push or an order import is the
``catalog_sync.tasks`` job (queued on the broker, or run in process without one)."""
import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import generic
from oscar.apps.dashboard.nav import default_access_fn

from catalog_sync import selectors_dashboard as figures
from catalog_sync import tasks
from catalog_sync.models import DeadLetter
from catalog_sync.relay import dead_letter_retry

from .views import ScreenViewMixin

logger = logging.getLogger(__name__)


class _ChannelView(ScreenViewMixin, generic.TemplateView):
    template_name = None

    def get_template_names(self):
        return [self.template_name]


class ChannelListView(_ChannelView):
    template_name = "backoffice/channels/channel_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summaries"] = [
            {"summary": summary, "detail_url": self.screen.url("detail", summary.channel)}
            for summary in figures.channel_summaries()
        ]
        return context


class ChannelDetailView(_ChannelView):
    template_name = "backoffice/channels/channel_detail.html"

    def prepare(self):
        self.channel = self.screen.channel(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        channel, screen, user = self.channel, self.screen, self.request.user
        summary = figures.channel_summary(channel)
        buckets = figures.hourly_calls(channel)
        can_retry = screen.can(user, "dead-letter-retry")
        orders_linked = default_access_fn(user, "dashboard:order-list")
        context.update(
            channel=channel,
            summary=summary,
            buckets=buckets,
            busy_hours=[bucket for bucket in buckets if bucket.calls],
            chart_data=figures.chart_data(buckets),
            dead_letters=[
                {"letter": letter,
                 "retry_url": screen.url("dead-letter-retry", channel, letter_pk=letter.pk) if can_retry else None}
                for letter in figures.open_dead_letters(channel)
            ],
            retry_queue=figures.retry_queue(channel),
            failed_listings=figures.failed_listings(channel),
            remote_delists=figures.waiting_remote_delists(channel),
            latest_orders=figures.latest_imported_orders(channel),
            attention_orders=figures.orders_needing_attention(channel),
            orders_linked=orders_linked,
            order_error=figures.order_cursor_error(channel),
            push_url=screen.url("push", channel) if screen.can(user, "push") else None,
            import_url=(screen.url("import-orders", channel)
                        if summary.has_orders and screen.can(user, "import-orders") else None),
        )
        return context


class _ChannelAction(ScreenViewMixin, generic.View):
    """POST only: a GET (once access is granted) is 405."""

    http_method_names = ["post"]

    def prepare(self):
        self.channel = self.screen.channel(self.kwargs["pk"])

    def back(self):
        return redirect(self.screen.url("detail", self.channel))


class _TaskView(_ChannelAction):
    task = None
    done_message = ""
    failed_message = ""

    def refused(self) -> str:
        """Why the job cannot run for this channel ('' when it can)."""
        return "" if self.channel.is_enabled else _("渠道「%(name)s」已停用，不能同步。") % {"name": self.channel.name}

    def post(self, request, *args, **kwargs):
        reason = self.refused()
        if reason:
            messages.warning(request, reason)
            return self.back()
        try:
            type(self).task.delay(self.channel.pk)
        except Exception:   # run in process (no broker): the platform's error ends here, not in a 500
            logger.exception("channel %s: %s from the dashboard failed", self.channel.code, self.action)
            messages.error(request, self.failed_message % {"name": self.channel.name})
        else:
            messages.success(request, self.done_message % {"name": self.channel.name})
        return self.back()


class ChannelPushView(_TaskView):
    task = tasks.channel_push
    done_message = _("已提交渠道「%(name)s」的推送任务：待推送的商品变更会发送到平台。")
    failed_message = _("渠道「%(name)s」推送失败，请稍后再试；未发送的变更会自动重试。")


class ChannelImportOrdersView(_TaskView):
    task = tasks.channel_import_orders
    done_message = _("已提交渠道「%(name)s」的订单导入任务。")
    failed_message = _("渠道「%(name)s」订单导入失败，请稍后再试；导入进度已保存，下次从中断处继续。")

    def refused(self) -> str:
        if not figures.channel_has_orders(self.channel):
            return _("渠道「%(name)s」是商品 Feed，没有订单可导入。") % {"name": self.channel.name}
        return super().refused()


class DeadLetterRetryView(_ChannelAction):
    def post(self, request, *args, **kwargs):
        letter = get_object_or_404(DeadLetter.objects.select_related("listing__product"),
                                   pk=self.kwargs["letter_pk"], listing__channel=self.channel)
        title = letter.listing.product.get_title()
        if dead_letter_retry(letter) is None:
            messages.info(request, _("「%(title)s」的死信已处理过，无需重试。") % {"title": title})
        else:
            messages.success(request, _("已将「%(title)s」重新排入推送队列，下次推送时重试。") % {"title": title})
        return self.back()


class ListingStatusListView(_ChannelView):
    template_name = "backoffice/channels/listing_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statuses = figures.listing_statuses(self.screen.products(self.request.user))
        page = Paginator(statuses, self.screen.paginate_by).get_page(self.request.GET.get("page"))
        context.update(
            rows=[{"status": status, "product_url": self.screen.url("detail", pk=status.product_id)}
                  for status in page.object_list],
            page_obj=page, paginator=page.paginator, is_paginated=page.has_other_pages(),
        )
        return context


class ListingStatusDetailView(_ChannelView):
    template_name = "backoffice/channels/listing_detail.html"

    def prepare(self):
        self.product = self.screen.product(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        products = self.screen.products(self.request.user).filter(pk=self.product.pk)
        context.update(product=self.product, statuses=figures.listing_statuses(products))
        return context
