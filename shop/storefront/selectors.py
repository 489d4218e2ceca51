"""Reads for the storefront: product listings, facets, the category tree and
the product page.

Every listing is built so that a page costs the same number of SQL queries
whatever the catalogue size: the products of one page with their origin chain
in one query, then their stock records and their images in one query each
(Oscar's ``UseFirstStockRecord`` reads ``product.stockrecords.all()`` and
``product.primary_image`` reads ``product.images.all()``, so both use the
prefetched rows).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from oscar.core.loading import get_model

from shop.brands.models import ProductOrigin
from shop.core.cache import cached_by_generation

Product = get_model("catalogue", "Product")
Category = get_model("catalogue", "Category")
ProductCategory = get_model("catalogue", "ProductCategory")
Option = get_model("catalogue", "Option")
StockRecord = get_model("partner", "StockRecord")

SORT_NEWEST = "newest"
SORT_PRICE_ASC = "price-asc"
SORT_PRICE_DESC = "price-desc"
SORT_TITLE = "title"
SORT_CHOICES = (SORT_NEWEST, SORT_PRICE_ASC, SORT_PRICE_DESC, SORT_TITLE)


class SubqueryCount(Func):
    """``(SELECT COUNT(DISTINCT col) ...)`` usable as a correlated subquery value."""

    function = "COUNT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def _with_option_flags(queryset):
    # Oscar's Product.has_options reads these two annotations instead of querying.
    return queryset.annotate(
        has_product_class_options=Exists(Option.objects.filter(productclass=OuterRef("product_class"))),
        has_product_options=Exists(Option.objects.filter(product=OuterRef("pk"))),
    )


def product_card_queryset():
    """Browsable products with what a product card shows: 3 queries for any
    number of them (products + origin chain, stock records, images)."""
    return _with_option_flags(
        Product.objects.browsable().select_related("product_class", "origin__brand", "origin__county__city")
    ).prefetch_related("stockrecords", "images")


# --- category tree -----------------------------------------------------------


@dataclass(frozen=True)
class CategoryNode:
    id: int
    path: str
    depth: int
    name: str
    slug: str
    full_slug: str
    ancestor_ids: tuple[int, ...]

    def get_absolute_url(self):
        return reverse("catalogue:category", kwargs={"category_slug": self.full_slug, "pk": self.id})

    @property
    def url(self):
        return self.get_absolute_url()


@dataclass(frozen=True)
class CategoryTree:
    nodes: tuple[CategoryNode, ...]
    by_id: dict = field(default_factory=dict)

    def get(self, category_id):
        return self.by_id.get(category_id)

    def roots(self):
        return [node for node in self.nodes if node.depth == 1]

    def children(self, node):
        return [n for n in self.nodes if n.depth == node.depth + 1 and n.path.startswith(node.path)]

    def ancestors_and_self(self, node):
        return [self.by_id[i] for i in node.ancestor_ids if i in self.by_id] + [node]


def _build_category_tree():
    rows = list(Category.objects.browsable().order_by("path").values("id", "path", "depth", "name", "slug"))
    by_path = {}
    nodes = []
    for row in rows:
        parent = by_path.get(row["path"][: -Category.steplen]) if row["depth"] > 1 else None
        if row["depth"] > 1 and parent is None:
            continue  # an ancestor is not browsable
        node = CategoryNode(
            id=row["id"],
            path=row["path"],
            depth=row["depth"],
            name=row["name"],
            slug=row["slug"],
            full_slug=f"{parent.full_slug}/{row['slug']}" if parent else row["slug"],
            ancestor_ids=(*parent.ancestor_ids, parent.id) if parent else (),
        )
        by_path[node.path] = node
        nodes.append(node)
    return CategoryTree(nodes=tuple(nodes), by_id={node.id: node for node in nodes})


def category_tree() -> CategoryTree:
    """The browsable category tree, from the cache (one query when cold; it
    goes stale with the pages, i.e. on any catalogue change)."""
    return cached_by_generation("category-tree", "v1", compute=_build_category_tree)


# --- filtering and facets ----------------------------------------------------


@dataclass(frozen=True)
class CatalogueFilters:
    brand: str = ""  # Brand.slug
    city: str = ""  # City.code
    county: str = ""  # County.code
    category: CategoryNode | None = None
    query: str = ""
    sort: str = SORT_NEWEST

    @property
    def cache_key(self):
        category = self.category.id if self.category is not None else ""
        return f"{self.brand}|{self.city}|{self.county}|{category}|{self.query}"


def _search_terms(query):
    return [term for term in query.split() if term][:8]


def _filter_products(queryset, filters: CatalogueFilters, *, skip=()):
    if filters.brand and "brand" not in skip:
        queryset = queryset.filter(origin__brand__slug=filters.brand)
    if "region" not in skip:
        if filters.county:
            queryset = queryset.filter(origin__county__code=filters.county)
        elif filters.city:
            queryset = queryset.filter(origin__county__city__code=filters.city)
    if filters.category is not None and "category" not in skip:
        queryset = queryset.filter(
            Exists(
                ProductCategory.objects.filter(
                    product=OuterRef("pk"), category__path__startswith=filters.category.path
                )
            )
        )
    for term in _search_terms(filters.query):
        queryset = queryset.filter(
            Q(title__icontains=term)
            | Q(origin__brand__name__icontains=term)
            | Q(origin__brand__name_en__icontains=term)
            | Q(origin__county__name__icontains=term)
            | Q(origin__county__name_en__icontains=term)
            | Q(origin__county__city__name__icontains=term)
        )
    return queryset


def _sorted(queryset, sort):
    if sort in (SORT_PRICE_ASC, SORT_PRICE_DESC):
        first_price = StockRecord.objects.filter(product=OuterRef("pk")).order_by("pk").values("price")[:1]
        queryset = queryset.annotate(sort_price=Subquery(first_price))
        if sort == SORT_PRICE_ASC:
            return queryset.order_by(F("sort_price").asc(nulls_last=True), "pk")
        return queryset.order_by(F("sort_price").desc(nulls_last=True), "pk")
    if sort == SORT_TITLE:
        return queryset.order_by("title", "pk")
    return queryset.order_by("-date_created", "-pk")


def products_for_catalogue(filters: CatalogueFilters):
    """The filtered, sorted product cards (lazy: paginate it)."""
    return _sorted(_filter_products(product_card_queryset(), filters), filters.sort)


def product_count_for_catalogue(filters: CatalogueFilters) -> int:
    """How many products match: cached until the next catalogue change."""
    return cached_by_generation(
        "catalogue-count", filters.cache_key,
        compute=lambda: _filter_products(Product.objects.browsable(), filters).count(),
    )


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    is_selected: bool


@dataclass(frozen=True)
class CatalogueFacets:
    brands: list[FacetValue]
    cities: list[FacetValue]
    counties: list[FacetValue]
    categories: list[tuple[CategoryNode, int]]


def _label(name, name_en, language):
    return name_en if language == "en" and name_en else name


def catalogue_facets(filters: CatalogueFilters, *, language="zh-hans") -> CatalogueFacets:
    """Facet values with counts (cached until the next catalogue change)."""
    return cached_by_generation(
        "catalogue-facets", language, filters.cache_key,
        compute=lambda: _catalogue_facets(filters, language=language),
    )


def _catalogue_facets(filters: CatalogueFilters, *, language) -> CatalogueFacets:
    """Facet values with counts, two queries.

    Counts are disjunctive: a facet's counts apply every filter except its own,
    so the other brands stay visible (with their counts) once a brand is picked.
    Brand and region come from one grouped query over the product origins
    (each product has one brand and one county); categories from one query
    with a correlated count per shown category (children of the current one,
    or the top level).
    """
    base = Product.objects.browsable()
    origin_rows = list(
        ProductOrigin.objects.filter(product__in=_filter_products(base, filters, skip=("brand", "region")).values("pk"))
        .values(
            "brand__slug", "brand__name", "brand__name_en", "brand__display_order",
            "county__code", "county__name", "county__name_en",
            "county__city__code", "county__city__name", "county__city__name_en",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )

    def region_matches(row):
        if filters.county:
            return row["county__code"] == filters.county
        if filters.city:
            return row["county__city__code"] == filters.city
        return True

    selected_city = filters.city
    if filters.county and not selected_city:
        selected_city = next((r["county__city__code"] for r in origin_rows if r["county__code"] == filters.county), "")

    brands, cities, counties = {}, {}, {}
    for row in origin_rows:
        if region_matches(row):
            entry = brands.setdefault(
                row["brand__slug"],
                [(row["brand__display_order"], row["brand__name"]),
                 _label(row["brand__name"], row["brand__name_en"], language), 0],
            )
            entry[2] += row["n"]
        if filters.brand and row["brand__slug"] != filters.brand:
            continue
        city = cities.setdefault(
            row["county__city__code"],
            [row["county__city__code"], _label(row["county__city__name"], row["county__city__name_en"], language), 0],
        )
        city[2] += row["n"]
        if selected_city and row["county__city__code"] == selected_city:
            county = counties.setdefault(
                row["county__code"], [row["county__code"], _label(row["county__name"], row["county__name_en"], language), 0]
            )
            county[2] += row["n"]

    # Selected values first (they lead the horizontally scrolling rows on a phone).
    brand_facets = [
        FacetValue(value=slug, label=label, count=count, is_selected=slug == filters.brand)
        for slug, (_order, label, count) in sorted(
            brands.items(), key=lambda item: (item[0] != filters.brand, item[1][0])
        )
    ]
    city_facets = [
        FacetValue(value=code, label=label, count=count, is_selected=code == selected_city)
        for code, (_, label, count) in sorted(cities.items(), key=lambda item: (item[0] != selected_city, item[0]))
    ]
    county_facets = [
        FacetValue(value=code, label=label, count=count, is_selected=code == filters.county)
        for code, (_, label, count) in sorted(counties.items(), key=lambda item: (item[0] != filters.county, item[0]))
    ]
    return CatalogueFacets(
        brands=brand_facets,
        cities=city_facets,
        counties=county_facets,
        categories=_category_facets(filters, base),
    )


def _category_facets(filters, base):
    tree = category_tree()
    shown = tree.children(filters.category) if filters.category is not None else tree.roots()
    if not shown:
        return []
    counted = _filter_products(base, filters, skip=("category",)).values("pk")
    count_in_subtree = (
        ProductCategory.objects.filter(category__path__startswith=OuterRef("path"), product__in=counted)
        .order_by()
        .annotate(n=SubqueryCount("product_id"))
        .values("n")
    )
    counts = dict(
        Category.objects.filter(pk__in=[node.id for node in shown])
        .annotate(n=Subquery(count_in_subtree, output_field=IntegerField()))
        .values_list("pk", "n")
    )
    return [(node, counts.get(node.id) or 0) for node in shown if counts.get(node.id)]


# --- product page ------------------------------------------------------------


def product_for_detail(*, pk):
    """One product with everything its page shows, from the cache until the
    next catalogue change (stock and price changes included), else 4 queries
    (product with origin chain, market subject and class; stock records;
    images; browsable categories). Raises Product.DoesNotExist."""
    product = cached_by_generation("product-detail", int(pk), compute=lambda: _product_for_detail(pk))
    if product is None:  # not cached either: a miss costs its query every time
        raise Product.DoesNotExist(pk)
    return product


def _product_for_detail(pk):
    try:
        return _load_product_for_detail(pk)
    except Product.DoesNotExist:
        return None


def _load_product_for_detail(pk):
    return _with_option_flags(
        Product.objects.select_related(
            "product_class",
            "parent__product_class",
            "origin__brand",
            "origin__county__city",
            "origin__village__township",
            "origin__market_subject",
        )
    ).prefetch_related(
        "stockrecords",
        "images",
        Prefetch(
            "categories",
            queryset=Category.objects.browsable().order_by("path"),
            to_attr="_prefetched_browsable_categories",
        ),
    ).get(pk=pk)


def product_origin(product):
    """The product's ProductOrigin or None (already joined by the selectors)."""
    try:
        return product.origin
    except ProductOrigin.DoesNotExist:
        return None
