"""Refreshed tokens outlive the connector: Pinduoduo rotates refresh tokens (the
spent one is refused), and the tasks make a fresh connector per run, so the new
pair is kept in the channel's encrypted fields and wins over the environment's
from then on.  Without that the second expiry would be a dead channel."""
from decimal import Decimal

import pytest
from django.db import connection

from catalog_sync.channels import channel_config
from catalog_sync.connectors.pinduoduo import TOKEN_REFRESH
from catalog_sync.models import Channel
from catalog_sync.relay import relay_run

from .helpers import listed_product, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim(pdd_sim):
    return pdd_sim


@pytest.fixture
def pdd(sim, monkeypatch):
    # The first tokens come from the environment, as a deployment would give them.
    monkeypatch.setenv("CATALOG_SYNC_PDD_SIM_ACCESS_TOKEN", sim.access_token)
    monkeypatch.setenv("CATALOG_SYNC_PDD_SIM_REFRESH_TOKEN", sim.refresh_token)
    return Channel.objects.create(code="pdd-sim", name="拼多多（模拟）", platform="pinduoduo", base_url=sim.url,
                                  app_key=sim.app_key, app_secret=sim.app_secret, stock_buffer=0)


def run(channel):
    """One relay run as the tasks make it: the channel read afresh, a fresh connector."""
    return relay_run(Channel.objects.get(pk=channel.pk))


def refreshes(sim):
    return sum(1 for method, _params in sim.calls if method == TOKEN_REFRESH)


def restock(product, quantity):
    stock = record(product)
    stock.num_in_stock = quantity
    stock.save()


def test_each_expiry_is_refreshed_once_with_the_last_refresh_token(pdd, sim):
    product = listed_product(pdd, price=Decimal("19.90"), stock=10)
    run(pdd)
    assert refreshes(sim) == 0

    sim.expire_token()
    restock(product, 9)
    run(pdd)                                         # a fresh connector: refreshes once
    kept = Channel.objects.get(pk=pdd.pk)
    assert (refreshes(sim), kept.access_token, kept.refresh_token) == (1, sim.access_token, sim.refresh_token)
    assert kept.tokens_refreshed_at is not None
    with connection.cursor() as cursor:              # encrypted at rest
        cursor.execute("SELECT access_token, refresh_token FROM catalog_sync_channel WHERE id = %s", [pdd.pk])
        stored = cursor.fetchone()
    assert sim.access_token not in stored and sim.refresh_token not in stored

    restock(product, 8)
    run(pdd)                                         # the kept token is still good: no refresh
    assert refreshes(sim) == 1

    sim.expire_token()                               # the environment's refresh token is spent by now
    restock(product, 7)
    run(pdd)
    assert refreshes(sim) == 2
    remote = sim.catalogue.items
    assert [sku.quantity for item in remote.values() for sku in item.skus.values()] == [7]


def test_the_kept_tokens_win_over_the_environment(pdd, sim):
    assert (channel_config(pdd).access_token, channel_config(pdd).refresh_token) == (
        sim.access_token, sim.refresh_token)
    Channel.objects.filter(pk=pdd.pk).update(access_token="kept-access", refresh_token="kept-refresh")
    pdd.refresh_from_db()
    assert channel_config(pdd).access_token == sim.access_token          # not refreshed yet: env first
    channel_config(pdd).on_tokens("new-access", "new-refresh")
    pdd.refresh_from_db()
    config = channel_config(pdd)
    assert (config.access_token, config.refresh_token, config.app_secret) == ("new-access", "new-refresh",
                                                                          sim.app_secret)
