"""The connector of a channel, with its credentials: the environment first
(``CATALOG_SYNC_<CODE>_APP_KEY`` / ``_APP_SECRET`` / ``_ACCESS_TOKEN`` /
``_REFRESH_TOKEN`` / ``_SHOP_ID`` / ``_BASE_URL`` / ``_PUSH_TOKEN``, the channel code upper-cased
with ``-`` as ``_``), then the channel's own (encrypted) fields.

Tokens a connector refreshes are kept in the channel's encrypted fields
(``channel_tokens_keep``), and from then on (``tokens_refreshed_at``) the channel's
access and refresh tokens win over the environment's: a platform that rotates
refresh tokens refuses the spent one a fresh connector would otherwise start from.

``settings.CATALOG_SYNC_CONNECTOR_FACTORY`` (a dotted path to ``f(channel) ->
connector``) replaces all of that, for local simulators and demos."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import partial

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
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

KEPT_TOKENS = ("access_token", "refresh_token")

logger = logging.getLogger(__name__)


def env_prefix(code: str) -> str:
    return "CATALOG_SYNC_" + code.upper().replace("-", "_") + "_"


def channel_config(channel, environ: Mapping[str, str] | None = None) -> ConnectorConfig:
    environ = os.environ if environ is None else environ
    prefix = env_prefix(channel.code)
    values = {}
    kept = channel.tokens_refreshed_at is not None
    for name, suffix, field in FIELDS:
        if kept and field in KEPT_TOKENS:
            values[name] = getattr(channel, field) or ""
        else:
            values[name] = environ.get(prefix + suffix) or getattr(channel, field) or ""
    push_token = environ.get(prefix + "PUSH_TOKEN")
    if push_token:
        values["extra"] = {"push_token": push_token}
    timeout = environ.get(prefix + "TIMEOUT")
    if timeout:
        values["timeout"] = float(timeout)
    if channel.pk is not None:
        values["on_tokens"] = partial(channel_tokens_keep, channel.pk)
    return ConnectorConfig(**values)


def channel_tokens_keep(channel_id: int, access_token: str, refresh_token: str) -> None:
    """Store refreshed tokens (encrypted).  A failure to store is logged, not raised:
    the connector goes on with the new token it holds."""
    from .models import Channel

    try:
        Channel.objects.filter(pk=channel_id).update(access_token=access_token, refresh_token=refresh_token or None,
                                                     tokens_refreshed_at=timezone.now())
    except DatabaseError:
        logger.exception("catalog_sync: could not keep the refreshed tokens of channel %s", channel_id)


def connector_for(channel, environ: Mapping[str, str] | None = None):
    factory = getattr(settings, "CATALOG_SYNC_CONNECTOR_FACTORY", "")
    if factory:
        return import_string(factory)(channel)
    return build(channel.platform, channel_config(channel, environ))
