"""Shared test set-up."""
import pytest
from django.db import connections
from pytest_django.plugin import blocking_manager_key


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """A fresh MEDIA_ROOT with Oscar's "missing image" already in it, as a deployed
    store has it.  Left to the first page that needs it, concurrent requests (the
    flash-sale tests' threads) race to create the same symlink and all but one fail."""
    from oscar.apps.catalogue.abstract_models import MissingProductImage

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))    # beside the test's own tmp_path, not in it
    MissingProductImage()


@pytest.fixture(autouse=True)
def _chinese_first():
    """Every test starts in the default language (zh-hans), whatever an earlier
    test (a request to /en/, a management command) left active in this thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """No test sees what an earlier one cached (pages, fragments, reports)."""
    from django.core.cache import cache

    cache.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush that empties every table, including
    what migrations created (sites, Wagtail's root page and locales, ...).  The
    suite's later non-transactional tests expect that data, so after a
    ``serialized_rollback`` test anywhere, load it back from the serialized copy."""
    yield
    marker = item.get_closest_marker("django_db")
    if nextitem is None or not marker or not marker.kwargs.get("serialized_rollback"):
        return
    connection = connections["default"]
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with item.config.stash[blocking_manager_key].unblock():
            connection.creation.deserialize_db_from_string(contents)
