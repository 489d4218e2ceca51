"""A loopback "merchant centre" for the product feed connector.

- ``POST /feeds/<name>`` with an RSS 2.0 or TSV body (``Authorization: Bearer
  <token>``) uploads the feed; ``POST /feeds/<name>/fetch`` with
  ``{"url": ...}`` makes the centre fetch it (a scheduled fetch); ``GET
  /feeds/<name>`` lists the product set.
- The upload is a full snapshot: items missing from it are DELETED from the
  product set (``deleted`` logs them), new ones are inserted (counted in
  ``catalogue.created``), the others updated.  Items with errors are kept as
  ``disapproved`` with their issues; the answer lists every issue by item id.
- Faults on method ``"upload"``: ``throttle`` → 429 with ``Retry-After``,
  ``quota`` → 429 ``quota_exceeded``, ``fail`` → 503, ``auth`` → 401,
  ``timeout`` → commit the upload, then answer after ``faults.timeout_seconds``.

``python -m catalog_sync.simulators.merchant_feed --port 8832`` runs it."""
from __future__ import annotations

import argparse
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from .base import Faults, Request, Response, SimItem, Simulator
from .merchant_feed_rules import FeedEntry, FeedParseError, check_feed, parse_feed


@dataclass
class SimProduct:
    id: str
    attrs: dict[str, list[str]]
    status: str                       # "approved" | "disapproved"
    issues: list[dict] = field(default_factory=list)

    def value(self, name: str) -> str:
        return (self.attrs.get(name) or [""])[0]


def _error(status: int, code: str, message: str, headers: dict | None = None, delay: float = 0.0) -> Response:
    return Response({"error": {"code": code, "message": message}}, status=status, headers=headers or {},
                    delay=delay)


class MerchantCentre(Simulator):
    name = "merchant_feed"

    def __init__(self, *, access_token: str = "sim-token", retry_after: int = 30,
                 quota_retry_after: int = 86_400, faults: Faults | None = None):
        super().__init__(access_token=access_token, faults=faults)
        self.retry_after = retry_after
        self.quota_retry_after = quota_retry_after
        self.feeds: dict[str, dict[str, SimProduct]] = {}
        self.deleted: list[tuple[str, str]] = []     # (feed name, item id), in order
        # item id → reason: the centre's own policy refusals, which no feed check can foresee
        self.policy_violations: dict[str, str] = {}
        self.lock = threading.RLock()

    def products(self, feed: str) -> dict[str, SimProduct]:
        with self.lock:
            return dict(self.feeds.get(feed, {}))

    # -- processing one feed file ----------------------------------------------------
    def ingest(self, feed: str, body: bytes, content_type: str = "") -> dict:
        """Replace the feed's product set with this file's items; the report."""
        entries: list[FeedEntry] = parse_feed(body, content_type)
        check_feed(entries)
        for entry in entries:
            reason = self.policy_violations.get(entry.first("id"))
            if reason:
                entry.issues.append({"id": entry.first("id"), "attribute": "", "code": "policy_violation",
                                     "message": reason, "severity": "error"})
        with self.lock:
            old = self.feeds.get(feed, {})
            new: dict[str, SimProduct] = {}
            inserted = updated = 0
            for entry in entries:
                item_id = entry.first("id")
                if not item_id or item_id in new:
                    continue
                errors = [i for i in entry.issues if i["severity"] == "error"]
                new[item_id] = SimProduct(item_id, entry.attrs, "disapproved" if errors else "approved",
                                          entry.issues)
                if item_id in old:
                    updated += 1
                    item = self.catalogue.find(item_id)
                    if item:
                        item.versions += 1
                        item.title, item.state = new[item_id].value("title"), new[item_id].value("availability")
                else:
                    inserted += 1
                    self.catalogue.add(SimItem(remote_id=f"online:zh:CN:{item_id}", outer_id=item_id,
                                               title=new[item_id].value("title"),
                                               state=new[item_id].value("availability")))
            deleted = [item_id for item_id in old if item_id not in new]
            for item_id in deleted:
                self.deleted.append((feed, item_id))
                with self.catalogue.lock:
                    remote_id = self.catalogue.by_outer.pop(item_id, None)
                    self.catalogue.items.pop(remote_id, None)
            self.feeds[feed] = new
        return {"feed": feed, "received": len(entries), "inserted": inserted, "updated": updated,
                "deleted": deleted, "issues": [issue for e in entries for issue in e.issues]}

    def fetch(self, feed: str, url: str) -> dict:
        """Fetch the feed from ``url`` (the scheduled-fetch mode) and ingest it."""
        with urllib.request.urlopen(url, timeout=5) as answer:
            body = answer.read()
            content_type = answer.headers.get("Content-Type", "")
        return self.ingest(feed, body, content_type)

    # -- HTTP ----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if len(parts) < 2 or parts[0] != "feeds":
            return _error(404, "not_found", "unknown path")
        feed = parts[1]
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return _error(401, "unauthenticated", "missing or expired access token")
        if request.method == "GET" and len(parts) == 2:
            return Response({"feed": feed, "products": [
                {"id": p.id, "status": p.status, "attrs": p.attrs, "issues": p.issues}
                for p in self.products(feed).values()]})
        if request.method != "POST" or len(parts) > 3 or (len(parts) == 3 and parts[2] != "fetch"):
            return _error(404, "not_found", "unknown path")
        method = "fetch" if len(parts) == 3 else "upload"
        self.record(method, {"feed": feed, "bytes": len(request.body)})
        fault = self.faults.draw(method)
        if fault == "throttle":
            return _error(429, "rate_limited", "too many feed uploads", {"Retry-After": str(self.retry_after)})
        if fault == "quota":
            return _error(429, "quota_exceeded", "daily feed upload quota used up",
                          {"Retry-After": str(self.quota_retry_after)})
        if fault == "fail":
            return _error(503, "backend_error", "the merchant centre is busy, try again")
        if fault == "auth":
            return _error(401, "unauthenticated", "access token expired")
        try:
            if method == "fetch":
                report = self.fetch(feed, str(request.json().get("url", "")))
            else:
                report = self.ingest(feed, request.body, request.headers.get("content-type", ""))
        except FeedParseError as exc:
            return _error(400, "invalid_feed", str(exc))
        except (OSError, ValueError) as exc:
            return _error(502, "fetch_failed", str(exc))
        return Response(report, delay=self.faults.timeout_seconds if fault == "timeout" else 0.0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Loopback merchant centre for the product feed")
    parser.add_argument("--port", type=int, default=8833)
    parser.add_argument("--token", default="sim-token")
    args = parser.parse_args(argv)
    centre = MerchantCentre(access_token=args.token).start(args.port)
    print(f"merchant centre on {centre.url} (POST /feeds/<name>, token {args.token})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        centre.stop()


if __name__ == "__main__":
    main()
