import os

from django.apps import apps
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from shop.payments.webhooks import stripe_webhook
from shop.storefront import wagtail_serve

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("cms-admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", set_language, name="set_language"),
    # Trace pages and QR codes (/t/, /01/…/10/…, /v/): no language prefix, a
    # printed QR code must not encode a language (LocaleMiddleware picks it).
    path("", include("shop.traceability.urls")),
    # Stripe posts here: no language prefix, no CSRF token (the signature is checked).
    path("payments/stripe/webhook/", stripe_webhook, name="stripe-webhook"),
    # The pavilions push order events here (catalog_sync): no language prefix, no CSRF token.
    path("catalog-sync/", include("catalog_sync.urls")),
]

# Reference views for bench/pages.py, only when XIANGPIN_BENCH_VIEWS=1.
if os.environ.get("XIANGPIN_BENCH_VIEWS") == "1":
    urlpatterns.append(path("bench/", include("shop.core.bench_views")))

urlpatterns += i18n_patterns(
    path("shop/dashboard/xiangpin/", include("shop.backoffice.urls")),
    path("shop/pay/", include("shop.payments.urls")),
    path("shop/flash/", include("shop.campaigns.flash_urls")),
    path("shop/presale/", include("shop.presale.urls")),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
    path("brands/", include("shop.brands.urls")),
    path("crowdfunding/", include("shop.crowdfunding.urls")),
    # Wagtail's catch-all comes last: its own patterns, its page serving view
    # with the routing reads cached (shop.storefront.wagtail_serve).
    path("", include([
        *(p for p in wagtail_urls.urlpatterns if getattr(p, "name", None) != "wagtail_serve"),
        re_path(wagtail_urls.serve_pattern, wagtail_serve.serve, name="wagtail_serve"),
    ])),
    prefix_default_language=True,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns
