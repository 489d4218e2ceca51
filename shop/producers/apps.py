from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProducersConfig(AppConfig):
    name = "shop.producers"
    label = "producers"
    verbose_name = _("市场主体与贫困户")
