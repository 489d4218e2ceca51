"""What happens when a payment that is not an order payment changes state.

An ORDER payment places its order (``shop.checkout.placement``). A pre-sale
balance or a crowdfunding pledge belongs to its own app, which registers one
function per purpose in its ``AppConfig.ready()``::

    purposes.register(PaymentPurpose.PLEDGE, pledge_payment_settle)

``settle(payment)`` is called with the payment row locked, inside the
transaction that merged Stripe's news into it (webhook or return URL), each time
the payment is observed; it must be idempotent and must read the payment's
state (``is_paid``, ``status``, ``amount_refunded_fen``) rather than assume an
event."""
from django.core.exceptions import ImproperlyConfigured

_SETTLERS = {}
_PAGES = {}


def register(purpose, settle_function, page_url=None):
    """``page_url(payment)``, if given: the page the customer is sent to once
    the payment is paid, or when they cancel it (the pay views' "done")."""
    _SETTLERS[purpose] = settle_function
    if page_url is not None:
        _PAGES[purpose] = page_url


def page_url(payment):
    """Where the customer follows a non-order payment (None: nowhere registered)."""
    function = _PAGES.get(payment.purpose)
    return function(payment) if function is not None else None


def settle(payment):
    try:
        settle_function = _SETTLERS[payment.purpose]
    except KeyError:
        raise ImproperlyConfigured(f"No settle function registered for payment purpose {payment.purpose!r}") from None
    settle_function(payment)
