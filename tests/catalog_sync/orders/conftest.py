import pytest

from catalog_sync.models import Channel, Platform

from . import fake


def make_channel(code, platform, name=""):
    # Secrets set: the encrypted fields store "" as NULL, which their NOT NULL columns refuse.
    return Channel.objects.create(code=code, name=name or code, platform=platform, app_secret="test-secret",
                                  access_token="test-token", refresh_token="test-refresh")


@pytest.fixture
def pdd(db):
    return make_channel("pdd-test", Platform.PINDUODUO, "拼多多扶贫馆")


@pytest.fixture
def registered(settings):
    """Register a fake connector for a channel; the tasks, view and command find it."""
    settings.CATALOG_SYNC_CONNECTOR_FACTORY = "tests.catalog_sync.orders.fake.registered_connector"

    def register(channel, connector):
        fake.REGISTRY[channel.code] = connector
        return connector

    yield register
    fake.REGISTRY.clear()
