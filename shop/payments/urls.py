from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("<uuid:reference>/", views.pay, name="pay"),
    path("<uuid:reference>/card/", views.pay_card, name="card"),
    path("<uuid:reference>/return/", views.pay_return, name="return"),
    path("<uuid:reference>/status/", views.pay_status, name="status"),
    path("<uuid:reference>/cancel/", views.pay_cancel, name="cancel"),
]
