"""The JD simulator's memory on disk, for the demo: a platform does not forget its
wares and orders when the demo restarts, so neither does the simulator when it is
started with ``--state PATH``.  The file holds the catalogue (wares, SKUs, their
ids, prices, stock, state) and the order book; it is written after every request
that may change them (atomically: a temporary file, then a rename) and read at
start-up.  New ids continue after the highest id in the file."""
from __future__ import annotations

import itertools
import json
import os
import tempfile
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from .base import SimItem, SimOrder, SimSku

VERSION = 1
_write_lock = threading.Lock()


def _sku_out(sku: SimSku) -> dict:
    return {"remote_id": sku.remote_id, "outer_id": sku.outer_id, "price": str(sku.price),
            "quantity": sku.quantity, "attrs": sku.attrs}


def _item_out(item: SimItem) -> dict:
    return {"remote_id": item.remote_id, "outer_id": item.outer_id, "title": item.title, "state": item.state,
            "versions": item.versions, "payload": item.payload, "skus": [_sku_out(s) for s in item.skus.values()]}


def _order_out(order: SimOrder) -> dict:
    return {"order_id": order.order_id, "status": order.status, "created": order.created.isoformat(),
            "modified": order.modified.isoformat(), "total": str(order.total), "city": order.city,
            "extra": order.extra,
            "lines": [{**line, "price": str(line["price"])} for line in order.lines]}


def state_snapshot(simulator) -> dict:
    with simulator.catalogue.lock:
        items = [_item_out(item) for item in sorted(simulator.catalogue.items.values(), key=lambda i: int(i.remote_id))]
    with simulator.orders.lock:
        orders = [_order_out(order) for order in sorted(simulator.orders.orders.values(), key=lambda o: o.order_id)]
    return {"version": VERSION, "platform": "jd", "items": items, "orders": orders}


def state_save(simulator, path: str | os.PathLike) -> None:
    path = Path(path)
    text = json.dumps(state_snapshot(simulator), ensure_ascii=False, indent=1, default=str)
    with _write_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def state_load(simulator, path: str | os.PathLike) -> bool:
    """Fill an empty simulator from ``path``; False when there is no file yet."""
    path = Path(path)
    if not path.exists():
        return False
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != VERSION or data.get("platform") != "jd":
        raise ValueError(f"{path}: not a JD simulator state file of version {VERSION}")
    ids = []
    with simulator.catalogue.lock:
        for row in data["items"]:
            item = SimItem(remote_id=row["remote_id"], outer_id=row["outer_id"], title=row["title"],
                           state=row["state"], payload=row["payload"], versions=row["versions"])
            for sku in row["skus"]:
                item.skus[sku["outer_id"]] = SimSku(sku["remote_id"], sku["outer_id"], Decimal(sku["price"]),
                                                    int(sku["quantity"]), dict(sku["attrs"]))
                simulator.sku_index[sku["remote_id"]] = (item.remote_id, sku["outer_id"])
                ids.append(int(sku["remote_id"]))
            simulator.catalogue.add(item)
            ids.append(int(item.remote_id))
        if ids:
            simulator.catalogue._ids = itertools.count(max(ids) + 1)
    with simulator.orders.lock:
        for row in data["orders"]:
            simulator.orders.put(SimOrder(
                order_id=row["order_id"], status=row["status"], created=datetime.fromisoformat(row["created"]),
                modified=datetime.fromisoformat(row["modified"]), total=Decimal(row["total"]), city=row["city"],
                extra=row["extra"], lines=[{**line, "price": Decimal(line["price"])} for line in row["lines"]]))
        numeric = [int(order_id) for order_id in simulator.orders.orders if order_id.isdigit()]
        if numeric:
            simulator._order_ids = itertools.count(max(numeric) + 1)
    return True

