"""Checkout session state and view behaviour shared by the checkout views.

``PickupCheckoutMixin`` goes *before* Oscar's view class in each view's bases, so
its overrides of Oscar's ``CheckoutSessionMixin`` hooks win:
- the delivery is either a pickup point/locker or an address (送货上门 / 冷链到家);
  the shipping address is built from the pickup point or from that address
  (Oscar's order model keeps a ShippingAddress; the recipient phone is kept only
  on OrderPickup / HomeDelivery);
- the shipping method comes from ``shop.fulfilment.shipping.Repository`` given the
  point (its kind) or the destination city (no fork of Oscar's shipping app);
- pre-conditions re-check the delivery (cold storage or cold chain for fresh
  products, a rate for the city, online payment for home delivery), the stock
  and the payment method on every step, including the final POST.
"""
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from oscar.core.loading import get_class, get_model

from shop.fulfilment.selectors import fresh_product_ids, pickup_point_unavailable_reason, pickup_points_active
from shop.fulfilment.shipping import HOME_METHODS_BY_CODE, Repository, home_method_unavailable_reason
from shop.regions.models import City

from .payment_methods import payment_method_by_code, payment_methods_available
from .stock import basket_stock_shortfalls

CheckoutSessionData = get_class("checkout.utils", "CheckoutSessionData")
FailedPreCondition = get_class("checkout.exceptions", "FailedPreCondition")
PassedSkipCondition = get_class("checkout.exceptions", "PassedSkipCondition")
Country = get_model("address", "Country")
ShippingAddress = get_model("order", "ShippingAddress")


class PickupSessionData(CheckoutSessionData):
    """Oscar's checkout session plus a "pickup" namespace (flushed with the rest):
    the delivery choice, either a pickup point or a home-delivery method and address."""

    def use_pickup_point(self, *, service_point_id, recipient_name, recipient_phone):
        self._flush_namespace("pickup")
        self._set("pickup", "service_point_id", service_point_id)
        self._set("pickup", "recipient_name", recipient_name)
        self._set("pickup", "recipient_phone", recipient_phone)

    def pickup_service_point_id(self):
        return self._get("pickup", "service_point_id")

    def pickup_recipient(self):
        return self._get("pickup", "recipient_name", ""), self._get("pickup", "recipient_phone", "")

    def is_pickup_point_set(self):
        return self.pickup_service_point_id() is not None

    def use_home_delivery(self, *, method_code, address, recipient_name, recipient_phone):
        """``address``: {"city_id", "district", "street"} (JSON-serialisable)."""
        self._flush_namespace("pickup")
        self._set("pickup", "home_method_code", method_code)
        self._set("pickup", "address", dict(address))
        self._set("pickup", "recipient_name", recipient_name)
        self._set("pickup", "recipient_phone", recipient_phone)

    def home_method_code(self):
        return self._get("pickup", "home_method_code")

    def home_address(self):
        return dict(self._get("pickup", "address") or {})

    def is_home_delivery_set(self):
        return bool(self.home_method_code())


def china():
    country, _created = Country.objects.get_or_create(
        iso_3166_1_a2="CN",
        defaults={
            "iso_3166_1_a3": "CHN",
            "iso_3166_1_numeric": "156",
            "printable_name": "中国",
            "name": "中华人民共和国",
            "is_shipping_country": True,
        },
    )
    return country


def online_payment_unavailable_reason():
    """Home delivery is paid online (pay at pickup needs a pickup point): why it
    cannot be paid now, "" when it can."""
    from shop.payments.gateway import online_methods_enabled

    if online_methods_enabled():
        return ""
    return _("需在线支付，本站暂未开通在线支付，请选择自提点或提货柜")


def home_method_checkout_reason(*, method_class, city, requires_cold_chain):
    """Why the checkout cannot offer ``method_class`` (to ``city``, if chosen)."""
    return home_method_unavailable_reason(
        method_class=method_class, city=city, requires_cold_chain=requires_cold_chain
    ) or online_payment_unavailable_reason()


def shipping_address_for_home(*, city, address, recipient_name):
    """An unsaved ShippingAddress at the customer's door (no phone: it lives on HomeDelivery)."""
    return ShippingAddress(
        first_name=recipient_name,
        line1=address.get("street", ""),
        line4=city.name,
        state=address.get("district", ""),
        country=china(),
    )


def shipping_address_for_pickup(*, service_point, recipient_name):
    """An unsaved ShippingAddress describing the pickup point (no phone: the
    recipient phone lives only on OrderPickup)."""
    county = service_point.county
    return ShippingAddress(
        first_name=recipient_name,
        line1=service_point.name,
        line2=service_point.address,
        line3=service_point.community,
        line4=county.city.name,
        state=county.name,
        country=china(),
    )


class PickupCheckoutMixin:
    def dispatch(self, request, *args, **kwargs):
        self.pickup_session = PickupSessionData(request)
        return super().dispatch(request, *args, **kwargs)

    # Facts about the basket and the chosen point (cached for the request)

    @cached_property
    def fresh_product_titles(self):
        lines = list(self.request.basket.all_lines())
        fresh = fresh_product_ids(product_ids=[line.product_id for line in lines])
        return [line.product.get_title() for line in lines if line.product_id in fresh]

    @property
    def requires_cold_storage(self):
        return bool(self.fresh_product_titles)

    @cached_property
    def pickup_point(self):
        point_id = self.pickup_session.pickup_service_point_id()
        if point_id is None:
            return None
        return pickup_points_active().filter(pk=point_id).first()

    @property
    def is_home_delivery(self):
        return self.pickup_session.is_home_delivery_set()

    @cached_property
    def delivery_city(self):
        """The destination city of a home delivery (None for pickup)."""
        city_id = self.pickup_session.home_address().get("city_id") if self.is_home_delivery else None
        return City.objects.filter(pk=city_id).first() if city_id else None

    def pickup_point_problem(self):
        """A message when the session's point can't take this basket, else ""."""
        if not self.pickup_session.is_pickup_point_set():
            return _("请选择配送方式")
        if self.pickup_point is None:
            return _("您选择的自提点已停止服务，请重新选择")
        reason = pickup_point_unavailable_reason(
            service_point=self.pickup_point, requires_cold_storage=self.requires_cold_storage
        )
        if reason:
            return _("%(point)s：%(reason)s，请重新选择自提点") % {"point": self.pickup_point.name, "reason": reason}
        return ""

    def home_delivery_problem(self):
        """A message when the session's home delivery can't take this basket, else ""."""
        method_class = HOME_METHODS_BY_CODE.get(self.pickup_session.home_method_code())
        if method_class is None:
            return _("请选择配送方式")
        if self.delivery_city is None:
            return _("您填写的收货城市已不可用，请重新填写收货地址")
        reason = home_method_checkout_reason(
            method_class=method_class, city=self.delivery_city, requires_cold_chain=self.requires_cold_storage
        )
        if reason:
            return _("%(method)s：%(reason)s，请重新选择配送方式") % {"method": method_class.name, "reason": reason}
        return ""

    def delivery_problem(self):
        return self.home_delivery_problem() if self.is_home_delivery else self.pickup_point_problem()

    # Oscar pre-conditions

    def check_basket_is_valid(self, request):
        shortfalls = basket_stock_shortfalls(basket=request.basket)
        if shortfalls:
            raise FailedPreCondition(url=reverse("basket:summary"), messages=[s.message for s in shortfalls])
        super().check_basket_is_valid(request)

    def check_a_valid_shipping_address_is_captured(self):
        problem = self.delivery_problem()
        if problem:
            raise FailedPreCondition(url=reverse("checkout:shipping-address"), message=problem)

    def check_pickup_point_is_captured(self, request):
        if request.basket.is_shipping_required():
            self.check_a_valid_shipping_address_is_captured()

    def check_payment_data_is_captured(self, request):
        if self.is_payment_required() and self.selected_payment_method() is None:
            raise FailedPreCondition(url=reverse("checkout:payment-method"), message=_("请选择付款方式"))

    # Oscar submission hooks

    def get_shipping_address(self, basket):
        if not basket.is_shipping_required():
            return None
        recipient_name, _phone = self.pickup_session.pickup_recipient()
        if self.is_home_delivery:
            if self.delivery_city is None:
                return None
            return shipping_address_for_home(
                city=self.delivery_city, address=self.pickup_session.home_address(), recipient_name=recipient_name
            )
        if self.pickup_point is None:
            return None
        return shipping_address_for_pickup(service_point=self.pickup_point, recipient_name=recipient_name)

    def get_shipping_methods(self, basket):
        if self.is_home_delivery:
            if self.delivery_city is None:
                return []
            return Repository().get_shipping_methods(
                basket=basket, user=self.request.user, shipping_addr=self.get_shipping_address(basket),
                request=self.request, city=self.delivery_city, method_code=self.pickup_session.home_method_code(),
            )
        return Repository().get_shipping_methods(
            basket=basket,
            user=self.request.user,
            shipping_addr=self.get_shipping_address(basket),
            request=self.request,
            service_point=self.pickup_point,
        )

    def get_shipping_method(self, basket, shipping_address=None, **kwargs):
        code = self.checkout_session.shipping_method_code(basket)
        for method in self.get_shipping_methods(basket):
            if method.code == code:
                return method
        return None

    def is_payment_required(self):
        try:
            self.skip_unless_payment_is_required(self.request)
        except PassedSkipCondition:
            return False
        return True

    def available_payment_methods(self):
        basket = self.request.basket
        return payment_methods_available(shipping_method=self.get_shipping_method(basket))

    def selected_payment_method(self):
        return payment_method_by_code(
            code=self.checkout_session.payment_method(),
            shipping_method=self.get_shipping_method(self.request.basket),
        )

    def delivery_choice(self):
        """The session's delivery choice as a ``shop.checkout.delivery.DeliveryChoice``
        (None until a delivery method is chosen)."""
        from .delivery import DeliveryChoice

        method = self.get_shipping_method(self.request.basket)
        if method is None:
            return None
        recipient_name, recipient_phone = self.pickup_session.pickup_recipient()
        if self.is_home_delivery:
            return DeliveryChoice(
                method_code=method.code, recipient_name=recipient_name, recipient_phone=recipient_phone,
                address=self.pickup_session.home_address(),
            )
        return DeliveryChoice(
            method_code=method.code,
            recipient_name=recipient_name,
            recipient_phone=recipient_phone,
            service_point_id=self.pickup_point.pk if self.pickup_point is not None else None,
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        recipient_name, recipient_phone = self.pickup_session.pickup_recipient()
        ctx.update(
            pickup_point=None if self.is_home_delivery else self.pickup_point,
            is_home_delivery=self.is_home_delivery,
            delivery_city=self.delivery_city,
            home_address=self.pickup_session.home_address() if self.is_home_delivery else {},
            recipient_name=recipient_name,
            recipient_phone=recipient_phone,
            payment_method=self.selected_payment_method(),
            fresh_product_titles=self.fresh_product_titles,
        )
        return ctx
