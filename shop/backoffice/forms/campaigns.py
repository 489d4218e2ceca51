"""Forms of the campaign screens: a campaign (name, slug, theme, summary,
window in Beijing time) and a campaign product (the product picked by title or
UPC, campaign price in yuan, quota, per-customer limit). They only parse input;
the rules (and their messages) live in ``shop.campaigns.scheduling``."""
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from shop.campaigns.scheduling import CampaignInput, ItemInput
from shop.campaigns.themes import theme_choices

Product = get_model("catalogue", "Product")

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
PICKER_LIMIT = 20


class BeijingDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_INPUT)


def _datetime_field(label):
    return forms.DateTimeField(
        label=label, widget=BeijingDateTimeInput(), input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"],
        help_text=_("北京时间"),
    )


class CampaignForm(forms.Form):
    """Create (``instance`` None) or edit a campaign."""

    name = forms.CharField(label=_("活动名称"), max_length=80)
    slug = forms.SlugField(label=_("网址标识"), max_length=80, allow_unicode=False,
                           help_text=_("小写字母、数字和连字符，如 nianhuo-2027；也是活动落地页的网址"))
    theme = forms.ChoiceField(label=_("主题"), help_text=_("活动进行期间整个商城使用的主题"))
    summary = forms.CharField(label=_("活动简介"), max_length=200, required=False)
    starts_at = _datetime_field(_("开始时间"))
    ends_at = _datetime_field(_("结束时间"))

    def __init__(self, *args, user=None, instance=None, **kwargs):
        self.user, self.instance = user, instance
        if instance is not None and instance.pk is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name, "slug": instance.slug, "theme": instance.theme, "summary": instance.summary,
                "starts_at": timezone.localtime(instance.starts_at), "ends_at": timezone.localtime(instance.ends_at),
            }
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = theme_choices()

    def service_input(self) -> CampaignInput:
        data = self.cleaned_data
        return CampaignInput(name=data["name"], slug=data["slug"], theme=data["theme"], summary=data["summary"],
                             starts_at=data["starts_at"], ends_at=data["ends_at"])


class _Amount(forms.DecimalField):
    """Yuan; the two-decimals rule is the service's (one message for it)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, **kwargs)


class CampaignItemForm(forms.Form):
    """A campaign product. ``product`` is only for a new one (picked in the list
    of search results); an edit keeps its product."""

    product = forms.ModelChoiceField(
        label=_("商品"), queryset=Product.objects.exclude(structure=Product.PARENT), required=False,
        widget=forms.HiddenInput, error_messages={"invalid_choice": _("所选商品不存在，请重新搜索。")},
    )
    price = _Amount(label=_("活动价（元）"), required=False)
    quota = forms.IntegerField(label=_("限量（件）"), required=False, help_text=_("活动期间最多售出的件数；留空则只受库存限制"))
    per_customer_limit = forms.IntegerField(label=_("每人限购（件）"), required=False,
                                            help_text=_("每位顾客在本活动中累计最多购买的件数；留空则不限"))

    def __init__(self, *args, item=None, **kwargs):
        self.item = item
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {"price": item.price, "quota": item.quota,
                                 "per_customer_limit": item.per_customer_limit}
        super().__init__(*args, **kwargs)
        if item is not None:
            del self.fields["product"]

    def service_input(self) -> ItemInput:
        data = self.cleaned_data
        return ItemInput(price=data["price"], quota=data["quota"], per_customer_limit=data["per_customer_limit"])


class ProductSearchForm(forms.Form):
    q = forms.CharField(label=_("商品名称或 UPC"), max_length=100, required=False)

    def results(self):
        """Products (no parents) whose title contains the text or whose UPC
        starts with it, with their stock records (first 20 by title)."""
        if not self.is_valid() or not self.cleaned_data["q"].strip():
            return []
        text = self.cleaned_data["q"].strip()
        return list(
            Product.objects.exclude(structure=Product.PARENT)
            .filter(Q(title__icontains=text) | Q(upc__istartswith=text) | Q(parent__title__icontains=text))
            .select_related("parent").prefetch_related("stockrecords").order_by("title", "pk")[:PICKER_LIMIT]
        )
