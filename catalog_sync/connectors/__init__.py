"""One connector module per platform behind ``base.Connector``.  ``build`` makes the
connector a channel asks for by its platform code."""
from importlib import import_module

from .base import ConnectorConfig

MODULES = {
    "taobao": "catalog_sync.connectors.taobao",
    "jd": "catalog_sync.connectors.jd",
    "pinduoduo": "catalog_sync.connectors.pinduoduo",
    "wechat_shop": "catalog_sync.connectors.wechat_shop",
    "platform_832": "catalog_sync.connectors.platform_832",
    "merchant_feed": "catalog_sync.connectors.merchant_feed",
}


def build(platform: str, config: ConnectorConfig):
    module = import_module(MODULES[platform])
    return module.connector_from_config(config)
