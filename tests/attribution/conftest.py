from tests.checkout.conftest import plain_point, yuexiu  # noqa: F401 - fixtures
