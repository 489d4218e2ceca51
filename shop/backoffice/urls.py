"""Mounted at /<lang>/shop/dashboard/xiangpin/ (namespace "backoffice").

The patterns come from the app config so that Oscar's permission decorators
(``permissions_map``) wrap every view, exactly as for Oscar's own dashboard apps."""
from django.apps import apps

app_name = "backoffice"
urlpatterns = apps.get_app_config("backoffice").get_urls()
