"""Map our product data to the ``Listing`` a channel gets.  Pure functions: no
database, no settings (the caller passes the public base URL and the channel's
stock buffer), so the exact values are easy to test.

- the description is plain text (HTML tags removed, entities decoded, one
  paragraph a line);
- image URLs and the link are absolute (joined to the public base URL);
- one SKU per stock record with a price: key ``keys.sku_key``, price the stock
  record's own price in yuan (a campaign price is for this store only and never
  goes to a channel), quantity ``max(0, in stock - allocated - buffer)``;
- the listing is active when the product is public, enabled on the channel and
  has at least one SKU to sell."""
from __future__ import annotations

import html
import re
from decimal import Decimal

from .connectors.base import FEN, Listing, SkuListing
from .keys import listing_key, sku_key
from .selectors import ProductData, StockData

_BREAKS = re.compile(r"<\s*(br\s*/?|/p|/div|/li|/h[1-6]|/tr)\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def plain_text(value: str) -> str:
    """HTML → plain text: tags dropped, block ends become line breaks, entities
    decoded, runs of spaces collapsed, blank lines removed."""
    text = _BREAKS.sub("\n", value or "")
    text = _TAGS.sub("", text)
    text = html.unescape(text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def absolute_url(url: str, base_url: str) -> str:
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return "https:" + url
    return base_url.rstrip("/") + "/" + url.lstrip("/")


def channel_quantity(stock: StockData, stock_buffer: int) -> int:
    return max(0, stock.num_in_stock - stock.num_allocated - stock_buffer)


def sku_listing(stock: StockData, *, stock_buffer: int) -> SkuListing:
    return SkuListing(key=sku_key(stock), price=Decimal(stock.price).quantize(FEN),
                      quantity=channel_quantity(stock, stock_buffer), attrs=tuple(stock.attrs))


def product_listing(product: ProductData, *, stock_buffer: int, base_url: str) -> Listing:
    skus = tuple(sku_listing(stock, stock_buffer=stock_buffer) for stock in product.stock if stock.price is not None)
    return Listing(
        key=listing_key(product),
        title=product.title,
        description=plain_text(product.description),
        images=tuple(absolute_url(url, base_url) for url in product.images),
        skus=skus,
        active=bool(product.is_public and product.channel_enabled and skus),
        link=absolute_url(product.path, base_url),
        brand=product.brand,
        category=product.category,
        origin=dict(product.origin),
    )
