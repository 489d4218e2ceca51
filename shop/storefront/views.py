"""Catalogue browse, category, search and product views that replace Oscar's
haystack-backed ones (swapped in by ``shop.storefront.oscar_apps``).

They read through ``shop.storefront.selectors`` so that a page costs a constant
number of queries whatever the catalogue size.
"""
from urllib.parse import unquote

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from oscar.core.loading import get_class, get_model

from shop.core.cache import cached_by_generation
from shop.producers.selectors import beneficiary_count_for_market_subject

from . import selectors

Product = get_model("catalogue", "Product")
OscarProductDetailView = get_class("catalogue.views", "ProductDetailView")

SORT_LABELS = (
    (selectors.SORT_NEWEST, _("最新上架")),
    (selectors.SORT_PRICE_ASC, _("价格从低到高")),
    (selectors.SORT_PRICE_DESC, _("价格从高到低")),
    (selectors.SORT_TITLE, _("按名称")),
)


class LazyProducts:
    """A product listing built only when a template iterates it: a page whose
    product grid comes from a cached fragment never even builds its queryset."""

    def __init__(self, build, window=None):
        self._build, self._window, self._items = build, window, None

    def __getitem__(self, window):
        if isinstance(window, slice) and self._items is None and self._window is None:
            return LazyProducts(self._build, window)
        return self._evaluate()[window]

    def _evaluate(self):
        if self._items is None:
            queryset = self._build()
            self._items = list(queryset[self._window] if self._window is not None else queryset)
        return self._items

    def __iter__(self):
        return iter(self._evaluate())

    def __len__(self):
        return len(self._evaluate())

    def __bool__(self):
        return bool(self._evaluate())


def paginate(request, queryset, per_page, *, count=None):
    """Django's paginator, with a bad or out-of-range ``page`` as a 404
    (a cacheable answer, unlike Oscar's redirect with a message). With a known
    ``count`` it runs no query: the page's objects stay a lazy queryset."""
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached_property
    try:
        return paginator.page(request.GET.get("page") or 1)
    except (PageNotAnInteger, EmptyPage):
        raise Http404(_("没有这一页"))


class CatalogueView(TemplateView):
    """All products, filtered by ``brand``, ``city``, ``county``, ``category``
    and ``q``, sorted by ``sort``, with facet counts."""

    template_name = "oscar/catalogue/browse.html"
    paginate_by = settings.OSCAR_PRODUCTS_PER_PAGE
    summary = _("全部商品")

    def get_category(self):
        category_id = self.request.GET.get("category", "")
        if not category_id.isdigit():
            return None
        return selectors.category_tree().get(int(category_id))

    def get_filters(self):
        params = self.request.GET
        sort = params.get("sort", "")
        return selectors.CatalogueFilters(
            brand=params.get("brand", "").strip()[:64],
            city=params.get("city", "").strip()[:6],
            county=params.get("county", "").strip()[:6],
            category=self.get_category(),
            query=params.get("q", "").strip()[:100],
            sort=sort if sort in selectors.SORT_CHOICES else selectors.SORT_NEWEST,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = self.get_filters()
        page = paginate(
            self.request,
            LazyProducts(lambda: selectors.products_for_catalogue(filters)),
            self.paginate_by,
            count=selectors.product_count_for_catalogue(filters),
        )
        context.update(
            summary=self.summary,
            filters=filters,
            facets=selectors.catalogue_facets(filters, language=get_language()),
            page_obj=page,
            paginator=page.paginator,
            products=page.object_list,
            sort_choices=SORT_LABELS,
            category=filters.category,
        )
        return context


class ProductCategoryView(CatalogueView):
    template_name = "oscar/catalogue/category.html"

    def get(self, request, *args, **kwargs):
        self.category = selectors.category_tree().get(int(kwargs["pk"]))
        if self.category is None:
            raise Http404(_("没有这个分类"))
        expected_path = self.category.get_absolute_url()
        if unquote(expected_path) != unquote(request.path):
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(expected_path + ("?" + query if query else ""))
        return super().get(request, *args, **kwargs)

    def get_category(self):
        return self.category

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tree = selectors.category_tree()
        context["summary"] = self.category.name
        context["category_ancestors"] = tree.ancestors_and_self(self.category)[:-1]
        return context


class SearchView(CatalogueView):
    """Database search on title, brand and county (and their English names)."""

    template_name = "oscar/search/results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = context["filters"].query
        context["summary"] = _("搜索结果")
        return context


class ProductDetailView(OscarProductDetailView):
    """Oscar's product page (path redirects, visibility, per-class templates),
    read through one selector: product with origin chain and market subject,
    stock records, images and categories, plus the beneficiary COUNT.

    It does not send Oscar's ``product_viewed`` signal: anonymous views are
    served from the page cache, so per-view counters would count only misses,
    and the signal's receivers cost three writes per signed-in view.
    """

    def get_object(self, queryset=None):
        if hasattr(self, "object"):
            return self.object
        try:
            return selectors.product_for_detail(pk=self.kwargs["pk"])
        except (Product.DoesNotExist, ValueError):
            raise Http404(_("没有这件商品"))

    def send_signal(self, request, response, product):
        pass

    def get_context_data(self, **kwargs):
        context = super(OscarProductDetailView, self).get_context_data(**kwargs)
        product = self.object
        if product.is_parent:
            info = self.request.strategy.fetch_for_parent(product)
        else:
            info = self.request.strategy.fetch_for_product(product)
        origin = selectors.product_origin(product)
        today = timezone.localdate()
        context.update(
            purchase_info=info,
            # The basket form, or else the stock alert: the same test Oscar's template makes.
            can_buy=bool(info.availability.is_available_to_buy and info.price.exists or product.is_parent),
            origin=origin,
            breadcrumb_categories=self.get_breadcrumb_categories(product),
            beneficiary_count=self.get_beneficiary_count(origin),
            today=today,
            certificate_is_valid=origin.certificate_is_valid(today) if origin else False,
        )
        if not info.availability.is_available_to_buy:
            context["alert_form"] = self.get_alert_form()
            context["has_active_alert"] = self.get_alert_status()
        return context

    @staticmethod
    def get_beneficiary_count(origin):
        """Households who are members of the product's market subject: a COUNT
        (never who), cached until the next change (memberships included)."""
        if origin is None:
            return None
        return cached_by_generation(
            "beneficiary-count",
            origin.market_subject_id,
            compute=lambda: beneficiary_count_for_market_subject(market_subject_id=origin.market_subject_id),
        )

    def get_breadcrumb_categories(self, product):
        categories = getattr(product, "_prefetched_browsable_categories", None)
        if categories is None:  # a child product: its parent's categories
            categories = list(product.get_categories())
        if not categories:
            return []
        tree = selectors.category_tree()
        node = tree.get(categories[0].id)
        return tree.ancestors_and_self(node) if node else []
