"""Access matrix of the channel sync screens: every channel URL of the back office
× every role of the back-office world, GET and POST. Campaign managers (运营) and
administrators run the dashboard; cooperatives open only the listing status, and
another cooperative's product is a 404; everyone else 403; anonymous users the
login. POST-only URLs answer a GET with 405 once access is granted."""
import pytest
from django.apps import apps
from oscar.apps.dashboard.menu import get_nodes

from catalog_sync.models import ChannelListing, DeadLetter, ImportedOrder, OutboxEntry, SyncCall

from .conftest import bo_url

ROLES = ("anonymous", "consumer", "bare_staff", "pickup", "operations", "officer", "coop_a", "admin")
OPERATOR = {"channel-list", "channel-detail", "channel-push", "channel-import-orders", "channel-dead-letter-retry"}
LISTING = {"channel-listing-list", "channel-listing-detail"}
POST_ONLY = {"channel-push", "channel-import-orders", "channel-dead-letter-retry"}
# What each role may open, written out from the role table (shop.core.roles).
ALLOWED = {"anonymous": set(), "consumer": set(), "bare_staff": set(), "pickup": set(), "officer": set(),
           "operations": OPERATOR | LISTING, "coop_a": LISTING, "admin": OPERATOR | LISTING}
# The listing detail of the matrix is cooperative B's product.
OUT_OF_SCOPE = {"coop_a": {"channel-listing-detail"}}


def _urls(sync):
    jd = sync.jd
    return {
        "channel-list": bo_url("channel-list"),
        "channel-detail": bo_url("channel-detail", pk=jd.pk),
        "channel-push": bo_url("channel-push", pk=jd.pk),
        "channel-import-orders": bo_url("channel-import-orders", pk=jd.pk),
        "channel-dead-letter-retry": bo_url("channel-dead-letter-retry", pk=jd.pk, letter_pk=sync.dead_letter.pk),
        "channel-listing-list": bo_url("channel-listing-list"),
        "channel-listing-detail": bo_url("channel-listing-detail", pk=sync.products["orange"].pk),
    }


def _expected(role, name, method):
    if role == "anonymous":
        return 302
    if name not in ALLOWED[role]:
        return 403
    if name in OUT_OF_SCOPE.get(role, ()):
        return 404
    if method == "GET":
        return 405 if name in POST_ONLY else 200
    return 405 if name not in POST_ONLY else 302


def _snapshot():
    return {model.__name__: list(model.objects.order_by("pk").values())
            for model in (DeadLetter, ChannelListing, OutboxEntry, ImportedOrder, SyncCall)}


def test_the_matrix_covers_every_channel_url(sync):
    names = {pattern.name for pattern in apps.get_app_config("backoffice").get_urls()
             if pattern.name.startswith("channel-")}
    assert names == set(_urls(sync)) == OPERATOR | LISTING


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(sync, client, role):
    if role != "anonymous":
        client.force_login(sync.world.users[role])
    before = _snapshot()
    results = {name: client.get(url).status_code for name, url in _urls(sync).items()}
    assert results == {name: _expected(role, name, "GET") for name in results}
    assert _snapshot() == before


@pytest.mark.parametrize("role", [role for role in ROLES if role not in ("operations", "admin")])
def test_post_matrix_writes_nothing(sync, client, role):
    if role != "anonymous":
        client.force_login(sync.world.users[role])
    before = _snapshot()
    results = {name: client.post(url).status_code for name, url in _urls(sync).items()}
    assert results == {name: _expected(role, name, "POST") for name in results}
    assert _snapshot() == before


def _menu(user):
    for node in get_nodes(user):
        if str(node.label) == "渠道同步":
            return [str(child.label) for child in node.children]
    return []


def test_the_menu_follows_the_permissions(sync):
    users = sync.world.users
    assert {role: _menu(users[role]) for role in ROLES[1:]} == {
        "consumer": [], "bare_staff": [], "pickup": [], "officer": [],
        "operations": ["渠道看板", "渠道商品状态"], "coop_a": ["渠道商品状态"], "admin": ["渠道看板", "渠道商品状态"],
    }


def test_the_section_is_in_the_rendered_dashboard_with_breadcrumbs(sync, login):
    html = login(sync.world.users["operations"]).get(bo_url("channel-detail", pk=sync.jd.pk)).content.decode()
    assert f'href="{bo_url("channel-list")}"' in html and f'href="{bo_url("channel-listing-list")}"' in html
    assert '<li class="breadcrumb-item">渠道同步</li>' in html
    assert f'<li class="breadcrumb-item"><a href="{bo_url("channel-list")}">渠道看板</a></li>' in html
    assert '<li class="breadcrumb-item active" aria-current="page">京东扶贫馆</li>' in html
    html = login(sync.world.users["coop_a"]).get("/zh-hans/shop/dashboard/").content.decode()
    assert f'href="{bo_url("channel-listing-list")}"' in html and f'href="{bo_url("channel-list")}"' not in html
