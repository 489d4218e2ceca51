"""WeChat Shop's audit comes home: the engine with the real WeChat connector
against the loopback simulator.  Listings pushed into review become live or
rejected (with the platform's reason) by the audit poll, by the platform's signed
``product_spu_audit`` push, and by the nightly reconciliation; a read-back never
overwrites a listing the relay has pushed again since.  And the lookup that
recovers a timed-out create: it skips the products already ours, goes on past a
failed read, and says "unknown" (never "absent") while a read is missing."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from catalog_sync.audits import audits_poll, readback_record
from catalog_sync.connectors.base import ConnectorError, ErrorKind
from catalog_sync.connectors.wechat_shop import ADD, LISTING, PRODUCT_GET, PRODUCT_LIST, UPDATE
from catalog_sync.models import Channel, ChannelListing, PushReceipt, SyncCall
from catalog_sync.reconcile import reconcile_run
from catalog_sync.relay import relay_run
from catalog_sync.simulators.base import Faults
from catalog_sync.simulators.wechat_shop import WechatShopSimulator
from tests.catalog_sync.test_wechat_shop import listing as wechat_listing
from tests.catalog_sync.test_wechat_shop import make_connector

from .helpers import key, listed_product, listing

ProductImage = get_model("catalogue", "ProductImage")

pytestmark = pytest.mark.django_db

PUSH_TOKEN = "xiangpin-audit-push"
REASON = "商品标题含有夸大宣传用语"
AUDIT_PASSED, AUDIT_REJECTED = 3, 2      # ProductSpuAudit.status (⚠️ SDK copies of the doc)


@pytest.fixture
def sim():
    simulator = WechatShopSimulator(push_token=PUSH_TOKEN, faults=Faults(timeout_seconds=1.0)).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def wx(sim, monkeypatch):
    monkeypatch.setenv("CATALOG_SYNC_WX_SIM_PUSH_TOKEN", PUSH_TOKEN)
    monkeypatch.setenv("CATALOG_SYNC_WX_SIM_TIMEOUT", "0.5")
    return Channel.objects.create(code="wx-sim", name="微信小店（模拟）", platform="wechat_shop", base_url=sim.url,
                                  app_key=sim.app_key, app_secret=sim.app_secret, access_token=sim.access_token,
                                  refresh_token="unused", stock_buffer=0)


@pytest.fixture
def in_review(wx, sim):
    """Three products pushed into review."""
    products = [pictured_product(wx, f"梅州金柚 {n}斤装") for n in (3, 5, 8)]
    report = relay_run(wx)
    assert report.created == 3, [listing(wx, p).last_error for p in products]
    assert [listing(wx, p).state for p in products] == ["in_review"] * 3
    return products


def pictured_product(channel, title):
    """A product enabled on the channel, with the main picture WeChat requires."""
    product = listed_product(channel, title=title)
    ProductImage.objects.create(product=product, original=f"images/products/{product.upc}.jpg", display_order=0)
    return product


def paths(sim):
    return [path for path, _ in sim.calls]


def states(wx, products):
    return [(listing(wx, p).state, listing(wx, p).last_error) for p in products]


def test_the_poll_records_approval_and_rejection_with_reads_only(wx, sim, in_review):
    approved, rejected, waiting = in_review
    sim.audit(listing(wx, approved).remote_id, approve=True)
    sim.audit(listing(wx, rejected).remote_id, approve=False, reason=REASON)
    audits = sim.audits
    sim.reset_calls()

    report = audits_poll(wx)

    assert (report.checked, report.live, report.rejected, report.waiting, report.errors) == (3, 1, 1, 1, 0)
    assert states(wx, in_review) == [("live", ""), ("rejected", REASON), ("in_review", "")]
    assert listing(wx, rejected).last_error_kind == "invalid"
    # One read per listing by its remote id: no scan, no write, no new audit.
    assert paths(sim) == [PRODUCT_GET] * 3
    assert sim.audits == audits
    assert SyncCall.objects.filter(channel=wx, operation="lookup").count() == 1

    # Nothing left to decide but the one still waiting: the next poll reads only it.
    sim.reset_calls()
    assert audits_poll(wx).checked == 1
    assert paths(sim) == [PRODUCT_GET]


def test_a_rejected_listing_goes_back_into_audit_when_the_product_changes(wx, sim, in_review):
    product = in_review[0]
    sim.audit(listing(wx, product).remote_id, approve=False, reason=REASON)
    audits_poll(wx)
    assert listing(wx, product).state == "rejected"
    product.title = "梅州金柚 3斤装（礼盒）"
    product.save()
    sim.reset_calls()
    relay_run(wx)
    assert paths(sim)[:2] == [UPDATE, PRODUCT_GET] and LISTING in paths(sim) and ADD not in paths(sim)
    assert (listing(wx, product).state, sim.catalogue.created[key(product)]) == ("in_review", 1)


def test_a_read_back_never_overwrites_a_listing_pushed_again_since(wx, sim, in_review):
    product = in_review[0]
    row = listing(wx, product)
    sim.audit(row.remote_id, approve=True)
    remote = make_connector(sim).lookup([row.key], remote_ids={row.key: row.remote_id})[row.key]
    assert remote.state == "live"
    # The relay pushed it again after the read (a new submission is what is in review now).
    ChannelListing.objects.filter(pk=row.pk).update(last_synced_at=row.last_synced_at + timedelta(seconds=5))
    assert readback_record(row.pk, row.last_synced_at, remote) is None
    assert listing(wx, product).state == "in_review"


def test_a_failed_read_leaves_the_listing_in_review_for_the_next_poll(wx, sim, in_review):
    sim.audit(listing(wx, in_review[0]).remote_id, approve=True)
    sim.faults.arm(PRODUCT_GET, "fail")
    report = audits_poll(wx)
    assert (report.checked, report.errors) == (0, 3)
    assert listing(wx, in_review[0]).state == "in_review"
    assert audits_poll(wx).live == 1


def test_the_signed_audit_push_records_the_decision_once(client, wx, sim, in_review):
    approved, rejected, _waiting = in_review
    url = "/catalog-sync/push/wx-sim/"

    def push(product, status, reason="", *, created):
        query, body = sim.push_message("product_spu_audit", product_id=listing(wx, product).remote_id,
                                       status=status, reason=reason, create_time=created)
        return client.post(f"{url}?{urlencode(query)}", data=body, content_type="application/json")

    created = int(timezone.now().timestamp())
    query, body = sim.push_message("product_spu_audit", product_id=listing(wx, approved).remote_id,
                                   status=AUDIT_PASSED, create_time=created)
    forged = client.post(f"{url}?{urlencode({**query, 'signature': '0' * 40})}", data=body,
                         content_type="application/json")
    assert forged.status_code == 401 and listing(wx, approved).state == "in_review"

    assert (push(approved, AUDIT_PASSED, created=created).content,
            push(rejected, AUDIT_REJECTED, REASON, created=created).content) == (b"success", b"success")
    assert states(wx, in_review) == [("live", ""), ("rejected", REASON), ("in_review", "")]
    # Redelivered: recorded once, nothing changes.
    assert push(approved, AUDIT_PASSED, created=created).status_code == 200
    assert PushReceipt.objects.filter(channel=wx).count() == 2
    assert states(wx, in_review)[0] == ("live", "")
    assert sim.call_count(PRODUCT_GET) == 3        # the relay's draft reads; the pushes read nothing


def test_reconciliation_records_the_audit_and_reads_by_remote_id(wx, sim, in_review):
    for product in in_review:
        sim.audit(listing(wx, product).remote_id, approve=True)
    sim.reset_calls()
    report = reconcile_run(wx)
    assert (report.checked, report.audited, report.requeued) == (3, 3, 0)
    assert [listing(wx, p).state for p in in_review] == ["live"] * 3
    assert set(paths(sim)) == {PRODUCT_GET}


# --- the lookup after a timed-out create ------------------------------------------------------------

def test_the_lookup_skips_known_products_and_survives_a_failed_read(sim):
    connector = make_connector(sim)
    ours = [wechat_listing(f"GD-MM-{n:03}", title=f"梅州金柚 {n}号") for n in range(1, 6)]
    known = {result.remote_id for result in connector.push_listings(ours)}
    orphan = wechat_listing("GD-YD-009", title="英德红茶 250克")
    sim.faults.arm(ADD, "timeout")
    [timed_out] = make_connector(sim, timeout=0.5).push_listings([orphan])
    assert timed_out.error.kind == ErrorKind.UNKNOWN_OUTCOME

    # The products already matched to our keys are not read: one list page, one read.
    sim.reset_calls()
    found = make_connector(sim).lookup(["GD-YD-009"], known_ids=known)
    assert found["GD-YD-009"].remote_id == sim.catalogue.find("GD-YD-009").remote_id
    assert paths(sim) == [PRODUCT_LIST, PRODUCT_GET]

    # Without them, a failed read is skipped, not fatal, but the key is "unknown", never "absent".
    fresh = make_connector(sim)
    sim.reset_calls()
    sim.faults.arm(PRODUCT_GET, *["fail"] * 6)
    with pytest.raises(ConnectorError) as refused:
        fresh.lookup(["GD-YD-009"])
    assert refused.value.error.kind == ErrorKind.TRANSIENT
    assert paths(sim).count(PRODUCT_GET) == 6
    # The retry reads again what failed (all six); then the same connector knows where the key is:
    # no list page, one read for the product's current state.
    sim.reset_calls()
    assert fresh.lookup(["GD-YD-009"])["GD-YD-009"].remote_id == found["GD-YD-009"].remote_id
    assert (paths(sim).count(PRODUCT_GET), sim.catalogue.created["GD-YD-009"]) == (6, 1)
    sim.reset_calls()
    assert fresh.lookup(["GD-YD-009"])["GD-YD-009"].remote_id == found["GD-YD-009"].remote_id
    assert paths(sim) == [PRODUCT_GET]


def test_the_relay_passes_the_remote_ids_it_holds_so_recovery_reads_one_product(wx, sim):
    products = [pictured_product(wx, f"英德红茶 {n}号") for n in range(1, 6)]
    relay_run(wx)
    late = pictured_product(wx, "英德红茶 礼盒")
    sim.faults.arm(ADD, "timeout")
    now = timezone.now()
    relay_run(wx, now=now)
    assert listing(wx, late).outcome_unknown
    sim.reset_calls()
    relay_run(wx, now=now + timedelta(minutes=5))
    assert paths(sim)[:2] == [PRODUCT_LIST, PRODUCT_GET]          # the five known ones are not read
    assert ADD not in paths(sim)
    assert (listing(wx, late).remote_id, sim.catalogue.created[key(late)]) == (
        sim.catalogue.find(key(late)).remote_id, 1)
    assert len(products) + 1 == len(sim.catalogue.items)
