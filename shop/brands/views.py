from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from shop.storefront import selectors as storefront_selectors
from shop.storefront.views import LazyProducts, paginate

from . import selectors
from .models import Brand


class BrandListView(TemplateView):
    template_name = "brands/brand_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["brands"] = selectors.brands_for_listing()
        return context


class BrandDetailView(TemplateView):
    """A brand's story, standards, logo, counties and its products (paginated)."""

    template_name = "brands/brand_detail.html"
    paginate_by = settings.OSCAR_PRODUCTS_PER_PAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            brand = selectors.brand_for_detail(slug=self.kwargs["slug"])
        except Brand.DoesNotExist:
            raise Http404(_("没有这个品牌"))
        counties = list(brand.counties.all())
        filters = storefront_selectors.CatalogueFilters(brand=brand.slug)
        page = paginate(
            self.request,
            LazyProducts(lambda: storefront_selectors.products_for_catalogue(filters)),
            self.paginate_by,
            count=storefront_selectors.product_count_for_catalogue(filters),
        )
        context.update(
            brand=brand,
            counties=counties,
            is_multi_county=len(counties) > 1,
            page_obj=page,
            paginator=page.paginator,
            products=page.object_list,
        )
        return context
