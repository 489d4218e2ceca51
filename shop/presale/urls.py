from django.urls import path

from . import views

app_name = "presale"

urlpatterns = [
    path("<int:pk>/buy/", views.buy, name="buy"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<str:number>/", views.order_detail, name="order-detail"),
    path("orders/<str:number>/balance/", views.balance_pay, name="balance-pay"),
]
