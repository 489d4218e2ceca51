from django.views.generic import DetailView, ListView

from .models import Brand


class BrandListView(ListView):
    model = Brand
    template_name = "brands/brand_list.html"
    context_object_name = "brands"


class BrandDetailView(DetailView):
    model = Brand
    template_name = "brands/brand_detail.html"
    context_object_name = "brand"
