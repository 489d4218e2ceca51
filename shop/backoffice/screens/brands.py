from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shop.brands.models import Brand, ProductOrigin

from .. import services
from ..access import market_subjects_visible_to, products_visible_to, user_sees_all
from ..crud import Column, RowAction, Screen
from ..forms.brands import BrandForm, ProductOriginForm


def _brand_counties(brand):
    return "、".join(county.name for county in brand.counties.all())


class BrandScreen(Screen):
    model = Brand
    name = "brand"
    path = "brands"
    form_class = BrandForm
    search_fields = ("name", "name_en", "slug")
    prefetch_related = ("counties",)
    list_columns = (
        Column(_("品牌名称"), "name", link=True),
        Column(_("网址别名"), "slug"),
        Column(_("覆盖县（市、区）"), _brand_counties),
        Column(_("首页推荐"), "is_featured"),
        Column(_("排序"), "display_order"),
    )
    detail_fields = (
        Column(_("品牌名称"), "name"),
        Column(_("英文名"), "name_en"),
        Column(_("网址别名"), "slug"),
        Column(_("覆盖县（市、区）"), _brand_counties),
        Column(_("一句话介绍"), "tagline"),
        Column(_("品牌故事"), "story"),
        Column(_("统一生产标准"), "standards"),
        Column(_("标志"), "logo"),
        Column(_("首页推荐"), "is_featured"),
        Column(_("排序"), "display_order"),
    )


def _origin(attribute):
    """Column value from a product's origin record (blank when it has none)."""

    def value(product):
        origin = getattr(product, "origin", None)
        if origin is None:
            return None
        result = origin
        for part in attribute.split("."):
            result = getattr(result, part) if result is not None else None
        return result

    return value


class ProductOriginScreen(Screen):
    """Origin and poverty-alleviation certificate of each product. The list is of
    products (those without a record show up too); cooperative staff see only
    their own products, as in Oscar's catalogue dashboard."""

    model = ProductOrigin
    name = "product-origin"
    path = "product-origins"
    form_class = ProductOriginForm
    search_fields = ("title", "upc", "origin__certificate_number")
    select_related = ("product", "brand", "county", "village__township", "market_subject")
    actions = ("list", "detail", "create", "update")
    list_columns = (
        Column(_("商品"), "title", link=True),
        Column(_("UPC"), "upc"),
        Column(_("区域公用品牌"), _origin("brand.name")),
        Column(_("产地县（市、区）"), _origin("county.name")),
        Column(_("产地行政村"), _origin("village.name")),
        Column(_("生产主体"), _origin("market_subject.name")),
        Column(_("扶贫产品认定编号"), _origin("certificate_number")),
        Column(_("认定有效期至"), _origin("certificate_valid_until")),
        Column(_("鲜活产品"), _origin("is_fresh")),
        Column(_("GTIN 商品条码"), _origin("gtin")),
    )
    detail_fields = (
        Column(_("商品"), "product.title"),
        Column(_("区域公用品牌"), "brand.name"),
        Column(_("产地县（市、区）"), "county.name"),
        Column(_("产地行政村"), "village.name"),
        Column(_("生产主体"), "market_subject.name"),
        Column(_("扶贫产品认定编号"), "certificate_number"),
        Column(_("认定机构"), "certificate_issuer"),
        Column(_("认定有效期至"), "certificate_valid_until"),
        Column(_("鲜活产品"), "is_fresh"),
        Column(_("GTIN 商品条码"), "gtin"),
    )

    def scope(self, queryset, user):
        if user_sees_all(user):
            return queryset
        return queryset.filter(
            product__in=products_visible_to(user).values("pk"),
            market_subject__in=market_subjects_visible_to(user).values("pk"),
        )

    def get_list_queryset(self, user):
        return products_visible_to(user).select_related(
            "origin__brand", "origin__county", "origin__village", "origin__market_subject"
        ).order_by("title", "pk")

    def routes(self):
        return {**super().routes(), "create": "products/<int:product_pk>/origin/create/"}

    def new_instance(self, user, **kwargs):
        # Only for a product of one's own that has no record yet (an existing one is edited).
        product = get_object_or_404(products_visible_to(user).filter(origin__isnull=True), pk=kwargs["product_pk"])
        return ProductOrigin(product=product)

    def get_form_kwargs(self, user, instance):
        return {"user": user, "product": instance.product}

    def save(self, *, form, user):
        return services.product_origin_save(product=form.product, **form.service_arguments())

    def create_url(self, user):
        return None  # created from a product's row

    def origin_create_url(self, product):
        return reverse(f"backoffice:{self.url_name('create')}", kwargs={"product_pk": product.pk})

    def row_link(self, product, user):
        origin = getattr(product, "origin", None)
        return self.url("detail", origin) if origin is not None else None

    def row_actions(self, product, user):
        origin = getattr(product, "origin", None)
        if origin is None:
            if self.user_can(user, "create"):
                return [RowAction(_("填写产地与认定"), self.origin_create_url(product), "primary")]
            return []
        return super().row_actions(origin, user)

    def detail_actions(self, origin, user):
        actions = super().detail_actions(origin, user)
        actions.append(RowAction(_("商品"), reverse("dashboard:catalogue-product", kwargs={"pk": origin.product_id})))
        return actions
