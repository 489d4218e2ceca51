"""The demo's pre-sale: 高州荔枝 (a real demo product of the Gaozhou Lychee
brand) sold by deposit, its order window open, its balance window open, with a
few buyers' deposit orders at cold-storage pickup points, some balances
already paid. The demo has no Stripe keys, so the seeded payments are recorded
as Stripe would report them (``pi_demo_…``) and go through the same settle
functions as real ones. Idempotent: a second run adds nothing."""
import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from shop.payments.models import OnlinePayment, PaymentMethodCode
from shop.regions.models import ServicePoint

from . import notify, services
from .models import PreSale, PreSaleOrder, PreSalePayment

Product = get_model("catalogue", "Product")

TITLE = "高州荔枝 · 桂味 预售（产地直发）"
BRAND_SLUG = "gaozhou-lychee"
# (buyer e-mail, name, phone, units, balance paid)
BUYERS = (
    ("consumer@xiangpin.demo", "陈小敏", "13800138001", 2, False),
    ("presale-buyer-1@xiangpin.demo", "林嘉豪", "13800138011", 1, True),
    ("presale-buyer-2@xiangpin.demo", "黄晓琳", "13800138012", 3, True),
    ("presale-buyer-3@xiangpin.demo", "吴志强", "13800138013", 2, False),
    ("presale-buyer-4@xiangpin.demo", "郑雅婷", "13800138014", 1, True),
    ("presale-buyer-5@xiangpin.demo", "何俊杰", "13800138015", 2, False),
)


def _product():
    products = Product.objects.filter(origin__brand__slug=BRAND_SLUG, stockrecords__isnull=False).distinct()
    return products.filter(title__contains="桂味").order_by("pk").first() or products.order_by("pk").first()


def _buyer(email, name):
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(username=email, email=email, first_name=name[1:], last_name=name[:1])
        user.set_unusable_password()
        user.save()
    return user


def _paid(*, payment):
    """What Stripe would report for a succeeded card payment, settled as a webhook would."""
    OnlinePayment.objects.filter(pk=payment.pk).update(
        status=OnlinePayment.Status.SUCCEEDED, intent_id=f"pi_demo_{payment.reference.hex[:20]}",
        amount_received_fen=payment.amount_fen, currency_received="cny")
    payment = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
    from shop.payments import purposes

    purposes.settle(payment)
    return payment


def _presale(product, now):
    today = timezone.localdate(now)
    price = Decimal("69.90")
    return PreSale.objects.create(
        product=product, title=TITLE, summary="根子镇柏桥村贡园桂味荔枝，挂果期预订，成熟后采摘 2 小时内预冷、冷链直发社区自提点。",
        mode=PreSale.Mode.DEPOSIT, price=price, deposit=Decimal("20.00"), capacity=200, max_per_order=5,
        order_starts=now - datetime.timedelta(days=5), order_ends=now + datetime.timedelta(days=20),
        balance_starts=now - datetime.timedelta(days=1), balance_deadline=now + datetime.timedelta(days=12),
        ship_from=today + datetime.timedelta(days=21), ship_until=today + datetime.timedelta(days=35),
        status=PreSale.Status.PUBLISHED,
    )


def presale_seed_demo(now=None) -> dict:
    now = now or timezone.now()
    if PreSale.objects.filter(title=TITLE).exists():
        return {}
    product = _product()
    points = list(ServicePoint.objects.filter(is_active=True, kind__in=ServicePoint.URBAN_KINDS,
                                              has_cold_storage=True).order_by("pk")[:3])
    if product is None or not points:
        return {}
    created = {"预售": 1, "预售订单": 0}
    with transaction.atomic(), notify.muted():
        presale = _presale(product, now)
        for index, (email, name, phone, units, balance_paid) in enumerate(BUYERS):
            request = services.PurchaseRequest(quantity=units, service_point=points[index % len(points)],
                                               recipient_name=name, recipient_phone=phone,
                                               method=PaymentMethodCode.CARD)
            presale_order = services.hold_create(presale=presale, user=_buyer(email, name), request=request, now=now)
            payment = services._payment_create(presale_order=presale_order, kind=PreSalePayment.Kind.UPFRONT,
                                               method=PaymentMethodCode.CARD, amount=presale_order.upfront_amount,
                                               order_number=presale_order.number)
            _paid(payment=payment)
            if balance_paid:
                presale_order = PreSaleOrder.objects.get(pk=presale_order.pk)
                balance = services.balance_payment_start(presale_order=presale_order, user=presale_order.user,
                                                         method=PaymentMethodCode.CARD, now=now, check_method=False)
                _paid(payment=balance)
            created["预售订单"] += 1
    return created
