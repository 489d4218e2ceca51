"""Shared test set-up."""
import pytest
from django.db import connections
from pytest_django.plugin import blocking_manager_key


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


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
