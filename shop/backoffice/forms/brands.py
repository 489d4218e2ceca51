from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shop.brands.models import Brand, ProductOrigin
from shop.producers.models import MarketSubject
from shop.regions.models import County, Village

from ..access import market_subjects_visible_to
from ..validators import validate_gtin, validate_image_upload
from .base import BackofficeModelForm
from .regions import VillageChoiceField, village_choices


class BrandForm(BackofficeModelForm):
    class Meta:
        model = Brand
        fields = [
            "name", "name_en", "slug", "counties", "tagline", "story", "standards",
            "logo", "is_featured", "display_order",
        ]
        widgets = {"counties": forms.SelectMultiple(attrs={"size": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counties"].queryset = County.objects.select_related("city")

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        # A fresh upload has been opened by Pillow (``.image``); a kept file has not.
        if logo and hasattr(logo, "image"):
            validate_image_upload(logo)
        return logo


class MarketSubjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, subject):
        return subject.name


class ProductOriginForm(BackofficeModelForm):
    village = VillageChoiceField(label=gettext_lazy("产地行政村"), queryset=Village.objects.none(), required=False)
    market_subject = MarketSubjectChoiceField(label=gettext_lazy("生产主体"), queryset=MarketSubject.objects.none())
    gtin = forms.CharField(label=gettext_lazy("GTIN 商品条码"), max_length=14, required=False, validators=[validate_gtin])

    class Meta:
        model = ProductOrigin
        fields = [
            "brand", "county", "village", "market_subject", "certificate_number", "certificate_issuer",
            "certificate_valid_until", "is_fresh", "gtin",
        ]
        widgets = {"certificate_valid_until": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, product, **kwargs):
        self.product = product
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = Brand.objects.prefetch_related("counties")
        self.fields["county"].queryset = County.objects.select_related("city")
        self.fields["village"].queryset = village_choices()
        subjects = market_subjects_visible_to(self.user).select_related("partner").order_by("name")
        self.fields["market_subject"].queryset = subjects

    def clean_gtin(self):
        return self.cleaned_data["gtin"].strip()

    def clean(self):
        cleaned = super().clean()
        brand, county = cleaned.get("brand"), cleaned.get("county")
        village, subject = cleaned.get("village"), cleaned.get("market_subject")
        if brand and county and county not in brand.counties.all():
            self.add_error("county", _("「%(brand)s」不覆盖该县（市、区）。") % {"brand": brand.name})
        if village and county and village.township.county_id != county.pk:
            self.add_error("village", _("所选行政村不在产地县（市、区）内。"))
        if subject:
            partner_ids = set(self.product.stockrecords.values_list("partner_id", flat=True))
            if partner_ids and subject.partner_id not in partner_ids:
                self.add_error("market_subject", _("该生产主体不是本商品的销售商。"))
        number, valid_until = cleaned.get("certificate_number"), cleaned.get("certificate_valid_until")
        if number and not valid_until:
            self.add_error("certificate_valid_until", _("填写了认定编号时须填写有效期。"))
        if number and not cleaned.get("certificate_issuer"):
            self.add_error("certificate_issuer", _("填写了认定编号时须填写认定机构。"))
        return cleaned

    def service_arguments(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}
