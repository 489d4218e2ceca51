from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PresaleConfig(AppConfig):
    name = "shop.presale"
    label = "presale"
    verbose_name = _("预售")

    def ready(self):
        from shop.core.cache import register_epoch_source
        from shop.payments import purposes
        from shop.payments.models import PaymentPurpose

        from . import receivers, services
        from .calendar import presale_epoch

        purposes.register(PaymentPurpose.PRESALE, services.upfront_payment_settle, services.payment_page_url)
        purposes.register(PaymentPurpose.PRESALE_BALANCE, services.balance_payment_settle, services.payment_page_url)
        receivers.connect()
        register_epoch_source(presale_epoch)  # product pages re-render when a window opens or closes
