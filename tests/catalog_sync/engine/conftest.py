import pytest

from catalog_sync import ratelimit
from catalog_sync.models import Channel
from catalog_sync.simulators.pinduoduo import PddSimulator

from .fake import FakeConnector


@pytest.fixture(autouse=True)
def _generous_rate_limits(monkeypatch):
    """The engine tests count calls, not seconds: the limiter never makes them wait
    (its own tests set tight limits)."""
    for platform in ("jd", "pinduoduo", "wechat_shop"):
        monkeypatch.setitem(ratelimit.RATE_LIMITS, platform, {"*": (1_000_000, 1.0)})


@pytest.fixture
def pdd_sim():
    simulator = PddSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def fake():
    return FakeConnector()


@pytest.fixture
def channel(db):
    # Secrets are set: the encrypted fields store "" as NULL, which their NOT NULL columns refuse.
    return Channel.objects.create(code="jd-test", name="京东测试店", platform="jd", stock_buffer=0, max_attempts=4,
                                  app_secret="test-secret", access_token="test-token", refresh_token="test-refresh")
