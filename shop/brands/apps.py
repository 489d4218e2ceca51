from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrandsConfig(AppConfig):
    name = "shop.brands"
    label = "brands"
    verbose_name = _("区域公用品牌与产品产地")
