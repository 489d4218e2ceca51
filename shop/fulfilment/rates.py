"""Delivery prices: which rate applies to a method and city, what a basket weighs,
and what it costs to send it. All money is Decimal CNY, exact to the fen.

- A product's weight is the Oscar product attribute ``weight`` (kilograms, on
  the product or its parent); a product without one counts as
  ``DEFAULT_ITEM_WEIGHT_KG`` (settings.DELIVERY_DEFAULT_ITEM_WEIGHT_KG).
- Charge = first_price + ceil(max(0, weight − first_weight)) × additional_kg_price,
  and nothing when the basket's subtotal reaches the rate's ``free_over``.
- Rate lookup (``delivery_rate_find``): the city's own rate decides for that city,
  active or not; otherwise the rate without a city (every other city).
"""
import re
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.db.models import Q
from oscar.core.loading import get_model

from .models import DeliveryRate

ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")

WEIGHT_ATTRIBUTE_CODE = "weight"
DEFAULT_ITEM_WEIGHT_KG = Decimal(str(getattr(settings, "DELIVERY_DEFAULT_ITEM_WEIGHT_KG", "1")))
FEN = Decimal("0.01")
ZERO = Decimal("0.00")

Method = DeliveryRate.Method
HOME_METHODS = (Method.HOME, Method.COLD_CHAIN)
PICKUP_METHODS = (Method.COMMUNITY_PICKUP, Method.LOCKER)


def delivery_rate_find(*, method, city):
    """The rate of ``method`` that applies to ``city`` (a City or None), active or
    not: the city's own, else the one for every other city; None when neither exists."""
    cities = Q(city__isnull=True) | Q(city=city) if city is not None else Q(city__isnull=True)
    by_city = {rate.city_id: rate for rate in DeliveryRate.objects.filter(cities, method=method).select_related("city")}
    if city is not None and city.pk in by_city:
        return by_city[city.pk]
    return by_city.get(None)


def delivery_rate_active(*, method, city):
    """The rate that prices ``method`` to ``city`` now, or None."""
    rate = delivery_rate_find(method=method, city=city)
    return rate if rate is not None and rate.is_active else None


def delivery_charge(*, rate, weight_kg, subtotal) -> Decimal:
    """What ``rate`` charges for ``weight_kg`` (Decimal) when the goods cost ``subtotal``."""
    if rate.free_over is not None and subtotal >= rate.free_over:
        return ZERO
    extra = max(Decimal(0), Decimal(weight_kg) - rate.first_weight_kg)
    extra_kg = extra.to_integral_value(rounding=ROUND_CEILING)
    return (rate.first_price + extra_kg * rate.additional_kg_price).quantize(FEN)


def product_weights_kg(*, products):
    """{product id: weight in kg} for ``products`` (a child takes its parent's
    weight when it has none of its own; no weight: DEFAULT_ITEM_WEIGHT_KG)."""
    products = list(products)
    ids = {product.pk for product in products} | {product.parent_id for product in products if product.parent_id}
    values = ProductAttributeValue.objects.filter(
        product_id__in=ids, attribute__code=WEIGHT_ATTRIBUTE_CODE
    ).select_related("attribute")
    found = {}
    for value in values:
        weight = value.value
        if weight not in (None, ""):
            found[value.product_id] = Decimal(str(weight))
    weights = {}
    for product in products:
        weight = found.get(product.pk)
        if weight is None and product.parent_id:
            weight = found.get(product.parent_id)
        weights[product.pk] = weight if weight is not None and weight >= 0 else DEFAULT_ITEM_WEIGHT_KG
    return weights


def basket_weight_kg(*, basket) -> Decimal:
    """Total weight of the basket's lines in kg (quantity × each product's weight)."""
    lines = [line for line in basket.all_lines() if line.product is not None]
    weights = product_weights_kg(products=[line.product for line in lines])
    return sum((weights[line.product_id] * line.quantity for line in lines), Decimal(0))


def basket_subtotal(*, basket) -> Decimal:
    """The goods' price after offers, before delivery (what ``free_over`` compares with)."""
    return basket.total_incl_tax if basket.is_tax_known else basket.total_excl_tax


def basket_delivery_charge(*, rate, basket) -> Decimal:
    if rate is None:
        return ZERO
    return delivery_charge(rate=rate, weight_kg=basket_weight_kg(basket=basket),
                           subtotal=basket_subtotal(basket=basket))


def weight_attribute_ensure(*, product_class):
    """The ``weight`` attribute (kg) on ``product_class``, created if missing, so
    Oscar's product form asks for it."""
    attribute, _created = ProductAttribute.objects.get_or_create(
        product_class=product_class, code=WEIGHT_ATTRIBUTE_CODE,
        defaults={"name": "重量（千克）", "type": ProductAttribute.FLOAT, "required": False},
    )
    return attribute


def product_weight_set(*, product, weight_kg):
    """Set ``product``'s weight (kg), adding the attribute to its class if needed."""
    attribute = weight_attribute_ensure(product_class=product.get_product_class())
    ProductAttributeValue.objects.update_or_create(
        product=product, attribute=attribute, defaults={"value_float": float(Decimal(str(weight_kg)))}
    )


# -- demo data -----------------------------------------------------------------

DEMO_RATES = (
    # method, city code (None: every other city), first kg, first price, per extra kg, free over
    (Method.HOME, "440100", "1", "8.00", "2.00", "99.00"),     # 广州市
    (Method.HOME, "440300", "1", "10.00", "3.00", "129.00"),   # 深圳市
    (Method.HOME, None, "1", "12.00", "4.00", None),
    (Method.COLD_CHAIN, "440100", "1", "18.00", "5.00", "199.00"),
    (Method.COLD_CHAIN, "440300", "1", "20.00", "6.00", "199.00"),
)


def _title_weight_kg(title):
    """Demo only: a pack size in a product title ('约5斤', '250克', '2.5公斤') in kg, or None."""
    match = re.search(r"(\d+(?:\.\d+)?)\s*(公斤|千克|kg|斤|克|g)(?![a-z])", title, flags=re.IGNORECASE)
    if not match:
        return None
    number, unit = Decimal(match.group(1)), match.group(2).lower()
    factor = {"公斤": Decimal(1), "千克": Decimal(1), "kg": Decimal(1), "斤": Decimal("0.5"),
              "克": Decimal("0.001"), "g": Decimal("0.001")}[unit]
    return (number * factor).quantize(Decimal("0.001"))


def rates_seed_demo():
    """Demo delivery rates (Guangzhou and Shenzhen priced, home delivery elsewhere,
    cold chain only in those two cities; pickup stays free: no rate) and product weights read
    from the demo titles' pack sizes. Idempotent; returns counts created, as the
    demo seeding stages do."""
    from shop.regions.models import City

    Product = get_model("catalogue", "Product")
    cities = {city.code: city for city in City.objects.all()}
    created = 0
    for method, city_code, first_kg, first_price, extra_price, free_over in DEMO_RATES:
        if city_code is not None and city_code not in cities:
            continue
        _rate, was_created = DeliveryRate.objects.update_or_create(
            method=method, city=cities.get(city_code) if city_code else None,
            defaults={
                "first_weight_kg": Decimal(first_kg), "first_price": Decimal(first_price),
                "additional_kg_price": Decimal(extra_price),
                "free_over": Decimal(free_over) if free_over else None, "is_active": True,
            },
        )
        created += was_created
    attributes = {}
    already = set(ProductAttributeValue.objects.filter(attribute__code=WEIGHT_ATTRIBUTE_CODE)
                  .values_list("product_id", flat=True))
    values = []
    products = (Product.objects.filter(parent__isnull=True, product_class__isnull=False).exclude(pk__in=already)
                .select_related("product_class"))
    for product in products:
        weight = _title_weight_kg(product.title)
        if weight is None:
            continue
        if product.product_class_id not in attributes:
            attributes[product.product_class_id] = weight_attribute_ensure(product_class=product.product_class)
        values.append(ProductAttributeValue(product=product, attribute=attributes[product.product_class_id],
                                            value_float=float(weight)))
    ProductAttributeValue.objects.bulk_create(values)
    return {"DeliveryRate": created, "ProductAttributeValue": len(values)}
