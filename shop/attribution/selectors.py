"""An order's attribution as the dashboard shows it: where it was sold (this store
or a pavilion, with the pavilion's order number) and, line by line, the batches and
households its income went to.  Household names are masked; a cooperative's staff
see only the lines of their own partner."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from shop.core.masking import mask_name

from .models import Channel, LedgerEntry


@dataclass(frozen=True)
class AttributionRow:
    product: str
    batch: str
    household: str            # registration number and masked head of household
    village: str
    kind: str
    quantity: Decimal
    sales_amount: Decimal
    income: Decimal


@dataclass(frozen=True)
class OrderAttribution:
    channel: str
    channel_name: str         # the pavilion's own name, for an imported order
    external_id: str
    rows: tuple[AttributionRow, ...]
    sales_amount: Decimal
    income: Decimal


def order_attribution(order, user) -> OrderAttribution:
    entries = (LedgerEntry.objects.filter(line__order=order)
               .select_related("line", "product", "batch", "household", "village").order_by("line_id", "pk"))
    if not user.is_staff:
        entries = entries.filter(Q(line__partner__users=user))
    rows = tuple(
        AttributionRow(
            product=entry.line.title, batch=entry.batch.code if entry.batch_id else "",
            household=(f"{entry.household.registration_number} {mask_name(entry.household.head_name)}"
                       if entry.household_id else ""),
            village=entry.village.name if entry.village_id else "", kind=entry.get_kind_display(),
            quantity=entry.quantity, sales_amount=entry.sales_amount, income=entry.income)
        for entry in entries)
    imported = getattr(order, "channel_import", None)
    channel = next((entry.channel for entry in entries[:1]), Channel.STORE)
    return OrderAttribution(
        channel=Channel(channel).label, channel_name=imported.channel.name if imported else "",
        external_id=imported.external_id if imported else "", rows=rows,
        sales_amount=sum((row.sales_amount for row in rows), Decimal("0.00")),
        income=sum((row.income for row in rows), Decimal("0.00")))
