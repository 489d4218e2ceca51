"""presale_seed_demo: a 高州荔枝 deposit pre-sale with seeded deposit orders at
cold-storage pickup points, half the balances paid; idempotent."""
from decimal import Decimal

import pytest

from shop.presale.demo import presale_seed_demo
from shop.presale.models import PreSale, PreSaleOrder
from tests.factories import BrandFactory, ServicePointFactory, make_product

pytestmark = pytest.mark.django_db


def test_demo_presale_is_seeded_once():
    brand = BrandFactory(name="高州荔枝", slug="gaozhou-lychee")
    product = make_product(title="高州荔枝 桂味 3斤装", price=Decimal("49.90"), stock=0, brand=brand, is_fresh=True)
    ServicePointFactory(name="林和社区自提点", code="gz-linhe", has_cold_storage=True)

    assert presale_seed_demo() == {"预售": 1, "预售订单": 6}
    assert presale_seed_demo() == {}

    presale = PreSale.objects.get()
    assert (presale.product, presale.mode, presale.state_at(), presale.sold) == (product, "deposit", "open", 11)
    statuses = list(PreSaleOrder.objects.order_by("pk").values_list("status", "order__status"))
    assert statuses == [("balance_due", "预售·待付尾款"), ("paid", "预售·待发货"), ("paid", "预售·待发货"),
                        ("balance_due", "预售·待付尾款"), ("paid", "预售·待发货"), ("balance_due", "预售·待付尾款")]
    first = PreSaleOrder.objects.order_by("pk").first()
    assert (first.user.email, first.upfront_amount, first.balance_amount) == (
        "consumer@xiangpin.demo", Decimal("40.00"), Decimal("99.80"))
