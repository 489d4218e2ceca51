"""Seed the regional public brands with their counties and generated logos."""
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from shop.brands.models import Brand
from shop.regions.models import County

from . import images
from .brands_data import BRANDS
from .categories_data import LEAF_PARENT, TOP_COLOURS
from .upsert import sync_rows


def brand_colour(brand_data: dict) -> tuple[int, int, int]:
    return TOP_COLOURS[LEAF_PARENT[brand_data["category"]]]


def _ensure_logo(brand: Brand, brand_data: dict) -> bool:
    path = f"brands/{brand.slug}.png"
    if not default_storage.exists(path):
        content = images.brand_logo_bytes(name=brand.name, colour=brand_colour(brand_data))
        path = default_storage.save(path, ContentFile(content))
    if brand.logo.name != path:
        brand.logo.name = path
        brand.save(update_fields=["logo"])
        return True
    return False


def seed_brands() -> dict:
    rows = [
        {"slug": b["slug"], "name": b["name"], "name_en": b["name_en"], "tagline": b["tagline"],
         "story": b["story"], "standards": b["standards"], "is_featured": b["featured"], "display_order": index}
        for index, b in enumerate(BRANDS)
    ]
    result = sync_rows(Brand, "slug", rows)
    counties = {c.code: c for c in County.objects.filter(code__in={code for b in BRANDS for code in b["counties"]})}
    for brand_data in BRANDS:
        brand = result.objects[brand_data["slug"]]
        wanted = {counties[code].pk for code in brand_data["counties"]}
        if set(brand.counties.values_list("pk", flat=True)) != wanted:
            brand.counties.set(wanted)
        _ensure_logo(brand, brand_data)
    return {"Brand": result.created}
