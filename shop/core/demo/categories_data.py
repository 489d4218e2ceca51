"""The catalogue's category tree, product class and grade wording."""

PRODUCT_CLASS_NAME = "农产品"
PRODUCT_CLASS_SLUG = "farm-produce"

# (name, slug, image colour, [(child name, child slug), ...])
CATEGORIES = [
    ("水果", "fruit", (236, 138, 44), [
        ("柑橘", "citrus"),
        ("荔枝龙眼", "lychee-longan"),
        ("菠萝", "pineapple"),
        ("桃李梅", "stone-fruit"),
        ("特色鲜果", "specialty-fruit"),
    ]),
    ("茶叶", "tea", (122, 92, 56), [
        ("红茶", "black-tea"),
        ("乌龙茶", "oolong"),
        ("特色茶", "specialty-tea"),
    ]),
    ("粮油米面", "grain-oil", (196, 164, 92), [
        ("大米", "rice"),
    ]),
    ("蔬菜", "vegetables", (92, 160, 76), [
        ("叶菜", "leafy-greens"),
    ]),
    ("干货特产", "dried-goods", (150, 98, 64), [
        ("坚果炒货", "nuts"),
        ("果干蜜饯", "dried-fruit"),
    ]),
    ("禽畜肉蛋", "meat-poultry-eggs", (198, 84, 70), [
        ("禽类", "poultry"),
        ("蛋类", "eggs"),
    ]),
    ("南药", "southern-herbs", (110, 126, 74), [
        ("陈皮橘红", "peel"),
        ("砂仁", "amomum"),
    ]),
]

# The glyph drawn on product pictures, by leaf category.
GLYPHS = {
    "citrus": "柑", "lychee-longan": "荔", "pineapple": "菠", "stone-fruit": "果", "specialty-fruit": "果",
    "black-tea": "茶", "oolong": "茶", "specialty-tea": "茶", "rice": "米", "leafy-greens": "菜",
    "nuts": "栗", "dried-fruit": "梅", "poultry": "鸡", "eggs": "蛋", "peel": "药", "amomum": "药",
}

# Leaf slug → top-level slug, for colours and grade wording.
LEAF_PARENT = {child_slug: top_slug for _, top_slug, _, children in CATEGORIES for _, child_slug in children}
TOP_COLOURS = {top_slug: colour for _, top_slug, colour, _ in CATEGORIES}

# Grade words (with a price factor) that vary a product line, by top category.
GRADES = {
    "fruit": [("", 1.0), ("精选果", 1.12), ("一级果", 1.2), ("特级大果", 1.38), ("产地直发", 1.05)],
    "tea": [("", 1.0), ("一级", 1.18), ("特级", 1.45), ("高山茶", 1.3), ("手工茶", 1.7)],
    "grain-oil": [("", 1.0), ("当季新米", 1.08), ("一级", 1.15), ("生态种植", 1.3), ("有机", 1.6)],
    "vegetables": [("", 1.0), ("精选", 1.12), ("基地直采", 1.05), ("特级", 1.25), ("有机", 1.5)],
    "dried-goods": [("", 1.0), ("精选", 1.12), ("一级", 1.2), ("古法", 1.25), ("礼盒装", 1.4)],
    "meat-poultry-eggs": [("", 1.0), ("精选", 1.1), ("林下散养", 1.2), ("180天", 1.25), ("礼盒装", 1.3)],
    "southern-herbs": [("", 1.0), ("精选", 1.15), ("道地", 1.3), ("特级", 1.45), ("礼品装", 1.6)],
}

# A last dimension, used only for large catalogues (bench runs).
EDITIONS = ["", "当季新货", "助农款"]
