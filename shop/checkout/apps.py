from oscar.apps.checkout import apps as oscar_checkout_apps


class CheckoutConfig(oscar_checkout_apps.CheckoutConfig):
    """Oscar's checkout app, unforked: same name, label and URLs; the views that
    differ for community pickup and pay-at-pickup are swapped in after Oscar's."""

    name = "oscar.apps.checkout"
    label = "checkout"

    # pylint: disable=attribute-defined-outside-init
    def ready(self):
        super().ready()
        from . import views

        self.index_view = views.IndexView
        self.shipping_address_view = views.PickupPointView
        self.shipping_method_view = views.ShippingMethodView
        self.payment_method_view = views.PaymentMethodView
        self.payment_details_view = views.PaymentDetailsView
        self.thankyou_view = views.ThankYouView
