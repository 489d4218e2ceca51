from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrowdfundingConfig(AppConfig):
    name = "shop.crowdfunding"
    label = "crowdfunding"
    verbose_name = _("众筹认养")

    def ready(self):
        from shop.payments import purposes
        from shop.payments.models import PaymentPurpose

        from .services import pledge_payment_settle

        purposes.register(PaymentPurpose.PLEDGE, pledge_payment_settle)
