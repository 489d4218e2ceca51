import pytest


@pytest.fixture(autouse=True)
def _fresh_channel_flag():
    """catalog_sync.outbox caches "is any channel enabled?" per process; a channel
    created by a test and rolled back must not leave the next test (here or in
    another suite) paying for a stale "yes"."""
    from catalog_sync import outbox

    outbox.channels_changed()
    yield
    outbox.channels_changed()
