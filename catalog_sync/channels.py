"""The connector of a channel, with its credentials: the environment first
(``CATALOG_SYNC_<CODE>_APP_KEY`` / ``_APP_SECRET`` / ``_ACCESS_TOKEN`` /
``_REFRESH_TOKEN`` / ``_SHOP_ID`` / ``_BASE_URL`` / ``_PUSH_TOKEN``, the channel code upper-cased
with ``-`` as ``_``), then the channel's own (encrypted) fields.

``settings.CATALOG_SYNC_CONNECTOR_FACTORY`` (a dotted path to ``f(channel) ->
connector``) replaces all of that, for local simulators and demos."""
from __future__ import annotations

import os
from collections.abc import Mapping

from django.conf import settings
from django.utils.module_loading import import_string

from .connectors import build
from .connectors.base import ConnectorConfig

# ConnectorConfig field → (environment suffix, Channel field)
FIELDS = (
    ("base_url", "BASE_URL", "base_url"),
    ("app_key", "APP_KEY", "app_key"),
    ("app_secret", "APP_SECRET", "app_secret"),
    ("access_token", "ACCESS_TOKEN", "access_token"),
    ("refresh_token", "REFRESH_TOKEN", "refresh_token"),
    ("shop_id", "SHOP_ID", "shop_id"),
)


def env_prefix(code: str) -> str:
    return "CATALOG_SYNC_" + code.upper().replace("-", "_") + "_"


def channel_config(channel, environ: Mapping[str, str] | None = None) -> ConnectorConfig:
    environ = os.environ if environ is None else environ
    prefix = env_prefix(channel.code)
    values = {}
    for name, suffix, field in FIELDS:
        values[name] = environ.get(prefix + suffix) or getattr(channel, field) or ""
    push_token = environ.get(prefix + "PUSH_TOKEN")
    if push_token:
        values["extra"] = {"push_token": push_token}
    timeout = environ.get(prefix + "TIMEOUT")
    if timeout:
        values["timeout"] = float(timeout)
    return ConnectorConfig(**values)


def connector_for(channel, environ: Mapping[str, str] | None = None):
    factory = getattr(settings, "CATALOG_SYNC_CONNECTOR_FACTORY", "")
    if factory:
        return import_string(factory)(channel)
    return build(channel.platform, channel_config(channel, environ))
