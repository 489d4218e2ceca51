"""Google-Merchant-style product feed: pure functions from ``Listing`` to feed
items, their validation, and the two file formats (RSS 2.0 with the ``g:``
namespace, and tab-separated text with the same columns).  No Django, no I/O.

One feed item per SKU: ``g:id`` is our SKU key (Google's "offer id", stable per
variant); a product with several SKUs gives each the listing key as
``g:item_group_id`` and a title with the variant's attribute values appended.
The feed is a full snapshot (platforms.md: an item left out is deleted), so a
delisted, inactive or sold-out listing stays in the feed as ``out_of_stock``."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from urllib.parse import urlsplit

from .base import FEN, Listing

G_NS = "http://base.google.com/ns/1.0"
CURRENCY = "CNY"
MAX_ID, MAX_TITLE, MAX_DESCRIPTION = 50, 150, 5000     # platforms.md, Google Merchant Center
MAX_ADDITIONAL_IMAGES = 10
GTIN_ATTR = "gtin"          # a SKU attribute with this name is its GTIN (not shown in the title)

# The columns of both formats, in order (RSS writes them as g:<name>, skipping empty ones).
FEED_COLUMNS = ("id", "title", "description", "link", "image_link", "additional_image_link",
                "availability", "price", "brand", "gtin", "identifier_exists", "item_group_id", "product_type")

ET.register_namespace("g", G_NS)


@dataclass(frozen=True)
class FeedItem:
    id: str
    listing_key: str            # not rendered: which listing this SKU belongs to
    title: str
    description: str
    link: str
    image_link: str
    additional_image_links: tuple[str, ...]
    price: Decimal
    quantity: int
    active: bool
    brand: str = ""
    gtin: str = ""
    item_group_id: str = ""
    product_type: str = ""

    @property
    def availability(self) -> str:
        return "in_stock" if self.active and self.quantity > 0 else "out_of_stock"

    def values(self) -> dict[str, str | tuple[str, ...]]:
        """The item's attributes by column name, as the feed spells them."""
        return {
            "id": self.id, "title": self.title, "description": self.description, "link": self.link,
            "image_link": self.image_link, "additional_image_link": self.additional_image_links,
            "availability": self.availability, "price": format_price(self.price), "brand": self.brand,
            "gtin": self.gtin, "identifier_exists": "yes" if self.gtin else "no",
            "item_group_id": self.item_group_id, "product_type": self.product_type,
        }

    def to_record(self) -> dict:
        record = asdict(self)
        record["price"] = str(self.price)
        record["additional_image_links"] = list(self.additional_image_links)
        return record

    @classmethod
    def from_record(cls, record: dict) -> "FeedItem":
        return cls(**{**record, "price": Decimal(record["price"]),
                      "additional_image_links": tuple(record["additional_image_links"])})


# -- text clean-up -------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u3000]+")
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"})


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self.handle_starttag(tag, ())


def clean_line(value: str) -> str:
    """One line of text: characters XML 1.0 refuses dropped, runs of white space one space."""
    value = _XML_INVALID.sub("", value or "").replace("\r", " ").replace("\n", " ")
    return _SPACES.sub(" ", value).strip()


def strip_markup(value: str) -> str:
    """HTML → plain text: tags dropped (block tags end a line), entities decoded,
    each line's white space collapsed, blank lines removed."""
    parser = _TextOnly()
    parser.feed((value or "").replace("\r\n", "\n").replace("\r", "\n"))
    parser.close()
    lines = (clean_line(line) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def format_price(price: Decimal) -> str:
    return f"{Decimal(price).quantize(FEN)} {CURRENCY}"


# -- listing → items -----------------------------------------------------------

def feed_items(listing: Listing) -> list[FeedItem]:
    multi = len(listing.skus) > 1
    description = strip_markup(listing.description)
    images = tuple(url.replace(",", "%2C") for url in listing.images if url)
    items = []
    for sku in listing.skus:
        variant = " ".join(clean_line(value) for name, value in sku.attrs if name.lower() != GTIN_ATTR and value)
        title = clean_line(listing.title)
        if multi and variant:
            title = f"{title} {variant}"
        items.append(FeedItem(
            id=sku.key.strip(), listing_key=listing.key, title=title, description=description,
            link=listing.link, image_link=images[0] if images else "",
            additional_image_links=images[1:1 + MAX_ADDITIONAL_IMAGES],
            price=sku.price, quantity=max(0, int(sku.quantity)), active=listing.active,
            brand=clean_line(listing.brand),
            gtin=next((clean_line(v) for n, v in sku.attrs if n.lower() == GTIN_ATTR), ""),
            item_group_id=listing.key if multi else "", product_type=clean_line(listing.category)))
    return items


def out_of_stock(item: FeedItem) -> FeedItem:
    return replace(item, active=False)


# -- validation ----------------------------------------------------------------

@dataclass(frozen=True)
class Issue:
    attribute: str
    code: str            # "missing" | "too_long" | "bad_price" | "bad_url"
    limit: int | None = None


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def price_issue(price) -> Issue | None:
    """A price is a positive whole number of fen (never rounded here)."""
    try:
        price = Decimal(price)
    except (InvalidOperation, TypeError, ValueError):
        return Issue("price", "bad_price")
    if not price.is_finite() or price <= 0 or price != price.quantize(FEN):
        return Issue("price", "bad_price")
    return None


def item_issues(item: FeedItem) -> list[Issue]:
    issues = []
    for attribute, value, limit in (("id", item.id, MAX_ID), ("title", item.title, MAX_TITLE),
                                    ("description", item.description, MAX_DESCRIPTION)):
        if not value:
            issues.append(Issue(attribute, "missing"))
        elif len(value) > limit:
            issues.append(Issue(attribute, "too_long", limit))
    for attribute, value in (("link", item.link), ("image_link", item.image_link)):
        if not value:
            issues.append(Issue(attribute, "missing"))
        elif not _is_url(value):
            issues.append(Issue(attribute, "bad_url"))
    if any(not _is_url(url) for url in item.additional_image_links):
        issues.append(Issue("additional_image_link", "bad_url"))
    problem = price_issue(item.price)
    if problem:
        issues.append(problem)
    return issues


# -- the two formats -------------------------------------------------------------

@dataclass(frozen=True)
class FeedChannel:
    title: str
    link: str
    description: str


def render_rss(items: list[FeedItem], channel: FeedChannel) -> bytes:
    """RSS 2.0, UTF-8, written by ElementTree (escaping is the writer's job)."""
    rss = ET.Element("rss", {"version": "2.0"})
    head = ET.SubElement(rss, "channel")
    ET.SubElement(head, "title").text = channel.title
    ET.SubElement(head, "link").text = channel.link
    ET.SubElement(head, "description").text = channel.description
    for item in items:
        node = ET.SubElement(head, "item")
        for column, value in item.values().items():
            for text in (value if isinstance(value, tuple) else (value,)):
                if text:
                    ET.SubElement(node, f"{{{G_NS}}}{column}").text = text
    ET.indent(rss, space="  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def render_tsv(items: list[FeedItem]) -> bytes:
    """Tab-separated, a header row of the column names, UTF-8.  A value holding a
    tab, a line break or a double quote is wrapped in double quotes with inner
    quotes doubled (Google's "quoted fields"); repeated values are comma-joined."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(FEED_COLUMNS)
    for item in items:
        values = item.values()
        writer.writerow([",".join(v) if isinstance(v, tuple) else v for v in (values[c] for c in FEED_COLUMNS)])
    return out.getvalue().encode("utf-8")


def sorted_items(items) -> list[FeedItem]:
    """The feed's order: by listing, then SKU key (stable output for the same snapshot)."""
    return sorted(items, key=lambda item: (item.listing_key, item.id))
