"""Public trace URLs, mounted outside ``i18n_patterns`` (a printed QR code
must not encode a language; LocaleMiddleware picks it per visitor).

* ``/t/<code>/``: a batch's trace page (the short URL, any case);
* ``/01/<gtin>/10/<lot>``: the same page at its GS1 Digital Link URI;
* ``/t/<code>/qr.svg|png``: the batch's QR code;
* ``/v/<village code>/`` and ``/v/<code>/qr.svg|png``: the village code (一村一码);
* ``/t/?code=…``: look a code up (the not-found page's search box).
"""
from django.urls import path

from . import views

app_name = "trace"

urlpatterns = [
    path("t/", views.lookup, name="lookup"),
    path("t/<str:code>/", views.batch_detail, name="batch"),
    path("t/<str:code>/qr.svg", views.batch_qr, {"kind": "svg"}, name="batch_qr_svg"),
    path("t/<str:code>/qr.png", views.batch_qr, {"kind": "png"}, name="batch_qr_png"),
    path("01/<str:gtin>/10/<str:lot>", views.batch_gs1, name="gs1"),
    path("01/<str:gtin>/10/<str:lot>/", views.batch_gs1),
    path("v/<str:code>/", views.village_detail, name="village"),
    path("v/<str:code>/qr.svg", views.village_qr, {"kind": "svg"}, name="village_qr_svg"),
    path("v/<str:code>/qr.png", views.village_qr, {"kind": "png"}, name="village_qr_png"),
]
