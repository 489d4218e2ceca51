"""Reads for the storefront's pre-sale pages."""
from django.db.models import Sum
from django.utils import timezone

from shop.fulfilment.selectors import fresh_product_ids

from .models import PreSale, PreSaleOrder


def presale_for_product(product_id, now=None):
    """The pre-sale a product page shows: published, not yet shipped out (its
    ship window not over), the one whose order window comes first."""
    from .calendar import current_calendar

    today = timezone.localdate(now or timezone.now())
    ids = current_calendar().presale_ids(product_id, today)
    if not ids:  # most products: no query
        return None
    return (PreSale.objects.filter(pk__in=ids, status=PreSale.Status.PUBLISHED, ship_until__gte=today)
            .order_by("order_starts", "pk").first())


def presales_published():
    return PreSale.objects.filter(status=PreSale.Status.PUBLISHED).select_related("product")


def presale_requires_cold_storage(presale) -> bool:
    return bool(fresh_product_ids(product_ids=[presale.product_id]))


def presale_orders_of(user):
    return (PreSaleOrder.objects.filter(user=user).exclude(status=PreSaleOrder.Status.EXPIRED, order__isnull=True)
            .select_related("presale__product", "order").order_by("-created", "-pk"))


def presale_order_of(user, number):
    return (PreSaleOrder.objects.select_related("presale__product", "order", "batch")
            .filter(user=user, number=number).first())


def presale_figures(presale):
    """Counts and money of a pre-sale, for its back-office screen."""
    orders = PreSaleOrder.objects.filter(presale=presale)
    by_status = {row["status"]: row for row in orders.values("status").annotate(units=Sum("quantity"),
                                                                                amount=Sum("total"))}
    Status = PreSaleOrder.Status
    kept = orders.filter(status=Status.DEFAULTED).aggregate(total=Sum("deposit_kept"))["total"] or 0
    return {
        "by_status": [(Status(code).label, row["units"] or 0, row["amount"] or 0) for code, row in by_status.items()],
        "deposit_kept": kept,
    }
