"""Checkout customisation: Oscar's checkout app (label "checkout", unforked) with the
pickup-point, pay-at-pickup views swapped in by ``apps.CheckoutConfig.ready()``."""
