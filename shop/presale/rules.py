"""The deposit rule a buyer is shown before paying (and that is stored with
their order): what happens to the deposit when the buyer does not pay the
balance, and when the seller cannot deliver."""
from django.utils import timezone
from django.utils.translation import gettext as _


def _moment(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def deposit_rule(presale) -> str:
    if presale.is_deposit:
        return _(
            "定金 ¥%(deposit)s/件在下单时支付；尾款 ¥%(balance)s/件须在 %(start)s 至 %(deadline)s 之间支付。"
            "逾期未付尾款，订单自动取消，定金不予退还。"
            "如因歉收等原因卖家无法发货，订单取消，定金和已付尾款全额原路退还。"
        ) % {
            "deposit": f"{presale.deposit:.2f}", "balance": f"{presale.balance_per_unit:.2f}",
            "start": _moment(presale.balance_starts), "deadline": _moment(presale.balance_deadline),
        }
    return _(
        "下单时支付全款 ¥%(price)s/件。如因歉收等原因卖家无法发货，订单取消，货款全额原路退还。"
    ) % {"price": f"{presale.price:.2f}"}
