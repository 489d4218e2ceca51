"""A small Guangdong world with every role, and helpers, for the back-office tests."""
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse

from shop.core.roles import CAMPAIGN_MANAGER, COOPERATIVE_STAFF, PICKUP_STAFF, PROGRAMME_OFFICER, ensure_roles
from tests.factories import (
    BrandFactory,
    CityFactory,
    CountyFactory,
    MarketSubjectFactory,
    ServicePointFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    fake_id_number,
    make_batch,
    make_household,
    make_product,
)

PASSWORD = "pass-1234"
# Household A's personal data: these strings must never appear in back-office HTML.
HEAD_NAME_A = "李春梅"
ID_NUMBER_A = fake_id_number(serial=321, prefix="441403", birth="19750312")
PHONE_A = "13812345678"
HEAD_NAME_B = "王大明"
ID_NUMBER_B = fake_id_number(serial=654, prefix="441426", birth="19680920")
PHONE_B = "13987654321"


@dataclass
class World:
    users: dict
    city: object
    county_a: object
    county_b: object
    township_a: object
    village_a: object
    village_a2: object
    village_b: object
    subject_a: object
    subject_b: object
    household_a: object
    household_b: object
    brand: object
    product_a: object
    product_b: object
    product_bare: object
    product_b_bare: object
    point_p: object
    point_q: object
    batch_a: object = None
    batch_b: object = None


def build_world() -> World:
    groups = ensure_roles()
    city = CityFactory(code="441400", name="梅州市")
    county_a = CountyFactory(city=city, code="441403", name="梅县区")
    county_b = CountyFactory(city=city, code="441426", name="平远县")
    township_a = TownshipFactory(county=county_a, code="441403100", name="松口镇")
    township_b = TownshipFactory(county=county_b, code="441426100", name="大柘镇")
    village_a = VillageFactory(township=township_a, code="441403100201", name="大黄村", is_provincial_poor_village=True)
    village_a2 = VillageFactory(township=township_a, code="441403100202", name="铜琶村", is_provincial_poor_village=False)
    village_b = VillageFactory(township=township_b, code="441426100201", name="程西村", is_provincial_poor_village=True)

    subject_a = MarketSubjectFactory(name="梅县金柚专业合作社", county=county_a)
    subject_b = MarketSubjectFactory(name="平远脐橙专业合作社", county=county_b)
    household_a = make_household(
        village=village_a, head_name=HEAD_NAME_A, id_number=ID_NUMBER_A, phone=PHONE_A,
        registration_number="JD44140300001", market_subjects=[subject_a], members=5, able_bodied_members=3,
    )
    household_b = make_household(
        village=village_b, head_name=HEAD_NAME_B, id_number=ID_NUMBER_B, phone=PHONE_B,
        registration_number="JD44142600001", market_subjects=[subject_b],
    )
    brand = BrandFactory(name="梅州金柚", slug="meizhou-pomelo", counties=[county_a, county_b])
    product_a = make_product(title="梅州金柚 5斤装", market_subject=subject_a, brand=brand, village=village_a,
                             price=Decimal("39.90"))
    product_b = make_product(title="平远脐橙 10斤装", market_subject=subject_b, brand=brand, village=village_b,
                             price=Decimal("59.00"))
    # A product of cooperative A without an origin record yet.
    product_bare = make_product(title="梅县客家娘酒", market_subject=subject_a, brand=brand, village=village_a)
    product_bare.origin.delete()
    product_b_bare = make_product(title="平远梅菜干", market_subject=subject_b, brand=brand, village=village_b)
    product_b_bare.origin.delete()

    users = {
        "consumer": UserFactory(username="consumer", email="consumer@example.com"),
        "bare_staff": UserFactory(username="bare_staff", email="bare.staff@example.com", is_staff=True),
        "admin": UserFactory(username="admin", email="admin@example.com", is_staff=True, is_superuser=True),
        "operations": UserFactory(username="operations", email="operations@example.com", is_staff=True),
        "officer": UserFactory(username="officer", email="officer@example.com"),
        "coop_a": UserFactory(username="coop_a", email="coop.a@example.com"),
        "coop_b": UserFactory(username="coop_b", email="coop.b@example.com"),
        "pickup": UserFactory(username="pickup", email="pickup@example.com"),
    }
    users["operations"].groups.add(groups[CAMPAIGN_MANAGER])
    users["officer"].groups.add(groups[PROGRAMME_OFFICER])
    users["coop_a"].groups.add(groups[COOPERATIVE_STAFF])
    users["coop_b"].groups.add(groups[COOPERATIVE_STAFF])
    users["pickup"].groups.add(groups[PICKUP_STAFF])
    subject_a.partner.users.add(users["coop_a"])
    subject_b.partner.users.add(users["coop_b"])

    point_p = ServicePointFactory(name="天河林和自提点", code="pickup-linhe")
    point_q = ServicePointFactory(name="越秀北京路提货柜", code="locker-beijinglu", kind="locker")
    point_p.staff.add(users["pickup"])
    # One harvest batch per cooperative (adds 100 to each product's stock: 200 in all).
    batch_a = make_batch(product=product_a, quantity=100, households=[(household_a, 40)])
    batch_b = make_batch(product=product_b, quantity=100, households=[(household_b, 30)])

    return World(
        users=users, city=city, county_a=county_a, county_b=county_b, township_a=township_a,
        village_a=village_a, village_a2=village_a2, village_b=village_b, subject_a=subject_a, subject_b=subject_b,
        household_a=household_a, household_b=household_b, brand=brand, product_a=product_a, product_b=product_b,
        product_bare=product_bare, product_b_bare=product_b_bare, point_p=point_p, point_q=point_q,
        batch_a=batch_a, batch_b=batch_b,
    )


def bo_url(name, **kwargs):
    return reverse(f"backoffice:{name}", kwargs=kwargs or None)
