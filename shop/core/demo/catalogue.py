"""Seed Oscar's catalogue: product class, category tree and the products, each
with a stock record at its market subject's partner, an origin with its
poverty-alleviation certificate, and one generated picture."""
import datetime
import random
from collections import defaultdict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from oscar.checks import use_productcategory_materialised_view
from oscar.core.loading import get_model

from shop.brands.models import Brand, ProductOrigin
from shop.regions.models import Village

from . import codes, images
from .catalogue_specs import product_specs
from .categories_data import CATEGORIES, GLYPHS, LEAF_PARENT, PRODUCT_CLASS_NAME, PRODUCT_CLASS_SLUG, TOP_COLOURS
from .subjects import subjects_by_code
from .subjects_data import SUBJECTS

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
StockRecord = get_model("partner", "StockRecord")

IMAGE_FOLDER = "images/products/demo"
BATCH = 200
PROVINCIAL_ISSUER = "广东省扶贫开发办公室"

STORAGE_TIPS = {
    "fruit": "收货后请及时开箱检查，置于阴凉通风处，冷藏口感更佳。",
    "tea": "请密封、避光、防潮保存，开封后尽快饮用。",
    "grain-oil": "请置于阴凉干燥处，开袋后密封保存。",
    "vegetables": "冷链配送，收货后请冷藏，3天内食用风味最佳。",
    "dried-goods": "请置于阴凉干燥处，开封后密封保存。",
    "meat-poultry-eggs": "冰鲜/鲜活产品，收货后请立即冷藏，尽快食用。",
    "southern-herbs": "请密封、防潮、避光保存；药食两用，特殊人群请遵医嘱。",
}


def ensure_product_class():
    product_class, _ = ProductClass.objects.get_or_create(
        slug=PRODUCT_CLASS_SLUG,
        defaults={"name": PRODUCT_CLASS_NAME, "requires_shipping": True, "track_stock": True},
    )
    if not (product_class.requires_shipping and product_class.track_stock and product_class.name == PRODUCT_CLASS_NAME):
        product_class.name, product_class.requires_shipping, product_class.track_stock = PRODUCT_CLASS_NAME, True, True
        product_class.save()
    return product_class


def ensure_categories() -> dict:
    """The category tree; returns leaf categories by slug."""
    leaves = {}
    for name, slug, _colour, children in CATEGORIES:
        root = Category.get_root_nodes().filter(slug=slug).first() or Category.add_root(name=name, slug=slug)
        for child_name, child_slug in children:
            root = Category.objects.get(pk=root.pk)
            child = root.get_children().filter(slug=child_slug).first()
            leaves[child_slug] = child or root.add_child(name=child_name, slug=child_slug)
    return leaves


def _subjects_for_brands():
    subjects = subjects_by_code()
    by_brand = defaultdict(list)
    for code, *_rest, brand_slugs, _description in SUBJECTS:
        for slug in brand_slugs:
            if code in subjects:
                by_brand[slug].append(subjects[code])
    return by_brand


def _villages_by_county():
    villages = defaultdict(lambda: {"poor": [], "other": []})
    for village in Village.objects.select_related("township__county__city").order_by("code"):
        kind = "poor" if village.is_provincial_poor_village else "other"
        villages[village.township.county_id][kind].append(village)
    return villages


def _pick_subject(spec, candidates, index):
    local = [s for s in candidates if spec.county and s.county.code == spec.county]
    pool = local or candidates
    return pool[index % len(pool)]


def _pick_village(rng, county_villages):
    pool = county_villages["poor"] if county_villages["poor"] and rng.random() < 0.8 else None
    pool = pool or county_villages["other"] or county_villages["poor"]
    return rng.choice(pool)


def _description(spec, village, brand):
    township, county = village.township, village.township.county
    poor = "（省定贫困村）" if village.is_provincial_poor_village else ""
    return (
        f"<p>{spec.text}</p>"
        f"<p>{brand.name}：{brand.tagline}。规格：{spec.spec_text}。</p>"
        f"<p>产地：广东省{county.city.name}{county.name}{township.name}{village.name}{poor}。</p>"
        f"<p>{STORAGE_TIPS[LEAF_PARENT[spec.category]]}</p>"
    )


def _certificate(index, county):
    year = 2019 if index % 3 == 0 else 2020
    issuer = PROVINCIAL_ISSUER if index % 2 == 0 else f"{county.city.name}扶贫开发办公室"
    valid_until = datetime.date(2027 + index % 2, (3, 6, 9, 12)[index % 4], 30)
    return f"粤扶认〔{year}〕第{index + 1:04d}号", issuer, valid_until


def _gtin(index, subject_serial):
    if index % 2:
        return ""
    return codes.gtin13(f"69{subject_serial:05d}{index % 100000:05d}")


def _draw(spec) -> ContentFile:
    colour = TOP_COLOURS[LEAF_PARENT[spec.category]]
    return ContentFile(images.product_image_bytes(
        title=spec.line_name, subtitle=f"{spec.brand_name} · {spec.spec_text}", colour=colour,
        glyph=GLYPHS[spec.category],
    ))


def _image_path(spec) -> str:
    """Pictures are drawn once: an existing file (from an earlier run) is reused."""
    path = f"{IMAGE_FOLDER}/{spec.sku}.jpg"
    if not default_storage.exists(path):
        path = default_storage.save(path, _draw(spec))
    return path


def _is_local_storage() -> bool:
    try:
        default_storage.path(IMAGE_FOLDER)
    except NotImplementedError:
        return False
    return True


def restore_missing_images(specs) -> int:
    """Redraw pictures whose files went missing (e.g. a wiped media folder),
    on local storage only, where checking a file costs nothing."""
    if not _is_local_storage():
        return 0
    by_sku = {spec.sku: spec for spec in specs}
    restored = 0
    for image in ProductImage.objects.filter(product__upc__in=by_sku).select_related("product"):
        if not default_storage.exists(image.original.name):
            default_storage.save(image.original.name, _draw(by_sku[image.product.upc]))
            restored += 1
    return restored


def _create_batch(batch, *, product_class, leaves, brands, subjects_for_brand, villages, subject_serials):
    products, plans = [], []
    for index, spec in batch:
        rng = random.Random(spec.sku)
        subject = _pick_subject(spec, subjects_for_brand[spec.brand_slug], index)
        village = _pick_village(rng, villages[subject.county_id])
        brand = brands[spec.brand_slug]
        products.append(Product(
            structure=Product.STANDALONE, product_class=product_class, title=spec.title, slug=spec.slug,
            upc=spec.sku, description=_description(spec, village, brand), is_public=True, is_discountable=True,
        ))
        plans.append((index, spec, rng, subject, village, brand))
    Product.objects.bulk_create(products)
    if products and products[0].pk is None:
        by_upc = Product.objects.in_bulk([p.upc for p in products], field_name="upc")
        products = [by_upc[p.upc] for p in products]

    categories, stockrecords, origins, pictures = [], [], [], []
    for product, (index, spec, rng, subject, village, brand) in zip(products, plans):
        categories.append(ProductCategory(product=product, category=leaves[spec.category]))
        stockrecords.append(StockRecord(
            product=product, partner=subject.partner, partner_sku=spec.sku, price=spec.price, price_currency="CNY",
            num_in_stock=rng.randint(20, 300) if spec.is_fresh else rng.randint(60, 800),
        ))
        number, issuer, valid_until = _certificate(index, village.township.county)
        origins.append(ProductOrigin(
            product=product, brand=brand, county=village.township.county, village=village, market_subject=subject,
            certificate_number=number, certificate_issuer=issuer, certificate_valid_until=valid_until,
            is_fresh=spec.is_fresh, gtin=_gtin(index, subject_serials[subject.partner.code]),
        ))
        pictures.append(ProductImage(product=product, original=_image_path(spec), caption=spec.title[:200],
                                     display_order=0))
    ProductCategory.objects.bulk_create(categories)
    StockRecord.objects.bulk_create(stockrecords)
    ProductOrigin.objects.bulk_create(origins)
    ProductImage.objects.bulk_create(pictures)
    return len(products)


def refresh_category_view():
    """Oscar's product-category materialised view (PostgreSQL) is refreshed by
    signals that bulk writes skip."""
    if use_productcategory_materialised_view():
        with connection.cursor() as cursor:
            cursor.execute("REFRESH MATERIALIZED VIEW catalogue_product_category_hierarchy;")


def seed_products(count: int, progress=None) -> dict:
    product_class = ensure_product_class()
    leaves = ensure_categories()
    specs = list(enumerate(product_specs(count)))
    existing = set(Product.objects.filter(upc__in=[s.sku for _, s in specs]).values_list("upc", flat=True))
    todo = [(index, spec) for index, spec in specs if spec.sku not in existing]
    restore_missing_images([spec for _, spec in specs if spec.sku in existing])
    if progress:
        progress.update(len(specs) - len(todo))
    context = {
        "product_class": product_class,
        "leaves": leaves,
        "brands": {b.slug: b for b in Brand.objects.all()},
        "subjects_for_brand": _subjects_for_brands(),
        "villages": _villages_by_county(),
        "subject_serials": {row[0]: serial for serial, row in enumerate(SUBJECTS, start=1)},
    }
    created = 0
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        created += _create_batch(batch, **context)
        if progress:
            progress.update(len(batch))
    if created:
        refresh_category_view()
    return {"Product": created}
