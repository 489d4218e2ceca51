"""The demo catalogue as a deterministic sequence of product specs: each brand's
lines × specs × grades (× editions for large catalogues), interleaved brand by
brand, so the first N products are the same whatever N is."""
from dataclasses import dataclass
from decimal import Decimal
from itertools import zip_longest

from .brands_data import BRANDS
from .categories_data import EDITIONS, GRADES, LEAF_PARENT


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    slug: str
    title: str
    line_name: str
    spec_text: str
    brand_slug: str
    brand_name: str
    category: str
    is_fresh: bool
    price: Decimal
    text: str
    county: str | None


def retail_price(value: float) -> Decimal:
    """Prices shoppers see: 29.9, 53.9 below ¥100; 128, 298 above."""
    if value < 100:
        return Decimal(max(round(value), 2)) - Decimal("0.1")
    return Decimal(round(value / 10) * 10 - 2)


def _brand_specs(brand_index: int, brand: dict):
    lines = brand["lines"]
    serial = 0
    for edition in EDITIONS:
        for grade, grade_factor in GRADES[LEAF_PARENT[brand["category"]]]:
            for spec_index in range(max(len(line.get("specs", brand["specs"])) for line in lines)):
                for line in lines:
                    specs = line.get("specs", brand["specs"])
                    if spec_index >= len(specs):
                        continue
                    spec_text, spec_factor = specs[spec_index]
                    category = line.get("category", brand["category"])
                    if grade and category != brand["category"] and LEAF_PARENT[category] != LEAF_PARENT[brand["category"]]:
                        continue  # grade words are per category family
                    serial += 1
                    title = " ".join(part for part in (brand["name"], line["name"], grade, spec_text, edition) if part)
                    yield ProductSpec(
                        sku=f"XP{brand_index + 1:02d}-{serial:04d}",
                        slug=f"{brand['slug']}-{serial:04d}",
                        title=title,
                        line_name=line["name"],
                        spec_text=spec_text,
                        brand_slug=brand["slug"],
                        brand_name=brand["name"],
                        category=category,
                        is_fresh=line.get("fresh", brand["fresh"]),
                        price=retail_price(line["price"] * spec_factor * grade_factor),
                        text=line["text"],
                        county=line.get("county"),
                    )


def all_product_specs() -> list[ProductSpec]:
    per_brand = [list(_brand_specs(index, brand)) for index, brand in enumerate(BRANDS)]
    return [spec for row in zip_longest(*per_brand) for spec in row if spec is not None]


def product_specs(count: int) -> list[ProductSpec]:
    return all_product_specs()[:count]
