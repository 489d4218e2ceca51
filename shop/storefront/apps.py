from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorefrontConfig(AppConfig):
    """The consumer-facing storefront: views and selectors for the catalogue
    (swapped into Oscar by ``oscar_apps``), template tags, and the receivers
    that invalidate the page cache."""

    name = "shop.storefront"
    label = "storefront"
    verbose_name = _("商城前台")
    default = True

    def ready(self):
        from . import receivers

        receivers.connect()
