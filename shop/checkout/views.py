"""The checkout views for "collect at a community pickup point, pay at pickup".

Each subclasses Oscar's view (loaded with get_class) behind ``PickupCheckoutMixin``;
``apps.CheckoutConfig.ready()`` puts them on Oscar's checkout URLs:

  checkout:index             IndexView: Oscar's gateway (sign in, or continue as a guest with email)
  checkout:shipping-address  PickupPointView: 配送方式与地址 — a pickup point/locker, or
                             送货上门 / 冷链到家 to an address; and the recipient
  checkout:shipping-method   ShippingMethodView: the one method that choice gives (auto-selected)
  checkout:payment-method    PaymentMethodView: 到自提点付款 (pickup only) or online (Stripe keys)
  checkout:preview           PaymentDetailsView(preview=True): review, then place order
  checkout:thank-you         ThankYouView: order number, pickup point, what to bring
"""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import generic
from oscar.core.loading import get_class

from shop.fulfilment.selectors import order_pickup_for_order, order_requires_cold_storage
from shop.fulfilment.statuses import initial_order_status
from shop.fulfilment.tracking import order_tracking

from shop.payments.services import PaymentError, payment_start
from shop.payments.views import payment_remember

from .delivery_options import basket_facts, home_options, pickup_options_priced
from .forms import PICKUP, DeliveryForm, GatewayForm
from .payment_methods import PAY_AT_PICKUP, is_online, pay_at_pickup_source_build
from .placement import basket_keep_submitted_if_ordered, order_create
from .session import PickupCheckoutMixin
from .stock import BasketStockUnavailable

CheckoutSessionMixin = get_class("checkout.session", "CheckoutSessionMixin")
OscarIndexView = get_class("checkout.views", "IndexView")
OscarShippingMethodView = get_class("checkout.views", "ShippingMethodView")
OscarPaymentMethodView = get_class("checkout.views", "PaymentMethodView")
OscarPaymentDetailsView = get_class("checkout.views", "PaymentDetailsView")
OscarThankYouView = get_class("checkout.views", "ThankYouView")
UnableToPlaceOrder = get_class("order.exceptions", "UnableToPlaceOrder")
UnableToTakePayment = get_class("payment.exceptions", "UnableToTakePayment")


class IndexView(PickupCheckoutMixin, OscarIndexView):
    """Oscar's gateway (sign in, or continue as a guest with an email address), with
    the same stock pre-check messages as the later steps."""

    form_class = GatewayForm


class PickupPointView(PickupCheckoutMixin, CheckoutSessionMixin, generic.FormView):
    """Step 1 (配送方式与地址), in place of Oscar's shipping-address form: a pickup
    point or locker, or home delivery / cold chain to an address."""

    template_name = "oscar/checkout/shipping_address.html"
    form_class = DeliveryForm
    success_url = reverse_lazy("checkout:shipping-method")
    pre_conditions = [
        "check_basket_is_not_empty",
        "check_basket_is_valid",
        "check_user_email_is_captured",
    ]
    skip_conditions = ["skip_unless_basket_requires_shipping"]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["requires_cold_storage"] = self.requires_cold_storage
        return kwargs

    def get_initial(self):
        session = self.pickup_session
        recipient_name, recipient_phone = session.pickup_recipient()
        if not recipient_name and self.request.user.is_authenticated:
            recipient_name = self.request.user.get_full_name()
        address = session.home_address()
        return {
            "delivery_method": session.home_method_code() or PICKUP,
            "service_point": session.pickup_service_point_id(),
            "city": address.get("city_id"),
            "district": address.get("district", ""),
            "street": address.get("street", ""),
            "recipient_name": recipient_name,
            "recipient_phone": recipient_phone,
        }

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["form"]
        facts = basket_facts(basket=self.request.basket)
        selected_point = form["service_point"].value()
        city_id = str(form["city"].value() or "")
        city = form.fields["city"].queryset.filter(pk=city_id).first() if city_id.isdigit() else None
        ctx["pickup_cities"] = pickup_options_priced(facts=facts, requires_cold_storage=self.requires_cold_storage)
        ctx["selected_service_point_id"] = str(selected_point) if selected_point not in (None, "") else ""
        ctx["home_options"] = home_options(facts=facts, requires_cold_storage=self.requires_cold_storage, city=city)
        ctx["selected_delivery_method"] = form["delivery_method"].value() or PICKUP
        ctx["selected_city"] = city
        ctx["basket_weight_kg"] = facts.weight_kg
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        if data["delivery_method"] == PICKUP:
            self.pickup_session.use_pickup_point(
                service_point_id=data["service_point"].pk,
                recipient_name=data["recipient_name"],
                recipient_phone=data["recipient_phone"],
            )
        else:
            self.pickup_session.use_home_delivery(
                method_code=data["delivery_method"],
                address=form.home_address(),
                recipient_name=data["recipient_name"],
                recipient_phone=data["recipient_phone"],
            )
        # The delivery method depends on the choice: choose it again.
        self.checkout_session.use_shipping_method(None)
        return super().form_valid(form)


class ShippingMethodView(PickupCheckoutMixin, OscarShippingMethodView):
    """Step 2: the delivery method the step-1 choice gives (the point's kind, or
    the home method to the chosen city); with one method (always, today) it is
    selected automatically, as in Oscar."""

    pre_conditions = OscarShippingMethodView.pre_conditions + ["check_pickup_point_is_captured"]

    def get(self, request, *args, **kwargs):
        if not request.basket.is_shipping_required():
            return super().get(request, *args, **kwargs)
        self._methods = self.get_available_shipping_methods()
        if not self._methods:
            messages.warning(request, _("所选配送方式暂不可用，请重新选择"))
            return redirect("checkout:shipping-address")
        if len(self._methods) == 1:
            self.checkout_session.use_shipping_method(self._methods[0].code)
            return self.get_success_response()
        return generic.FormView.get(self, request, *args, **kwargs)

    def get_available_shipping_methods(self):
        return self.get_shipping_methods(self.request.basket)


class PaymentMethodView(PickupCheckoutMixin, OscarPaymentMethodView):
    """Step 3: choose how to pay. Today: 到自提点付款 only (nothing is charged online)."""

    template_name = "oscar/checkout/payment_methods.html"
    success_url = reverse_lazy("checkout:preview")

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        code = request.POST.get("payment_method", "")
        methods = {method.code: method for method in self.available_payment_methods()}
        if code not in methods:
            return self.render_to_response(self.get_context_data(error=_("请选择可用的付款方式")), status=400)
        self.checkout_session.pay_by(code)
        return self.get_success_response()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["payment_methods"] = self.available_payment_methods()
        selected = ctx["payment_method"]
        ctx["selected_payment_method_code"] = selected.code if selected else ""
        return ctx


class PaymentDetailsView(PickupCheckoutMixin, OscarPaymentDetailsView):
    """Step 4 (preview) and order placement."""

    def get(self, request, *args, **kwargs):
        if not self.preview:
            # Pay at pickup collects no payment details.
            return redirect("checkout:payment-method")
        return super().get(request, *args, **kwargs)

    def submit(self, user, basket, shipping_address, shipping_method, shipping_charge, billing_address,
               order_total, payment_kwargs=None, order_kwargs=None, surcharges=None):
        """An online method starts a payment (stock reserved, basket frozen) and
        sends the customer to pay; the order is placed when the payment succeeds."""
        method = self.selected_payment_method()
        if not is_online(method):
            return super().submit(
                user=user, basket=basket, shipping_address=shipping_address, shipping_method=shipping_method,
                shipping_charge=shipping_charge, billing_address=billing_address, order_total=order_total,
                payment_kwargs=payment_kwargs, order_kwargs=order_kwargs, surcharges=surcharges,
            )
        try:
            payment = payment_start(
                basket=basket, user=user, guest_email=self.checkout_session.get_guest_email(), method=method.code,
                delivery=self.delivery_choice(), amount=order_total.incl_tax,
                order_number=self.generate_order_number(basket),
            )
        except (BasketStockUnavailable, PaymentError) as exc:
            return self.render_preview(self.request, error=str(exc))
        payment_remember(self.request, payment)
        return redirect("payments:pay", reference=payment.reference)

    def restore_frozen_basket(self):
        # The same basket placed twice at once: the one that lost stays the order's.
        if basket_keep_submitted_if_ordered(basket_id=self.checkout_session.get_submitted_basket_id()):
            return
        super().restore_frozen_basket()

    def render_payment_details(self, request, **kwargs):
        # Oscar re-renders its payment-details page when payment fails; ours has
        # no details to re-enter, so go back to the payment choice with the reason.
        if kwargs.get("error"):
            messages.error(request, kwargs["error"])
        return redirect("checkout:payment-method")

    def handle_payment(self, order_number, total, **kwargs):
        if not self.is_payment_required():
            return
        method = self.selected_payment_method()
        if method != PAY_AT_PICKUP:
            raise UnableToTakePayment(_("请选择可用的付款方式"))
        self.add_payment_source(pay_at_pickup_source_build(total=total))

    def get_initial_order_status(self, basket):
        return initial_order_status()

    def create_shipping_address(self, user, shipping_address):
        # A pickup point is not the customer's address: keep it out of the address book.
        if shipping_address is not None:
            shipping_address.save()
        return shipping_address

    def place_order(self, order_number, user, basket, shipping_address, shipping_method, shipping_charge,
                    order_total, billing_address=None, surcharges=None, **kwargs):
        """One transaction for stock, order, delivery record, attribution and the
        pay-at-pickup payment source (shop.checkout.placement.order_create)."""
        choice = self.delivery_choice()
        if choice is None:
            raise UnableToPlaceOrder(_("请选择配送方式"))
        status = kwargs.pop("status", None) or self.get_initial_order_status(basket)
        return order_create(
            basket=basket, user=user, choice=choice, order_number=order_number, total=order_total,
            shipping_method=shipping_method, shipping_charge=shipping_charge, shipping_address=shipping_address,
            status=status, surcharges=surcharges, on_created=self.save_payment_details, **kwargs,
        )


class ThankYouView(OscarThankYouView):
    def get_context_data(self, *args, **kwargs):
        ctx = super().get_context_data(*args, **kwargs)
        order = ctx["order"]
        ctx["order_pickup"] = order_pickup_for_order(order=order)
        ctx["tracking"] = order_tracking(order=order)
        ctx["requires_cold_storage"] = order_requires_cold_storage(order=order)
        return ctx
