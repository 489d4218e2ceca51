"""A campaign's results as XLSX (活动商品 sheet: one row per product and a
合计 row; 订单明细 sheet: one row per order line; 说明 sheet: the campaign) and
as CSV (the product rows). Amounts are numbers with two decimals (XLSX:
written from the Decimals with a number format; CSV: plain text, no currency
sign, UTF-8 with a byte-order mark for Excel). Buyers appear masked."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Callable

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .reports import CampaignResults
from .themes import get_theme

MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable
    kind: str = "text"  # text | money | count
    width: int = 14


def _blank_if_none(value):
    return "" if value is None else value


def product_columns() -> list[Column]:
    return [
        Column(_("商品"), lambda row: row.title, width=28),
        Column(_("商品条码"), lambda row: row.upc, width=16),
        Column(_("活动价（元）"), lambda row: row.price, "money"),
        Column(_("限量（件）"), lambda row: _blank_if_none(row.quota), "count"),
        Column(_("已售（件）"), lambda row: row.sold, "count"),
        Column(_("剩余（件）"), lambda row: _blank_if_none(row.quota_left), "count"),
        Column(_("销售额（元）"), lambda row: row.revenue, "money"),
        Column(_("购买人数"), lambda row: row.buyers, "count"),
    ]


def line_columns() -> list[Column]:
    def status(row):
        return _("已取消（限量已退回）") if row.released_at else _("有效")

    return [
        Column(_("订单号"), lambda row: row.order_number, width=14),
        Column(_("成交时间"), lambda row: _local(row.placed_at), width=18),
        Column(_("商品"), lambda row: row.title, width=28),
        Column(_("商品条码"), lambda row: row.upc, width=16),
        Column(_("数量（件）"), lambda row: row.quantity, "count"),
        Column(_("成交单价（元）"), lambda row: row.unit_price, "money"),
        Column(_("金额（元）"), lambda row: row.amount, "money"),
        Column(_("顾客"), lambda row: row.buyer, width=22),
        Column(_("状态"), status, width=18),
    ]


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s") if moment else ""


def _totals_row(results: CampaignResults) -> list:
    totals = results.totals
    quota_total = sum(row.quota for row in results.products if row.quota is not None)
    return [_("合计"), "", "", quota_total or "", totals.units, "", totals.sales, totals.buyers]


def _plain(value, kind) -> str:
    if value == "" or value is None:
        return ""
    if kind == "money":
        return f"{value:.2f}"
    return str(value)


def results_csv(results: CampaignResults) -> bytes:
    columns = product_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in columns])
    for row in results.products:
        writer.writerow([_plain(column.value(row), column.kind) for column in columns])
    writer.writerow([_plain(value, column.kind) for column, value in zip(columns, _totals_row(results))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet(workbook, title, columns, rows, *, first=False, totals=None):
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = {"money": MONEY_FORMAT, "count": COUNT_FORMAT}
    values = [[column.value(row) for column in columns] for row in rows]
    if totals is not None:
        values.append(totals)
    for row_values in values:
        sheet.append(row_values)
        for column, cell in zip(columns, sheet[sheet.max_row]):
            if column.kind in formats and cell.value not in ("", None):
                cell.number_format = formats[column.kind]
    if totals is not None:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    return sheet


def results_xlsx(results: CampaignResults) -> bytes:
    from openpyxl import Workbook

    campaign = results.campaign
    workbook = Workbook()
    _sheet(workbook, _("活动商品"), product_columns(), results.products, first=True, totals=_totals_row(results))
    _sheet(workbook, _("订单明细"), line_columns(), results.lines)
    notes = workbook.create_sheet(_("说明"))
    theme = get_theme(campaign.theme)
    for label, value in (
        (_("活动"), campaign.name),
        (_("网址标识"), campaign.slug),
        (_("主题"), theme.name if theme else campaign.theme),
        (_("开始时间"), _local(campaign.starts_at)),
        (_("结束时间"), _local(campaign.ends_at)),
        (_("状态"), str(type(campaign).State(results.state).label)),
        (_("订单数"), results.totals.orders),
        (_("售出件数"), results.totals.units),
        (_("销售额（元）"), results.totals.sales),
        (_("购买人数"), results.totals.buyers),
        (_("导出时间"), _local(results.generated_at)),
        (_("口径"), _("已取消订单的件数退回限量，不计入已售、销售额和购买人数；订单明细中标为「已取消」。")),
    ):
        notes.append([label, value])
        if label == _("销售额（元）"):
            notes.cell(row=notes.max_row, column=2).number_format = MONEY_FORMAT
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(results: CampaignResults, extension: str) -> tuple[str, str]:
    """(file name, ASCII fallback), e.g. ("活动结果_2027年货节.xlsx", "campaign_nianhuo-2027.xlsx")."""
    campaign = results.campaign
    return f"{_('活动结果')}_{campaign.name}.{extension}", f"campaign_{campaign.slug}.{extension}"
