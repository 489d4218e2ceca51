"""A minimal catalogue for developing the bench before ``manage.py seed_demo``
exists: one brand, one category, N products with stock records. Run inside
``manage.py shell`` by ``_db.prepare``; never used once the real seeder lands."""
from decimal import Decimal

from django.db import transaction
from oscar.core.loading import get_model

from shop.brands.models import Brand


@transaction.atomic
def seed(products: int):
    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    Category = get_model("catalogue", "Category")
    ProductCategory = get_model("catalogue", "ProductCategory")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")

    Brand.objects.get_or_create(slug="gaozhou-lizhi", defaults={"name": "高州荔枝", "tagline": "bench"})
    pclass, _ = ProductClass.objects.get_or_create(name="水果", defaults={"slug": "fruit", "track_stock": True})
    category = Category.objects.filter(name="水果").first() or Category.add_root(name="水果", slug="fruit")
    partner, _ = Partner.objects.get_or_create(name="bench 合作社")
    kinds = ["荔枝", "金柚", "菠萝", "红茶", "贡柑", "橘红"]
    for i in range(products):
        p = Product.objects.create(title=f"高州{kinds[i % len(kinds)]} {i}", slug=f"bench-{i}",
                                   product_class=pclass, structure="standalone", is_public=True)
        ProductCategory.objects.create(product=p, category=category)
        StockRecord.objects.create(product=p, partner=partner, partner_sku=f"bench-{i}",
                                   price=Decimal("19.90") + i % 50, price_currency="CNY", num_in_stock=1000)
    print(f"fallback seed: {products} products")
