from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """Operator screens for the Xiangpin domain, inside Oscar's dashboard."""

    name = "shop.backoffice"
    label = "backoffice"
    verbose_name = _("运营后台")
