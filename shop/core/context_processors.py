"""Template context processors of our own."""
from django.utils.functional import SimpleLazyObject
from oscar.core.loading import get_model

from .cache import CSRF_SENTINEL


def page_cache(request):
    """On a request the page cache may store, render ``{% csrf_token %}`` as a
    sentinel that ``PageCacheMiddleware`` swaps for the visitor's own token on
    every serve. Listed after Django's built-in csrf processor, so it wins."""
    if getattr(request, "page_cache_render", False):
        return {"csrf_token": CSRF_SENTINEL}
    return {}


def lazy_notifications(request):
    """Oscar's ``notifications`` processor, but the unread count is only queried
    when a template shows it (Oscar's runs a COUNT on every signed-in render)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count_unread():
        Notification = get_model("communication", "Notification")
        return Notification.objects.filter(recipient=user, date_read=None).count()

    return {"num_unread_notifications": SimpleLazyObject(count_unread)}


def lazy_search_form(request):
    """Oscar's ``search_form`` processor, but the form is only built when a
    template uses it (Oscar's account and checkout pages; the storefront
    layout has a search form of its own)."""

    def build():
        from oscar.core.loading import get_class

        return get_class("search.forms", "SearchForm")(request.GET)

    return {"search_form": SimpleLazyObject(build)}
