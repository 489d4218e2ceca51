from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog_sync.channels import channel_config, env_prefix
from catalog_sync.models import ChannelListing

from .fake import FakeConnector
from .helpers import key, listed_product, pending

pytestmark = pytest.mark.django_db


def test_push_command_drains_the_outbox(channel, monkeypatch):
    fake = FakeConnector(max_batch=2)
    monkeypatch.setattr("catalog_sync.channels.connector_for", lambda channel: fake)
    products = [listed_product(channel) for _ in range(5)]
    out = StringIO()
    call_command("catalog_sync_push", "--channel", "jd-test", "--limit", "2", stdout=out, stderr=StringIO())
    assert sorted(k for _m, keys in fake.calls for k in keys) == sorted(key(p) for p in products)
    assert "新建 5" in out.getvalue()
    assert pending(channel) == 0
    call_command("catalog_sync_push", "--channel", "jd-test", "--all", stdout=StringIO(), stderr=StringIO())
    assert len(fake.calls) == 3                      # nothing changed: no call
    call_command("catalog_sync_push", "--channel", "jd-test", "--all", "--force", stdout=StringIO(),
                 stderr=StringIO())
    assert [m for m, _k in fake.calls[3:]] == ["push_listings"] * 3    # forced: everything again, as updates
    assert all(fake.count(key(p)) == 1 for p in products)
    assert set(ChannelListing.objects.values_list("state", flat=True)) == {"live"}


def test_push_command_unknown_channel():
    with pytest.raises(CommandError):
        call_command("catalog_sync_push", "--channel", "nope")


def test_environment_first_then_channel_fields(channel):
    channel.code, channel.app_key, channel.base_url = "jd-main", "db-key", "https://api.jd.com/routerjson"
    environ = {"CATALOG_SYNC_JD_MAIN_APP_SECRET": "env-secret", "CATALOG_SYNC_JD_MAIN_BASE_URL": "http://127.0.0.1:9",
               "CATALOG_SYNC_JD_MAIN_TIMEOUT": "2.5", "CATALOG_SYNC_OTHER_APP_KEY": "not-ours"}
    config = channel_config(channel, environ)
    assert env_prefix("jd-main") == "CATALOG_SYNC_JD_MAIN_"
    assert (config.base_url, config.app_key, config.app_secret, config.access_token, config.timeout) == (
        "http://127.0.0.1:9", "db-key", "env-secret", "test-token", 2.5)


def fake_factory(channel):
    return FakeConnector(max_batch=7)


def test_connector_factory_setting(channel, settings):
    from catalog_sync.channels import connector_for

    settings.CATALOG_SYNC_CONNECTOR_FACTORY = "tests.catalog_sync.engine.test_command_and_config.fake_factory"
    connector = connector_for(channel)
    assert isinstance(connector, FakeConnector) and connector.max_batch == 7
