from django.urls import path

from .flash_views import flash_buy

app_name = "flash"

urlpatterns = [
    path("buy/", flash_buy, name="buy"),
]
