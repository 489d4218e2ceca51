"""Our stable ids as the channels know them (outer_id / out_product_id / offerId).
A listing's key is the product's UPC (our SKU code, e.g. ``GD-MM-001``) or, for a
product without one, ``XP<pk>``; a SKU's key is its stock record's partner SKU."""


def listing_key(product) -> str:
    return product.upc or f"XP{product.pk}"


def sku_key(stockrecord) -> str:
    return stockrecord.partner_sku
