"""Wagtail's page serving, with its routing reads cached under the page-cache
generation.

Wagtail routes every request with queries of its own: the Site for the host,
the site's root page as its specific class, then one child per path segment.
The result of that routing depends only on the host, the port, the path and
the page tree, and every change to a page or a site bumps the generation
(``shop.storefront.receivers``), so it is cached like any other shared read
and handed to Wagtail through the attributes ``Site.find_for_request`` and
``Page.route_for_request`` document as their per-request cache
(``request._wagtail_site``, ``request._wagtail_route_for_request``). Serving
itself (view restrictions, ``before_serve_page`` hooks, ``page.serve``) is
Wagtail's own ``wagtail.views.serve``.

A path that does not route (404) is not cached: it costs its queries each time;
nor is a page whose class routes on its own (``route()`` overridden, e.g.
``RoutablePageMixin``), which may read more of the request than the path.
"""
from django.http.request import split_domain_port
from django.utils.translation import get_language
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.url_routing import RouteResult

from shop.core.cache import cached_by_generation


def _route(request, path):
    site = Site.find_for_request(request)
    route = Page.route_for_request(request, path)
    if site is None or route is None:
        return None
    page, args, kwargs = route
    if type(page).route is not Page.route or type(site.root_page.specific).route is not Page.route:
        return None  # custom routing (e.g. RoutablePageMixin) may read more of the request than the path
    return site, page, tuple(args), dict(kwargs)


def route_for_request(request, path):
    """Prime Wagtail's per-request routing cache from the shared one."""
    if getattr(request, "is_preview", False) or hasattr(request, "_wagtail_route_for_request"):
        return
    hostname = split_domain_port(request._get_raw_host())[0]
    port = request.get_port()
    cached = cached_by_generation(
        "wagtail-route", get_language() or "", hostname, port, path, compute=lambda: _route(request, path)
    )
    if cached is not None and not hasattr(request, "_wagtail_route_for_request"):
        site, page, args, kwargs = cached
        request._wagtail_site = site
        request._wagtail_route_for_request = RouteResult(page, list(args), kwargs)


def serve(request, path):
    from wagtail import views as wagtail_views  # loads models: not at import (cms.models imports this module)

    route_for_request(request, path)
    return wagtail_views.serve(request, path)


def any_view_restrictions() -> bool:
    """Whether any page has a view restriction (cached until the next change:
    ``PageViewRestriction`` is a watched model)."""
    return cached_by_generation(
        "wagtail-view-restrictions", "any", compute=lambda: PageViewRestriction.objects.exists()
    )


class ViewRestrictionsMixin:
    """For page models: while no page has a view restriction (the usual case
    for this shop), ``get_view_restrictions()`` is an empty queryset without
    the two queries Wagtail's check runs on every serve (ancestors, then
    restrictions); once any exists, Wagtail's own lookup."""

    def get_view_restrictions(self):
        if not any_view_restrictions():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()
