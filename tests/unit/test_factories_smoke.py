from decimal import Decimal

import pytest

from tests.factories import make_household, make_product, MarketSubjectFactory


@pytest.mark.django_db
def test_product_with_origin_and_household():
    subject = MarketSubjectFactory()
    product = make_product(market_subject=subject, price=Decimal("12.50"), stock=7)
    household = make_household(market_subjects=[subject], head_name="李测试")
    assert product.origin.market_subject == subject
    assert product.stockrecords.get().num_in_stock == 7
    assert household.public_alias == "梅县区 李姓农户"
