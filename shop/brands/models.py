"""Regional public brands (区域公用品牌) and each product's origin and
poverty-alleviation certificate (扶贫产品认定)."""
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Brand(models.Model):
    name = models.CharField(_("品牌名称"), max_length=64, unique=True)
    name_en = models.CharField(_("英文名"), max_length=100, blank=True)
    slug = models.SlugField(_("网址别名"), max_length=64, unique=True)
    counties = models.ManyToManyField("regions.County", related_name="brands", verbose_name=_("覆盖县（市、区）"))
    tagline = models.CharField(_("一句话介绍"), max_length=120, blank=True)
    story = models.TextField(_("品牌故事"), blank=True)
    standards = models.TextField(_("统一生产标准"), blank=True)
    logo = models.ImageField(_("标志"), upload_to="brands/", blank=True)
    is_featured = models.BooleanField(_("首页推荐"), default=False)
    display_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["display_order", "name"]
        verbose_name = _("区域公用品牌")
        verbose_name_plural = _("区域公用品牌")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("brands:detail", kwargs={"slug": self.slug})


class ProductOrigin(models.Model):
    """Brand, origin and certificate of an Oscar product (one-to-one, so Oscar's
    catalogue app stays unforked)."""

    product = models.OneToOneField("catalogue.Product", on_delete=models.CASCADE, related_name="origin", verbose_name=_("商品"))
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="product_origins", verbose_name=_("区域公用品牌"))
    county = models.ForeignKey("regions.County", on_delete=models.PROTECT, related_name="product_origins", verbose_name=_("产地县（市、区）"))
    village = models.ForeignKey("regions.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="product_origins", verbose_name=_("产地行政村"))
    market_subject = models.ForeignKey("producers.MarketSubject", on_delete=models.PROTECT, related_name="product_origins", verbose_name=_("生产主体"))
    certificate_number = models.CharField(_("扶贫产品认定编号"), max_length=40, blank=True)
    certificate_issuer = models.CharField(_("认定机构"), max_length=100, blank=True)
    certificate_valid_until = models.DateField(_("认定有效期至"), null=True, blank=True)
    is_fresh = models.BooleanField(_("鲜活产品"), default=False)
    gtin = models.CharField(_("GTIN 商品条码"), max_length=14, blank=True)

    class Meta:
        verbose_name = _("商品产地与认定")
        verbose_name_plural = _("商品产地与认定")

    def __str__(self):
        return f"{self.product_id} · {self.brand}"

    def certificate_is_valid(self, on_date):
        return bool(self.certificate_number and self.certificate_valid_until and self.certificate_valid_until >= on_date)
