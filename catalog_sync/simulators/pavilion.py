"""A simulator's pavilion as people see it: ``GET /`` is a page with the
pavilion's catalogue (title, price, stock, state, the platform's ids, our outer
ids), its order book and a form that places a paid order; ``POST /_sim/orders``
does the same for scripts (JSON in, JSON out) and ``GET /_sim/orders`` lists the
order book.  None of this is part of the platform's API: nothing is signed and
nothing is recorded in ``calls``.

A simulator mixes in ``Pavilion`` and provides ``shelf()`` (its catalogue as
``ShelfItem`` rows, prices in yuan) and ``place_order(outer_sku_id, quantity)``
(an order in the platform's paid, awaiting-shipment state).  Placing an order
checks the SKU is on sale and in stock and takes the units off the pavilion's
stock, as a platform does."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape
from urllib.parse import parse_qsl, urlencode

from .base import CHINA, Request, Response, SimOrder

PAGE_PATH = "/"
ORDERS_PATH = "/_sim/orders"
HTML = "text/html; charset=utf-8"
MAX_QUANTITY = 999


@dataclass(frozen=True)
class ShelfSku:
    outer_id: str           # our SKU key (the stock record's partner SKU)
    remote_id: str          # the platform's SKU id
    price: Decimal          # yuan
    stock: int
    spec: str = ""


@dataclass(frozen=True)
class ShelfItem:
    remote_id: str          # the platform's product id
    outer_id: str           # our product key
    title: str
    state: str              # in the platform's words, for people
    on_sale: bool
    skus: tuple[ShelfSku, ...]
    image: str = ""


@dataclass(frozen=True)
class PlacedOrder:
    order_id: str
    status: str
    outer_sku_id: str
    quantity: int
    total: Decimal          # yuan
    created: str            # ISO 8601, China time


class OrderRefused(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def order_summary(order: SimOrder) -> PlacedOrder:
    line = order.lines[0]
    return PlacedOrder(order_id=order.order_id, status=order.status, outer_sku_id=line["outer_sku_id"],
                       quantity=int(line["quantity"]), total=Decimal(str(order.total)),
                       created=order.created.astimezone(CHINA).isoformat())


def _placed_json(placed: PlacedOrder) -> dict:
    return {"order_id": placed.order_id, "status": placed.status, "outer_sku_id": placed.outer_sku_id,
            "quantity": placed.quantity, "total": str(placed.total), "created": placed.created}


class Pavilion:
    """Mixed into a ``Simulator`` (which provides ``catalogue``, ``orders`` and ``place_order``)."""

    pavilion_title = "模拟店铺"
    platform_name = "平台"
    order_states: dict[str, str] = {}       # the platform's order status → words for people

    def shelf(self) -> list[ShelfItem]:  # pragma: no cover - per platform
        raise NotImplementedError

    # -- HTTP ----------------------------------------------------------------------------
    def pavilion_handle(self, request: Request) -> Response | None:
        """The answer for the pavilion's own paths, or None for any other path."""
        if request.path == PAGE_PATH and request.method == "GET":
            return Response(self.pavilion_page(request.query).encode("utf-8"), content_type=HTML)
        if request.path != ORDERS_PATH:
            return None
        if request.method == "GET":
            with self.orders.lock:
                orders = sorted(self.orders.orders.values(), key=lambda o: (o.created, o.order_id))
            return Response({"orders": [_placed_json(order_summary(order)) for order in orders]})
        is_json = "application/json" in request.headers.get("content-type", "")
        try:
            data = _json_body(request) if is_json else dict(parse_qsl(request.body.decode("utf-8")))
            placed = self.pavilion_order(str(data.get("outer_sku_id") or "").strip(), data.get("quantity", 1))
        except OrderRefused as exc:
            if is_json:
                return Response({"error": exc.message}, status=exc.status)
            return _redirect({"error": exc.message})
        if is_json:
            return Response(_placed_json(placed), status=201)
        return _redirect({"placed": placed.order_id})

    # -- orders ---------------------------------------------------------------------------
    def pavilion_order(self, outer_sku_id: str, quantity) -> PlacedOrder:
        """Place a paid order of ``quantity`` units of ``outer_sku_id`` (a SKU on sale)."""
        try:
            quantity = int(quantity)
        except (TypeError, ValueError):
            raise OrderRefused("数量必须是整数") from None
        if not 1 <= quantity <= MAX_QUANTITY:
            raise OrderRefused(f"数量必须在 1 到 {MAX_QUANTITY} 之间")
        if not outer_sku_id:
            raise OrderRefused("请选择商品规格（商家 SKU 编码）")
        with self.catalogue.lock:
            found = [(item, sku) for item in self.shelf() for sku in item.skus if sku.outer_id == outer_sku_id]
            if not found:
                raise OrderRefused(f"本店没有商家 SKU 编码为 {outer_sku_id} 的商品", status=404)
            item, sku = found[0]
            if not item.on_sale:
                raise OrderRefused(f"「{item.title}」已下架，不能下单", status=409)
            if sku.stock < quantity:
                raise OrderRefused(f"「{item.title}」库存只有 {sku.stock} 件", status=409)
            self.catalogue.items[item.remote_id].skus[outer_sku_id].quantity -= quantity
            order = self.place_order(outer_sku_id, quantity)
        return order_summary(order)

    # -- the page -------------------------------------------------------------------------
    def pavilion_page(self, query: dict[str, str]) -> str:
        with self.catalogue.lock:
            items = self.shelf()
        with self.orders.lock:
            orders = sorted(self.orders.orders.values(), key=lambda o: (o.created, o.order_id), reverse=True)
        titles = {sku.outer_id: item.title + (f"（{sku.spec}）" if sku.spec else "")
                  for item in items for sku in item.skus}
        notice = ""
        if query.get("placed"):
            notice = (f'<p class="notice ok">订单 {escape(query["placed"])} 已下单并付款，'
                      "可在乡品通后台的渠道页面导入。</p>")
        elif query.get("error"):
            notice = f'<p class="notice error">{escape(query["error"])}</p>'
        return PAGE.format(
            title=escape(self.pavilion_title), platform=escape(self.platform_name), notice=notice,
            options="".join(_option(item, sku) for item in items if item.on_sale for sku in item.skus if sku.stock > 0),
            disabled="" if any(item.on_sale and sku.stock > 0 for item in items for sku in item.skus) else " disabled",
            item_count=len(items), items="".join(_item_row(item) for item in items) or EMPTY_ITEMS,
            order_count=len(orders),
            orders="".join(_order_row(order, titles, self.order_states) for order in orders) or EMPTY_ORDERS,
        )


def _json_body(request: Request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise OrderRefused("请求体不是合法的 JSON") from None
    if not isinstance(data, dict):
        raise OrderRefused("请求体必须是 JSON 对象")
    return data


def _redirect(params: dict[str, str]) -> Response:
    return Response(b"", status=303, content_type=HTML, headers={"Location": PAGE_PATH + "?" + urlencode(params)})


def _yuan(value: Decimal) -> str:
    try:
        return f"¥{Decimal(value).quantize(Decimal('0.01'))}"
    except (InvalidOperation, TypeError, ValueError):
        return escape(str(value))


def _option(item: ShelfItem, sku: ShelfSku) -> str:
    spec = f" {sku.spec}" if sku.spec else ""
    label = f"{item.title}{spec} · {_yuan(sku.price)} · 库存 {sku.stock} · {sku.outer_id}"
    return f'<option value="{escape(sku.outer_id)}">{escape(label)}</option>'


def _item_row(item: ShelfItem) -> str:
    image = (f'<img src="{escape(item.image)}" alt="" loading="lazy" width="56" height="56">'
             if item.image.startswith(("http://", "https://")) else "")
    skus = item.skus or (ShelfSku(outer_id="", remote_id="", price=Decimal("0"), stock=0),)
    span = f' rowspan="{len(skus)}"' if len(skus) > 1 else ""
    state = "on" if item.on_sale else "off"
    head = (f"<td{span}>{image}</td><td{span}>{escape(item.title)}</td>"
            f'<td{span}><span class="state {state}">{escape(item.state)}</span></td>'
            f"<td{span}><code>{escape(item.remote_id)}</code></td>"
            f"<td{span}><code>{escape(item.outer_id)}</code></td>")
    rows = []
    for index, sku in enumerate(skus):
        price = _yuan(sku.price) if sku.outer_id else ""
        stock = sku.stock if sku.outer_id else ""
        rows.append(f"<tr>{head if index == 0 else ''}<td>{escape(sku.spec)}</td><td class=num>{price}</td>"
                    f"<td class=num>{stock}</td><td><code>{escape(sku.remote_id)}</code></td>"
                    f"<td><code>{escape(sku.outer_id)}</code></td></tr>")
    return "".join(rows)


def _order_row(order: SimOrder, titles: dict[str, str], states: dict[str, str]) -> str:
    placed = order_summary(order)
    state = states.get(order.status, order.status)
    return (f"<tr><td><code>{escape(order.order_id)}</code></td>"
            f"<td>{escape(order.created.astimezone(CHINA).strftime('%Y-%m-%d %H:%M:%S'))}</td>"
            f"<td>{escape(titles.get(placed.outer_sku_id, placed.outer_sku_id))}</td>"
            f"<td><code>{escape(placed.outer_sku_id)}</code></td><td class=num>{placed.quantity}</td>"
            f"<td class=num>{_yuan(placed.total)}</td><td>{escape(state)}</td></tr>")


EMPTY_ITEMS = ('<tr><td colspan="10" class="empty">还没有商品。在乡品通后台的渠道页面按「立即推送」，'
               "或运行 <code>manage.py catalog_sync_push --channel &lt;渠道代码&gt;</code>。</td></tr>")
EMPTY_ORDERS = '<tr><td colspan="7" class="empty">还没有订单。</td></tr>'

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; margin: 0;
       color: #222; background: #f6f6f6; }}
header {{ background: #e1251b; color: #fff; padding: 16px 24px; }}
header h1 {{ margin: 0 0 4px; font-size: 22px; }}
header p {{ margin: 0; opacity: .9; font-size: 14px; }}
main {{ padding: 16px 24px; max-width: 1200px; }}
section {{ background: #fff; border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; overflow-x: auto; }}
h2 {{ font-size: 17px; margin: 4px 0 12px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #eee; padding: 6px 8px; text-align: left; vertical-align: middle; }}
th {{ background: #fafafa; white-space: nowrap; }}
td.num {{ text-align: right; white-space: nowrap; }}
td.empty {{ color: #888; text-align: center; padding: 24px; }}
img {{ object-fit: cover; border-radius: 4px; background: #eee; }}
code {{ font-size: 12px; color: #555; }}
.state {{ padding: 1px 6px; border-radius: 3px; font-size: 12px; white-space: nowrap; }}
.state.on {{ background: #e6f4ea; color: #1e7b34; }}
.state.off {{ background: #eee; color: #777; }}
form {{ display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }}
select {{ max-width: 100%; min-width: 280px; padding: 6px; }}
input[type=number] {{ width: 80px; padding: 6px; }}
button {{ background: #e1251b; color: #fff; border: 0; border-radius: 4px; padding: 8px 16px; font-size: 14px; }}
button[disabled] {{ background: #bbb; }}
.hint {{ color: #666; font-size: 13px; margin: 8px 0 0; }}
.notice {{ padding: 8px 12px; border-radius: 4px; }}
.notice.ok {{ background: #e6f4ea; color: #1e7b34; }}
.notice.error {{ background: #fdecea; color: #b3261e; }}
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p>本机模拟的{platform}开放平台：这里的商品由乡品通推送而来，这里的订单由乡品通导入并归属到供货农户。</p>
</header>
<main>
{notice}
<section>
<h2>模拟买家下单</h2>
<form method="post" action="/_sim/orders">
<label>商品规格 <select name="outer_sku_id" required{disabled}>{options}</select></label>
<label>数量 <input type="number" name="quantity" value="1" min="1" max="999" required{disabled}></label>
<button type="submit"{disabled}>下单并付款</button>
</form>
<p class="hint">订单直接进入已付款、待出库状态。在乡品通后台的渠道页面按「导入订单」（或运行
<code>manage.py catalog_sync_orders --channel &lt;渠道代码&gt;</code>），乡品通生成订单、扣减库存并把收入归属到该批次的农户
（导入只读到渠道的延迟之前：真实平台一至三分钟，本地演示渠道为零）。
脚本可用 <code>POST /_sim/orders</code>（JSON：<code>{{"outer_sku_id": "…", "quantity": 1}}</code>）。</p>
</section>
<section>
<h2>店铺商品（{item_count}）</h2>
<table>
<thead><tr><th></th><th>商品</th><th>状态</th><th>平台商品 ID</th><th>商家商品编码</th><th>规格</th><th>价格</th><th>库存</th>
<th>平台 SKU ID</th><th>商家 SKU 编码</th></tr></thead>
<tbody>{items}</tbody>
</table>
</section>
<section>
<h2>订单（{order_count}）</h2>
<table>
<thead><tr><th>订单号</th><th>下单时间</th><th>商品</th><th>商家 SKU 编码</th><th>数量</th><th>实付</th><th>状态</th></tr></thead>
<tbody>{orders}</tbody>
</table>
</section>
</main>
</body>
</html>
"""
