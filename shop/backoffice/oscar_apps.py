"""Oscar's order dashboard, for staff only (not a fork: Oscar's app name, label,
views and URLs; only its permissions change).

Oscar lets a partner's users open the order list and detail of any order that has
one of their lines, and shows them every line and the full shipping address. Here a
cooperative sees its orders through its delivery waves (only its own lines, masked
recipients) and pickup-point staff through their point's screens, so Oscar's order
views keep only their staff permissions.
"""
from oscar.apps.dashboard.orders.apps import OrdersDashboardConfig as OscarOrdersDashboardConfig


class OrdersDashboardConfig(OscarOrdersDashboardConfig):
    def configure_permissions(self):
        super().configure_permissions()
        # Each entry is a tuple of alternatives; the first is staff with the order permission.
        self.permissions_map = {name: alternatives[:1] for name, alternatives in self.permissions_map.items()}
