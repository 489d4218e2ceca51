from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shop.core"
    label = "xp_core"
    verbose_name = _("乡品通核心")

    def ready(self):
        from . import analytics

        analytics.connect()
