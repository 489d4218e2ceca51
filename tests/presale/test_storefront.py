"""What the buyer sees: the pre-sale box on the product page (price, deposit,
balance window, ship window, capacity left, the deposit rule; without Stripe
keys it says online payment is not available), the purchase page and its
answers, and their own pre-sale orders only."""
from decimal import Decimal

import pytest
from django.urls import reverse

from shop.payments.models import OnlinePayment
from shop.presale.models import PreSale, PreSaleOrder

from .conftest import make_presale, purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_xiangpin"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_xiangpin"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_xiangpin"
    settings.STRIPE_METHODS = ["card", "alipay"]


def test_the_product_page_shows_the_presale_box_and_says_online_payment_is_off(client, presale):
    page = client.get(presale.product.get_absolute_url()).content.decode()
    assert 'id="presale-box"' in page and 'data-presale-state="open"' in page and ">预订中</span>" in page
    assert "¥60.00" in page and "¥15.00 / 件（尾款 ¥45.00 / 件）" in page
    assert 'data-presale-capacity-left="20"' in page
    assert "逾期未付尾款，订单自动取消，定金不予退还" in page
    assert "定金和已付尾款全额原路退还" in page
    assert "本站暂未开通在线支付（未配置 Stripe），暂不能预订" in page
    assert reverse("presale:buy", args=[presale.pk]) not in page


def test_the_box_follows_purchases_and_offers_the_purchase_with_stripe(client, stripe_keys, presale, buyer,
                                                                        plain_point):
    url = presale.product.get_absolute_url()
    assert 'data-presale-capacity-left="20"' in client.get(url).content.decode()
    purchase(presale, buyer, plain_point, 3)
    page = client.get(url).content.decode()  # the cached page went stale with the capacity
    assert 'data-presale-capacity-left="17"' in page
    assert reverse("presale:buy", args=[presale.pk]) in page and "付定金 ¥15.00 预订" in page


def test_a_draft_presale_is_not_shown(client, pineapple):
    make_presale(pineapple, status=PreSale.Status.DRAFT)
    assert 'id="presale-box"' not in client.get(pineapple.get_absolute_url()).content.decode()


def test_buying_needs_a_sign_in_then_holds_the_units_and_goes_to_pay(client, stripe_keys, presale, buyer,
                                                                      plain_point):
    url = reverse("presale:buy", args=[presale.pk])
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("customer:login"))
    client.force_login(buyer)
    page = client.get(url).content.decode()
    assert "同意定金规则，去付定金" in page and plain_point.name in page

    bad = client.post(url, {"quantity": 9, "service_point": plain_point.pk, "recipient_name": "王小明",
                            "recipient_phone": "12345", "payment_method": "card"})
    assert bad.status_code == 400
    assert not PreSaleOrder.objects.exists()

    response = client.post(url, {"quantity": 2, "service_point": plain_point.pk, "recipient_name": "王小明",
                                 "recipient_phone": "138 1234 5678", "payment_method": "alipay"})
    payment = OnlinePayment.objects.get()
    assert response.status_code == 302 and response.url == reverse("payments:pay", args=[payment.reference])
    assert (payment.purpose, payment.method, payment.amount, payment.basket, payment.user) == (
        "presale", "alipay", Decimal("30.00"), None, buyer)
    presale_order = PreSaleOrder.objects.get()
    assert (presale_order.status, presale_order.quantity, presale_order.delivery["service_point_id"],
            presale_order.delivery["recipient_phone"]) == ("pending", 2, plain_point.pk, "13812345678")
    assert presale_order.basket.status == "Frozen"
    assert PreSale.objects.get(pk=presale.pk).sold == 2
    # The pay page speaks of the pre-sale, not of a basket.
    pay_page = client.get(response.url).content.decode()
    assert "预售付款（定金或全款）" in pay_page and "返回购物车" not in pay_page

    cancelled = client.post(reverse("payments:cancel", args=[payment.reference]))
    assert cancelled.url == reverse("presale:order-detail", kwargs={"number": presale_order.number})
    presale_order.refresh_from_db()
    assert presale_order.status == "expired"
    assert PreSale.objects.get(pk=presale.pk).sold == 0


def test_a_sold_out_presale_says_so(client, stripe_keys, pineapple, buyer, other_buyer, plain_point):
    presale = make_presale(pineapple, capacity=1)
    purchase(presale, other_buyer, plain_point, 1)
    client.force_login(buyer)
    page = client.get(reverse("presale:buy", args=[presale.pk])).content.decode()
    assert "预售名额已订满" in page and "presale-submit" not in page


def test_orders_are_their_buyers_only(client, stripe_keys, presale, buyer, other_buyer, plain_point):
    purchase(presale, buyer, plain_point, 1)
    number = PreSaleOrder.objects.get().number
    client.force_login(other_buyer)
    assert client.get(reverse("presale:order-detail", kwargs={"number": number})).status_code == 404
    assert client.post(reverse("presale:balance-pay", kwargs={"number": number}),
                       {"payment_method": "card"}).status_code == 404
    client.force_login(buyer)
    assert client.get(reverse("presale:order-detail", kwargs={"number": number})).status_code == 200
