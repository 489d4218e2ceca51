from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogSyncConfig(AppConfig):
    name = "catalog_sync"
    label = "catalog_sync"
    verbose_name = _("渠道同步")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers

        receivers.connect()
