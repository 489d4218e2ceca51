"""A fresh product with a GTIN, three households (two consented to an alias,
one did not: the canary), one batch with contributions from all three, and
cold-chain events recorded out of time order."""
import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from shop.brands.models import ProductOrigin
from shop.harvest.models import TraceEvent
from shop.harvest.services import trace_event_record
from tests.factories import (
    BrandFactory,
    CountyFactory,
    MarketSubjectFactory,
    TownshipFactory,
    VillageFactory,
    fake_id_number,
    make_batch,
    make_household,
    make_product,
)

CANARY_NAME = "甄金丝雀"
CANARY_ID = fake_id_number(serial=777, prefix="441403", birth="19660606")
GTIN13 = "6901234567892"
GTIN14 = "06901234567892"

Step, Disposition, Recorder = TraceEvent.BusinessStep, TraceEvent.Disposition, TraceEvent.Recorder


@pytest.fixture(autouse=True)
def _fresh_cache_and_chinese():
    cache.clear()
    with translation.override("zh-hans"):
        yield
    cache.clear()


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime(2026, 11, day, hour, minute), timezone.get_current_timezone())


class Scenario:
    pass


@pytest.fixture
def scenario(db):
    s = Scenario()
    s.county = CountyFactory(code="440981", name="高州市", city__code="440900", city__name="茂名市")
    s.township = TownshipFactory(county=s.county, code="440981101", name="根子镇")
    s.village = VillageFactory(township=s.township, code="440981101201", name="柏桥村", is_provincial_poor_village=True)
    s.subject = MarketSubjectFactory(name="高州根子荔枝专业合作社", county=s.county)
    s.brand = BrandFactory(name="高州荔枝", slug="gaozhou-lychee", counties=[s.county])
    s.product = make_product(title="高州荔枝 3斤装", price=Decimal("59.00"), stock=0, brand=s.brand,
                             market_subject=s.subject, village=s.village, is_fresh=True)
    ProductOrigin.objects.filter(product=s.product).update(gtin=GTIN13)
    s.product.refresh_from_db()
    s.li = make_household(village=s.village, head_name="李金柚", alias_consent=True, market_subjects=[s.subject])
    s.wang = make_household(village=s.village, head_name="王大伯", alias_consent=True, market_subjects=[s.subject])
    s.canary = make_household(village=s.village, head_name=CANARY_NAME, id_number=CANARY_ID, alias_consent=False,
                              phone="13800007777", market_subjects=[s.subject])
    s.batch = make_batch(product=s.product, quantity=60, households=[(s.li, 30), (s.canary, 20), (s.wang, 10)],
                         harvested_on=datetime.date(2026, 11, 1), inspection_report_number="GDQT-2026-0417",
                         inspection_agency="茂名市农产品质量检测中心")
    # Recorded out of time order: the page shows them by time.
    record(s.batch, Step.RECEIVING, Disposition.SELLABLE, at(5, 10), "天河区林和社区自提点", Recorder.PICKUP_POINT, "5.0")
    record(s.batch, Step.STORING, Disposition.IN_PROGRESS, at(3, 9, 30), "高州市冷链仓储中心", Recorder.WAREHOUSE, "4.0")
    record(s.batch, Step.SHIPPING, Disposition.IN_TRANSIT, at(4, 6), "高州市冷链仓储中心", Recorder.WAREHOUSE, "3.5")
    return s


def record(batch, step, disposition, occurred_at, place, recorder, temperature=None):
    return trace_event_record(
        batch=batch, business_step=step, disposition=disposition, occurred_at=occurred_at, place=place,
        recorder=recorder, temperature=Decimal(temperature) if temperature is not None else None,
    )
