"""Settings shared by every environment. Everything comes from the environment,
with embedded defaults (SQLite, local memory cache, in-process jobs, local media)."""
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from oscar.defaults import *  # noqa: F401,F403

from shop.campaigns.themes import campaign_theme_folders
from shop.fulfilment.statuses import ORDER_STATUS_PIPELINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-insecure-xiangpin-key-change-me")
# Salt for the encrypted household fields (django-fernet-encrypted-fields derives
# its Fernet keys from SECRET_KEY (+ SECRET_KEY_FALLBACKS) and SALT_KEY).
SALT_KEY = env_list("FIELD_ENCRYPTION_SALT", "xiangpin-household-salt")
# Key of the HMAC blind index that lets us find a household by ID number
# without storing the number in plaintext.
HOUSEHOLD_LOOKUP_KEY = env("HOUSEHOLD_LOOKUP_KEY", "dev-household-lookup-key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.humanize",
    # Oscar
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "shop.checkout.apps.CheckoutConfig",  # Oscar's checkout, pickup views swapped in (not a fork)
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "shop.storefront.oscar_apps.CatalogueConfig",  # Oscar's catalogue, our views swapped in (not a fork)
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "shop.storefront.oscar_apps.SearchConfig",  # Oscar's search, database search view swapped in
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "shop.backoffice.oscar_apps.OrdersDashboardConfig",  # Oscar's order dashboard, staff only (not a fork)
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "sorl.thumbnail",
    "django_tables2",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Xiangpin
    "shop.core",
    "shop.regions",
    "shop.producers",
    "shop.brands",
    "shop.storefront.apps.StorefrontConfig",
    "shop.fulfilment",
    "shop.inventory",
    "shop.payments.apps.PaymentsConfig",
    "shop.harvest.apps.HarvestConfig",
    "shop.attribution.apps.AttributionConfig",
    "shop.campaigns.apps.CampaignsConfig",
    "shop.presale.apps.PresaleConfig",
    "shop.crowdfunding.apps.CrowdfundingConfig",
    "catalog_sync.apps.CatalogSyncConfig",
    "shop.traceability.apps.TraceabilityConfig",
    "shop.backoffice",
    "cms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop.core.middleware.PageCacheMiddleware",  # after session/locale/csrf/auth/messages, before basket
    "oscar.apps.basket.middleware.BasketMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

# Themes (shop.campaigns.themes): themes/default is the store's look; every other folder
# with a theme.json is a campaign theme that re-skins the store while its campaign is live.
THEMES_DIR = BASE_DIR / "themes"
CAMPAIGN_THEMES = campaign_theme_folders(THEMES_DIR)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The default theme, then each campaign theme's templates (only campaigns/themes/<name>/ in them).
        "DIRS": [THEMES_DIR / "default" / "templates", *(THEMES_DIR / name / "templates" for name in CAMPAIGN_THEMES)],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "shop.core.context_processors.lazy_search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "shop.core.context_processors.lazy_notifications",
                "oscar.core.context_processors.metadata",
                "shop.core.context_processors.page_cache",
                "shop.campaigns.context_processors.live_campaign",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "xiangpin"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "xiangpin",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/"

# Internationalisation: Chinese first, English second, both with URL prefixes.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_I18N_ENABLED = False
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
# A campaign theme's static files are served under themes/<name>/.
STATICFILES_DIRS = [THEMES_DIR / "default" / "static",
                    *((f"themes/{name}", THEMES_DIR / name / "static") for name in CAMPAIGN_THEMES)]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SITE_ID = 1
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@xiangpin.example")

# Anonymous page cache (shop.core.middleware.PageCacheMiddleware): seconds a page is kept;
# any catalogue or page change makes cached pages stale at once anyway.
PAGE_CACHE_SECONDS = int(env("PAGE_CACHE_SECONDS", "600"))

# Minutes a basket's stock reservation (shop.inventory) holds units for its checkout.
XIANGPIN_RESERVATION_MINUTES = int(env("XIANGPIN_RESERVATION_MINUTES", "15"))
# Uncollected pickup orders: a reminder after this many days at the point, then return and refund.
XIANGPIN_PICKUP_REMINDER_DAYS = int(env("XIANGPIN_PICKUP_REMINDER_DAYS", "3"))
XIANGPIN_PICKUP_RETURN_DAYS = int(env("XIANGPIN_PICKUP_RETURN_DAYS", "7"))

# Oscar
OSCAR_SHOP_NAME = _("乡品通")
OSCAR_SHOP_TAGLINE = _("广东扶贫农产品")
OSCAR_HOMEPAGE = "/"
OSCAR_DYNAMIC_CLASS_LOADER = "shop.core.loading.class_loader"  # campaign prices (shop.campaigns.strategy)
OSCAR_DEFAULT_CURRENCY = "CNY"
OSCAR_CURRENCY_FORMAT = {"CNY": {"format": "¥#,##0.00"}}
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL
OSCAR_ALLOW_ANON_CHECKOUT = True
OSCAR_ORDER_STATUS_PIPELINE = ORDER_STATUS_PIPELINE  # shop.fulfilment.statuses

# Stripe (card, Alipay, WeChat Pay). Without keys no online method is offered.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env("STRIPE_API_BASE", "")  # e.g. http://127.0.0.1:8420 for localstripe
STRIPE_JS_URL = env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_METHODS = [code.strip() for code in env("STRIPE_METHODS", "card,alipay,wechat_pay").split(",") if code.strip()]
STRIPE_WEBHOOK_TOLERANCE = 300  # seconds, both into the past and into the future
OSCAR_REQUIRED_ADDRESS_FIELDS = ("first_name", "line1", "line4", "country")
OSCAR_PRODUCTS_PER_PAGE = 20
OSCAR_THUMBNAILER = "oscar.core.thumbnails.SorlThumbnail"
OSCAR_MISSING_IMAGE_URL = "image_not_found.jpg"
THUMBNAIL_KVSTORE = "sorl.thumbnail.kvstores.cached_db_kvstore.KVStore"
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}

# Wagtail
WAGTAIL_SITE_NAME = "乡品通 Xiangpin"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_IMAGE_MODEL = "wagtailimages.Image"

# Background jobs run in process on the embedded default.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "")
# Without a broker every task runs in process, at once (and its errors reach the caller).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only once it has finished; one whose worker died is run again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers a message not acknowledged within this many seconds (a worker killed
# mid-task); every retry delay stays well below it (catalog_sync.tasks.MAX_RETRY_DELAY).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_TIMEZONE = "Asia/Shanghai"
# Absolute links and image URLs pushed to external channels (catalog_sync).
CATALOG_SYNC_PUBLIC_URL = env("CATALOG_SYNC_PUBLIC_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# --- Dashboard navigation (owned by shop.backoffice) -------------------------
# Oscar's menu plus the Xiangpin section. Each item is shown only to users who
# pass the permissions of its URL (Oscar's default_access_fn reads the
# permissions_map of shop.backoffice's OscarDashboardConfig).
OSCAR_DASHBOARD_NAVIGATION = OSCAR_DASHBOARD_NAVIGATION + [  # noqa: F405
    {
        "label": _("乡村振兴"),
        "icon": "fas fa-seedling",
        "children": [
            {"label": _("地级市"), "url_name": "backoffice:city-list"},
            {"label": _("县（市、区）"), "url_name": "backoffice:county-list"},
            {"label": _("乡镇"), "url_name": "backoffice:township-list"},
            {"label": _("行政村"), "url_name": "backoffice:village-list"},
            {"label": _("服务网点"), "url_name": "backoffice:service-point-list"},
            {"label": _("市场主体"), "url_name": "backoffice:market-subject-list"},
            {"label": _("建档立卡贫困户"), "url_name": "backoffice:household-list"},
            {"label": _("区域公用品牌"), "url_name": "backoffice:brand-list"},
            {"label": _("商品产地与认定"), "url_name": "backoffice:product-origin-list"},
            {"label": _("采收批次"), "url_name": "backoffice:harvest-batch-list"},
            {"label": _("自提点到货批次"), "url_name": "backoffice:harvest-point-batch-list"},
        ],
    },
    {
        "label": _("配送与自提"),
        "icon": "fas fa-truck",
        "children": [
            {"label": _("配送波次"), "url_name": "backoffice:delivery-wave-list"},
            {"label": _("取货交付"), "url_name": "backoffice:pickup-hand-over"},
            {"label": _("待取货订单"), "url_name": "backoffice:pickup-order-list"},
            {"label": _("到货波次"), "url_name": "backoffice:pickup-wave-list"},
            {"label": _("运费标准"), "url_name": "backoffice:delivery-rate-list"},
        ],
    },
    {
        "label": _("营销活动"),
        "icon": "fas fa-bullhorn",
        "children": [
            {"label": _("节庆活动"), "url_name": "backoffice:campaign-list"},
            {"label": _("预售"), "url_name": "backoffice:presale-list"},
        ],
    },
    {
        "label": _("监测统计"),
        "icon": "fas fa-chart-bar",
        "children": [
            {"label": _("收益归属报表"), "url_name": "backoffice:attribution-report"},
        ],
    },
]
# --- end of dashboard navigation ---------------------------------------------
OSCAR_DASHBOARD_NAVIGATION.append({  # crowdfunding (shop.crowdfunding)
    "label": _("众筹认养"),
    "icon": "fas fa-hand-holding-heart",
    "children": [{"label": _("众筹项目"), "url_name": "backoffice:crowdfunding-project-list"}],
})
OSCAR_DASHBOARD_NAVIGATION.append({  # channel sync (catalog_sync, shop.backoffice.screens.channels)
    "label": _("渠道同步"),
    "icon": "fas fa-sync-alt",
    "children": [
        {"label": _("渠道看板"), "url_name": "backoffice:channel-list"},
        {"label": _("渠道商品状态"), "url_name": "backoffice:channel-listing-list"},
    ],
})
