"""Channel sync (渠道同步, catalog_sync), the operators' dashboard and the
cooperatives' view of their own products on the pavilions.

- ``ChannelScreen``: every channel with its figures, a channel's detail (chart of
  the last 24 hours, dead letters with a retry button, retry queue, failed
  listings, imported orders) and the POST-only actions "立即推送" / "导入订单"
  (the ``catalog_sync.tasks`` jobs) and "重试" on a dead letter.  Campaign
  managers (运营) and administrators: ``catalog_sync.view_channel`` to read,
  ``change_channel`` to start a push or an import, ``change_deadletter`` to
  retry.  Cooperatives, pickup staff and programme officers get 403.
- ``ChannelListingScreen``: the listing status of the products the user may see
  (``access.products_visible_to``: a cooperative's own, everything for staff),
  per channel, with the last error in plain words; another cooperative's product
  is a 404.  ``catalog_sync.view_channellisting``.

No page shows a channel's credentials."""
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _

from catalog_sync.models import Channel, ChannelListing

from ..access import products_visible_to
from ..crud import Screen

VIEW_CHANNEL = "catalog_sync.view_channel"
RUN_CHANNEL = "catalog_sync.change_channel"
RETRY_DEAD_LETTER = "catalog_sync.change_deadletter"
VIEW_LISTING = "catalog_sync.view_channellisting"

SECTION = _("渠道同步")


class ChannelScreen(Screen):
    model = Channel
    name = "channel"
    path = "channels"
    icon = "fas fa-sync-alt"
    section = SECTION
    verbose_name = _("渠道")
    verbose_name_plural = _("渠道看板")
    actions = ("list", "detail", "push", "import-orders", "dead-letter-retry")
    writes = {"push": RUN_CHANNEL, "import-orders": RUN_CHANNEL, "dead-letter-retry": RETRY_DEAD_LETTER}

    # -- permissions ----------------------------------------------------------
    def required_permissions(self, action):
        permissions = [VIEW_CHANNEL]
        if action in self.writes:
            permissions.append(self.writes[action])
        return permissions

    def permissions_map(self):
        return {self.url_name(action): self.required_permissions(action) for action in self.actions}

    def can(self, user, action) -> bool:
        return user.has_perms(self.required_permissions(action))

    # -- reads ----------------------------------------------------------------
    def channel(self, pk):
        return get_object_or_404(Channel.objects.select_related("order_cursor"), pk=pk)

    # -- URLs -----------------------------------------------------------------
    def routes(self):
        return {
            "list": f"{self.path}/",
            "detail": f"{self.path}/<int:pk>/",
            "push": f"{self.path}/<int:pk>/push/",
            "import-orders": f"{self.path}/<int:pk>/import-orders/",
            "dead-letter-retry": f"{self.path}/<int:pk>/dead-letters/<int:letter_pk>/retry/",
        }

    def get_urls(self):
        from .. import views_channels

        view_classes = {
            "list": views_channels.ChannelListView,
            "detail": views_channels.ChannelDetailView,
            "push": views_channels.ChannelPushView,
            "import-orders": views_channels.ChannelImportOrdersView,
            "dead-letter-retry": views_channels.DeadLetterRetryView,
        }
        routes = self.routes()
        return [
            path(routes[action], view.as_view(screen=self, action=action), name=self.url_name(action))
            for action, view in view_classes.items()
        ]


class ChannelListingScreen(Screen):
    model = ChannelListing
    name = "channel-listing"
    path = "channels/products"
    icon = "fas fa-store-alt"
    section = SECTION
    verbose_name = _("渠道商品")
    verbose_name_plural = _("渠道商品状态")
    actions = ("list", "detail")
    paginate_by = 50

    def required_permissions(self, action):
        return [VIEW_LISTING]

    def products(self, user):
        return products_visible_to(user)

    def product(self, user, pk):
        return get_object_or_404(self.products(user), pk=pk)

    def routes(self):
        return {"list": f"{self.path}/", "detail": f"{self.path}/<int:pk>/"}

    def get_urls(self):
        from .. import views_channels

        routes = self.routes()
        return [
            path(routes["list"], views_channels.ListingStatusListView.as_view(screen=self, action="list"),
                 name=self.url_name("list")),
            path(routes["detail"], views_channels.ListingStatusDetailView.as_view(screen=self, action="detail"),
                 name=self.url_name("detail")),
        ]
