from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TraceabilityConfig(AppConfig):
    """Public trace pages (一品一码 / 一村一码); no models of its own."""

    name = "shop.traceability"
    label = "traceability"
    verbose_name = _("公开溯源")
