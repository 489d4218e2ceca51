from django.urls import path

from .views import push_receive_view

urlpatterns = [
    path("push/<slug:code>/", push_receive_view, name="catalog-sync-push"),
]
