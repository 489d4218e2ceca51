from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "shop.campaigns"
    label = "campaigns"
    verbose_name = _("节庆活动")

    def ready(self):
        from shop.core.cache import register_epoch_source

        from . import receivers
        from .calendar import campaign_epoch

        receivers.connect()
        register_epoch_source(campaign_epoch)  # pages re-render when a campaign starts or ends
