"""Forms of the pre-sale screens: the pre-sale itself (product scoped to what
the user may see), confirming the harvest with a batch, and "cannot deliver"."""
from django import forms
from django.utils.translation import gettext_lazy as _

from shop.presale.harvest import batches_for
from shop.presale.models import PreSale

from ..access import products_visible_to
from .base import BackofficeModelForm
from .filters import SearchForm

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# What buyers agreed to: fixed once the pre-sale has orders.
TERMS = ("product", "mode", "price", "deposit", "balance_starts", "balance_deadline")


class PreSaleFilterForm(SearchForm):
    status = forms.ChoiceField(label=_("状态"), required=False)
    filters = {"status": "status"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *PreSale.Status.choices]


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, product):
        return product.get_title()


class PreSaleForm(BackofficeModelForm):
    product = ProductChoiceField(label=_("商品"), queryset=None)
    status = forms.ChoiceField(label=_("状态"), choices=[(PreSale.Status.DRAFT, PreSale.Status.DRAFT.label),
                                                        (PreSale.Status.PUBLISHED, PreSale.Status.PUBLISHED.label)])

    class Meta:
        model = PreSale
        fields = ("product", "title", "summary", "mode", "price", "deposit", "capacity", "max_per_order",
                  "order_starts", "order_ends", "balance_starts", "balance_deadline", "ship_from", "ship_until",
                  "status")
        widgets = {"order_starts": DATETIME, "order_ends": DATETIME, "balance_starts": DATETIME,
                   "balance_deadline": DATETIME, "ship_from": DATE, "ship_until": DATE}
        help_texts = {
            "deposit": _("定金预售填写，须小于预售价；全款预售留空。"),
            "balance_deadline": _("逾期未付尾款的订单自动取消，定金不退。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_visible_to(self.user).filter(
            origin__isnull=False).order_by("title")
        for name in ("order_starts", "order_ends", "balance_starts", "balance_deadline"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        self.has_orders = bool(self.instance.pk and self.instance.orders.exists())
        if self.instance.pk and self.instance.status == PreSale.Status.CANCELLED:
            for field in self.fields.values():
                field.disabled = True
        elif self.has_orders:
            for name in TERMS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("已有订单，不能修改")

    def clean(self):
        cleaned = super().clean()
        mode, price, deposit = cleaned.get("mode"), cleaned.get("price"), cleaned.get("deposit")
        if mode == PreSale.Mode.DEPOSIT:
            if deposit is None or deposit <= 0:
                self.add_error("deposit", _("定金预售须填写大于 0 的定金"))
            elif price is not None and deposit >= price:
                self.add_error("deposit", _("定金须小于预售价"))
            starts, deadline = cleaned.get("balance_starts"), cleaned.get("balance_deadline")
            if starts is None:
                self.add_error("balance_starts", _("定金预售须填写尾款开始时间"))
            if deadline is None:
                self.add_error("balance_deadline", _("定金预售须填写尾款截止时间"))
            if starts and deadline and deadline <= starts:
                self.add_error("balance_deadline", _("尾款截止时间须晚于开始时间"))
            order_starts = cleaned.get("order_starts")
            if starts and order_starts and starts < order_starts:
                self.add_error("balance_starts", _("尾款开始时间不能早于预订开始时间"))
        elif mode == PreSale.Mode.FULL:
            cleaned["deposit"] = cleaned["balance_starts"] = cleaned["balance_deadline"] = None
        starts, ends = cleaned.get("order_starts"), cleaned.get("order_ends")
        if starts and ends and ends <= starts:
            self.add_error("order_ends", _("预订截止时间须晚于开始时间"))
        ship_from, ship_until = cleaned.get("ship_from"), cleaned.get("ship_until")
        if ship_from and ship_until and ship_until < ship_from:
            self.add_error("ship_until", _("发货截止日期不能早于开始日期"))
        capacity = cleaned.get("capacity")
        if capacity is not None:
            if capacity < 1:
                self.add_error("capacity", _("预售数量至少 1 件"))
            elif self.instance.pk and capacity < self.instance.sold:
                self.add_error("capacity", _("已预订 %(sold)d 件，预售数量不能少于已预订数量") % {"sold": self.instance.sold})
        return cleaned


class BatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, batch):
        return _("%(code)s · 采收 %(date)s · 剩余 %(left)d 件") % {
            "code": batch.code, "date": batch.harvested_on.isoformat(), "left": batch.quantity_remaining}


class HarvestConfirmForm(forms.Form):
    batch = BatchChoiceField(label=_("采收批次"), queryset=None, empty_label=None,
                             error_messages={"invalid_choice": _("请选择列表中的批次")})

    def __init__(self, *args, presale, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches_for(presale)


class PreSaleCancelForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=160, help_text=_("如：台风导致歉收，无法按期发货"))
    confirm = forms.BooleanField(label=_("确认取消：未分配批次的订单全部取消，定金和尾款全额原路退还"))
