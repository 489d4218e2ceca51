"""factory_boy factories for the Xiangpin domain (build on Oscar's own)."""
from decimal import Decimal
import itertools

import factory
from django.contrib.auth import get_user_model
from oscar.core.loading import get_model
from oscar.test import factories as oscar_factories

from shop.brands.models import Brand, ProductOrigin
from shop.producers import services as producer_services
from shop.producers.models import MarketSubject
from shop.regions.models import City, County, ServicePoint, Township, Village

Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
User = get_user_model()

_id_serial = itertools.count(1)


def fake_id_number(serial=None, prefix="441403", birth="19800101"):
    """A syntactically valid (check digit right), clearly fake ID number."""
    serial = next(_id_serial) if serial is None else serial
    body = f"{prefix}{birth}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    return body + check


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("code",)

    code = "441400"
    name = "梅州市"


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    city = factory.SubFactory(CityFactory)
    code = "441403"
    name = "梅县区"


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township

    county = factory.SubFactory(CountyFactory)
    code = factory.Sequence(lambda n: f"4499{n:05d}")  # 9 digits, clear of real codes used in tests
    name = factory.Sequence(lambda n: f"试验镇{n}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    code = factory.Sequence(lambda n: f"441403{n:06d}")
    name = factory.Sequence(lambda n: f"试验村{n}")
    is_provincial_poor_village = True


class ServicePointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePoint

    kind = ServicePoint.Kind.COMMUNITY_PICKUP
    name = factory.Sequence(lambda n: f"天河社区自提点{n}")
    code = factory.Sequence(lambda n: f"pickup-{n}")
    county = factory.SubFactory(CountyFactory, code="440106", name="天河区", city__code="440100", city__name="广州市")
    community = "林和街道"
    address = "广州市天河区林和西路1号"
    opening_hours = "09:00-21:00"
    has_cold_storage = True


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"试验合作社{n}")


class MarketSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketSubject

    partner = factory.SubFactory(PartnerFactory, name=factory.SelfAttribute("..name"))
    kind = MarketSubject.Kind.COOPERATIVE
    name = factory.Sequence(lambda n: f"梅县金柚专业合作社{n}")
    county = factory.SubFactory(CountyFactory)
    linkage_model = "cooperative"


def make_household(*, village=None, head_name="张测试", id_number=None, market_subjects=(), alias_consent=True, **extra):
    village = village or VillageFactory()
    return producer_services.household_create(
        village=village,
        head_name=head_name,
        id_number=id_number or fake_id_number(),
        registration_number=extra.pop("registration_number", f"JD{next(_id_serial):08d}"),
        members=extra.pop("members", 4),
        able_bodied_members=extra.pop("able_bodied_members", 2),
        alias_consent=alias_consent,
        market_subjects=market_subjects,
        **extra,
    )


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"梅州金柚{n}")
    slug = factory.Sequence(lambda n: f"meizhou-pomelo-{n}")
    story = "梅州金柚，岭南佳果。"
    standards = "统一注册、统一包装、统一生产标准、统一推广。"

    @factory.post_generation
    def counties(self, create, extracted, **kwargs):
        if create:
            self.counties.set(extracted or [CountyFactory()])


def make_product(*, title="梅州金柚 5斤装", price=Decimal("39.90"), stock=100, brand=None, market_subject=None,
                 village=None, is_fresh=False, upc=None, certificate_number="粤扶认〔2020〕0001号"):
    """An Oscar product with a stock record at the market subject's partner and its origin."""
    market_subject = market_subject or MarketSubjectFactory()
    brand = brand or BrandFactory()
    product = oscar_factories.ProductFactory(title=title, upc=upc or None, stockrecords=None)
    StockRecord.objects.create(
        product=product, partner=market_subject.partner, partner_sku=f"SKU-{product.pk}",
        price=price, price_currency="CNY", num_in_stock=stock,
    )
    village = village or VillageFactory(township__county=market_subject.county)
    ProductOrigin.objects.create(
        product=product, brand=brand, county=village.township.county, village=village,
        market_subject=market_subject, certificate_number=certificate_number,
        certificate_issuer="广东省扶贫开发办公室", certificate_valid_until="2027-12-31", is_fresh=is_fresh,
    )
    return product


def make_batch(*, product, quantity=100, households=(), harvested_on=None, rule="purchase_price",
               purchase_price=Decimal("6.00"), sales_share=Decimal("30"), user=None, **extra):
    """A passed-inspection batch of ``product`` through the real service (adds to
    stock, records events). ``households`` is a list of (household, quantity);
    each household is made a member of the product's market subject if needed."""
    import datetime

    from shop.harvest.services import ContributionInput, batch_create
    from shop.producers.models import Membership

    subject = product.origin.market_subject
    contributions = []
    for household, contributed in households:
        Membership.objects.get_or_create(household=household, market_subject=subject)
        contributions.append(ContributionInput(
            household=household, quantity=Decimal(contributed), income_rule=rule,
            purchase_price=purchase_price if rule == "purchase_price" else None,
            sales_share=sales_share if rule == "sales_share" else None,
        ))
    harvested_on = harvested_on or datetime.date(2026, 11, 1)
    return batch_create(
        product=product, harvested_on=harvested_on, quantity=quantity,
        inspection_report_number=extra.pop("inspection_report_number", "GDQT-2026-0001"),
        inspected_on=extra.pop("inspected_on", harvested_on + datetime.timedelta(days=1)),
        inspection_agency=extra.pop("inspection_agency", "梅州市农产品质量检测中心"),
        contributions=contributions, user=user, **extra,
    )


def place_order(*, lines, user=None, status="待发货", attribute=True):
    """An order placed through Oscar's OrderCreator for ``lines`` [(product, quantity)],
    then (unless ``attribute=False``) attributed, as the checkout does (no pickup point)."""
    from oscar.apps.shipping.methods import Free
    from oscar.core.loading import get_class

    from shop.attribution.services import order_attribute

    Basket = get_model("basket", "Basket")
    OrderCreator = get_class("order.utils", "OrderCreator")
    OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
    Selector = get_class("partner.strategy", "Selector")
    from django.db import transaction

    basket = Basket.objects.create(owner=user)
    basket.strategy = Selector().strategy()
    for product, quantity in lines:
        basket.add_product(product, quantity)
    method = Free()
    shipping_charge = method.calculate(basket)
    total = OrderTotalCalculator().calculate(basket, shipping_charge)
    with transaction.atomic():
        order = OrderCreator().place_order(
            basket=basket, total=total, shipping_method=method, shipping_charge=shipping_charge,
            user=user, status=status,
        )
        if attribute:
            order_attribute(order=order)
    basket.submit()
    return order
