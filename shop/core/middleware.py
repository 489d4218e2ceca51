"""Serve anonymous storefront pages from the page cache.

A request is served from (and stored into) the cache only when all hold:

* it is a GET (HEAD is served from the cache, never stored);
* its view is one of ``PAGE_CACHE_VIEWS`` (home and other Wagtail pages, brands,
  catalogue, categories, search, product pages);
* it carries no session cookie, no Oscar basket cookie and no messages cookie,
  and the user is anonymous.

A miss renders normally except that ``{% csrf_token %}`` renders a sentinel
(``shop.core.context_processors.page_cache``; cached fragments always hold it,
see ``{% cached_fragment %}``); the response is stored only when
it is a 200 HTML page that set no cookie, touched no session, queued no message
and did not ask not to be cached. On every serve, hit or miss, the sentinel is
replaced with the visitor's own CSRF token, on every HTML response that holds
it, cacheable view or not (``get_token`` also makes Django's
CSRF middleware, which sits outside this one, set the CSRF cookie), so a form
on a cached page posts fine and no visitor ever receives someone else's token.

The cache key holds the day, the time epoch (which changes when a campaign
starts or ends, ``shop.core.cache.time_epoch``), the language, the host, the path and the page's
query parameters (others, such as ``utm_source``, are ignored); the entry holds
the generation counter (``shop.core.cache``) it was rendered under and only
counts as a hit under the current one (one cache round trip for both). ``X-Page-Cache`` says
``hit``, ``miss`` (rendered and stored) or ``bypass`` (a cacheable view that
this request or response may not use the cache for).

Must sit after Session, Locale, CSRF, Authentication and Messages middleware and
before Oscar's BasketMiddleware.
"""
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from . import cache as page_cache

DEFAULT_PAGE_CACHE_VIEWS = frozenset(
    {
        "wagtail_serve",
        "brands:list",
        "brands:detail",
        "catalogue:index",
        "catalogue:category",
        "catalogue:detail",
        "search:search",
    }
)
MESSAGES_COOKIE_NAME = "messages"  # django.contrib.messages CookieStorage
HEADER = "X-Page-Cache"


@lru_cache(maxsize=4096)
def _view_name(path_info, language):
    """The view name a path resolves to (None if none), remembered: URL
    resolution is a walk over every pattern. The language is part of the
    key: i18n_patterns resolve the prefix of the active language."""
    try:
        return resolve(path_info).view_name
    except Resolver404:
        return None


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with page_cache.generation_scope():
            return self.serve(request)

    def serve(self, request):
        enabled = getattr(settings, "PAGE_CACHE_ENABLED", True)
        if not enabled or request.method not in ("GET", "HEAD") or not self.view_is_cacheable(request):
            return self.personalise(request, self.get_response(request))

        if not self.request_is_cacheable(request):
            response = self.get_response(request)
            response[HEADER] = "bypass"
            return self.personalise(request, self.keep_private(response))

        key = page_cache.page_cache_key(
            host=request.get_host(),
            full_path=request.path + "?" + page_cache.normalized_query(request.GET),
            language=get_language() or "",
            day=timezone.localdate().isoformat(),
            epoch=page_cache.time_epoch(),
        )
        generation, page = page_cache.page_cache_lookup(key)
        if page is not None:
            response = HttpResponse(page.content, status=page.status, content_type=page.content_type)
            response[HEADER] = "hit"
            return self.personalise(request, self.keep_private(response))

        request.page_cache_render = True
        response = self.get_response(request)
        if request.method == "GET" and self.response_is_storable(request, response):
            response.content = page_cache.compact_html(response.content)
            page_cache.page_cache_store(
                key,
                page_cache.CachedPage(
                    content=response.content, status=response.status_code, content_type=response["Content-Type"]
                ),
                generation=generation,
            )
            response[HEADER] = "miss"
        else:
            response[HEADER] = "bypass"
        return self.personalise(request, self.keep_private(response))

    @staticmethod
    def view_is_cacheable(request) -> bool:
        view_name = _view_name(request.path_info, get_language())
        return view_name in getattr(settings, "PAGE_CACHE_VIEWS", DEFAULT_PAGE_CACHE_VIEWS)

    @staticmethod
    def request_is_cacheable(request) -> bool:
        cookies = request.COOKIES
        blocking = (settings.SESSION_COOKIE_NAME, settings.OSCAR_BASKET_COOKIE_OPEN, MESSAGES_COOKIE_NAME)
        if any(name in cookies for name in blocking):
            return False
        user = getattr(request, "user", None)
        return not (user is not None and user.is_authenticated)

    @staticmethod
    def response_is_storable(request, response) -> bool:
        if not getattr(request, "page_cache_render", False):
            return False  # the view opted out
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        if not response.get("Content-Type", "").startswith("text/html"):
            return False
        cache_control = response.get("Cache-Control", "")
        if any(word in cache_control for word in ("private", "no-store", "no-cache")):
            return False
        session = getattr(request, "session", None)
        if session is not None and session.modified:
            return False
        storage = getattr(request, "_messages", None)
        if storage is not None and getattr(storage, "added_new", False):
            return False
        user = getattr(request, "user", None)
        return not (user is not None and user.is_authenticated)

    @staticmethod
    def keep_private(response):
        """Storefront pages are cached here, per visitor kind; shared caches
        on the way must not keep them (a signed-in page, a CSRF token)."""
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ("Cookie",))
        return response

    @staticmethod
    def personalise(request, response):
        """Put this visitor's CSRF token where the sentinel is (from a cached
        page, or a cached fragment on any page)."""
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and page_cache.CSRF_SENTINEL_BYTES in response.content
        ):
            token = get_token(request).encode("ascii")
            response.content = response.content.replace(page_cache.CSRF_SENTINEL_BYTES, token)
            # The body now holds a per-visitor token: shared caches must not keep it.
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ("Cookie",))
        return response
