"""The merchant centre simulator's own reading of a feed: parse RSS 2.0 (with a
real XML parser) or tab-separated text into items, and check each item the way
the merchant centre would.  Deliberately independent of the connector's
renderer, so a test proves the feed we write is the feed they read."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

G = "{http://base.google.com/ns/1.0}"
PLAIN_TAGS = {"title", "link", "description"}          # RSS's own elements, accepted for these three
REQUIRED = ("id", "title", "description", "link", "image_link", "availability", "price")
LIMITS = {"id": 50, "title": 150, "description": 5000}
AVAILABILITY = {"in_stock", "out_of_stock", "preorder", "backorder"}
PRICE = re.compile(r"^(\d+)(\.\d{1,2})? ([A-Z]{3})$")
CURRENCY = "CNY"
REPEATED = {"additional_image_link"}


class FeedParseError(ValueError):
    pass


@dataclass
class FeedEntry:
    attrs: dict[str, list[str]] = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)

    def first(self, name: str) -> str:
        values = self.attrs.get(name) or [""]
        return values[0]


def parse_rss(body: bytes) -> list[FeedEntry]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise FeedParseError(f"not well-formed XML: {exc}") from exc
    if root.tag != "rss" or root.get("version") != "2.0":
        raise FeedParseError("the root element must be <rss version=\"2.0\">")
    channel = root.find("channel")
    if channel is None:
        raise FeedParseError("no <channel>")
    entries = []
    for node in channel.findall("item"):
        entry = FeedEntry()
        for child in node:
            if child.tag.startswith(G):
                name = child.tag[len(G):]
            elif child.tag in PLAIN_TAGS:
                name = child.tag
            else:
                continue
            entry.attrs.setdefault(name, []).append(child.text or "")
        entries.append(entry)
    return entries


def parse_tsv(body: bytes) -> list[FeedEntry]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedParseError("a text feed must be UTF-8") from exc
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"'))
    if not rows:
        raise FeedParseError("empty feed")
    header = [name.strip() for name in rows[0]]
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        entry = FeedEntry()
        if len(row) != len(header):
            entry.issues.append(_issue("", "row", "malformed_row", f"row {number}: {len(row)} cells for "
                                       f"{len(header)} columns"))
        for name, value in zip(header, row):
            if value == "":
                continue
            entry.attrs[name] = value.split(",") if name in REPEATED else [value]
        entries.append(entry)
    return entries


def parse_feed(body: bytes, content_type: str = "") -> list[FeedEntry]:
    """By the declared type when it names one, otherwise by the first character."""
    if "xml" in content_type:
        return parse_rss(body)
    if "tab-separated" in content_type:
        return parse_tsv(body)
    return parse_rss(body) if body.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<") else parse_tsv(body)


def _issue(item_id: str, attribute: str, code: str, message: str, severity: str = "error") -> dict:
    return {"id": item_id, "attribute": attribute, "code": code, "message": message, "severity": severity}


def _url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_entry(entry: FeedEntry) -> None:
    """Append the entry's issues (errors disapprove the item; warnings do not)."""
    item_id = entry.first("id")
    add = entry.issues.append
    for name in REQUIRED:
        if not entry.first(name).strip():
            add(_issue(item_id, name, "missing_attribute", f"missing required attribute {name}"))
    for name, limit in LIMITS.items():
        if len(entry.first(name)) > limit:
            add(_issue(item_id, name, "too_long", f"{name} longer than {limit} characters"))
    availability = entry.first("availability")
    if availability and availability not in AVAILABILITY:
        add(_issue(item_id, "availability", "invalid_value", f"unknown availability {availability!r}"))
    if availability in ("preorder", "backorder") and not entry.first("availability_date"):
        add(_issue(item_id, "availability_date", "missing_attribute", f"{availability} needs availability_date"))
    price = entry.first("price")
    match = PRICE.match(price)
    if price and not match:
        add(_issue(item_id, "price", "invalid_price", f"unreadable price {price!r}"))
    elif match and match.group(3) != CURRENCY:
        add(_issue(item_id, "price", "currency_mismatch", f"price currency must be {CURRENCY}"))
    elif match and float(match.group(1) + (match.group(2) or "")) <= 0:
        add(_issue(item_id, "price", "invalid_price", "price must be above zero"))
    for name in ("link", "image_link", "additional_image_link"):
        if any(value and not _url(value) for value in entry.attrs.get(name, [])):
            add(_issue(item_id, name, "invalid_url", f"{name} must be an absolute http(s) URL"))
    if not entry.first("gtin") and entry.first("identifier_exists") != "no":
        add(_issue(item_id, "gtin", "missing_identifier", "no gtin: set identifier_exists to no", "warning"))


def check_feed(entries: list[FeedEntry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        check_entry(entry)
        item_id = entry.first("id")
        if item_id in seen:
            entry.issues.append(_issue(item_id, "id", "duplicate_id", "the same id twice in one feed"))
        seen.add(item_id)
