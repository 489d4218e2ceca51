from django.utils.translation import gettext_lazy as _
from oscar.core import application


class BackofficeConfig(application.OscarDashboardConfig):
    """Operator screens for the Xiangpin domain, inside Oscar's dashboard.

    An Oscar dashboard config, so that Oscar's navigation (``default_access_fn``)
    finds our URL names and applies the same ``permissions_map`` that guards the
    views. Each screen declares the Django model permissions its views need;
    object-level scoping (own cooperative, own service point) lives in the screens.
    """

    # Imported base classes are AppConfig candidates too; this one is the default.
    default = True
    name = "shop.backoffice"
    label = "backoffice"
    verbose_name = _("运营后台")
    namespace = "backoffice"

    def ready(self):
        self.configure_permissions()

    def configure_permissions(self):
        from .screens import SCREENS

        permissions_map = {}
        for screen in SCREENS:
            permissions_map.update(screen.permissions_map())
        self.permissions_map = permissions_map

    def get_urls(self):
        from .screens import SCREENS

        urls = []
        for screen in SCREENS:
            urls += screen.get_urls()
        return self.post_process_urls(urls)
