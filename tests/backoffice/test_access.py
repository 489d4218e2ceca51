"""Access matrix: every back-office URL × every role, for GET and POST, against
objects of cooperative B / pickup point Q. Non-owners get 403/404 and nothing is
written; programme officers only read; anonymous users are sent to the login."""
import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from oscar.core.loading import get_model

from shop.brands.models import Brand, ProductOrigin
from shop.harvest.models import BatchContribution, HarvestBatch, TraceEvent
from shop.producers.models import Household, MarketSubject, Membership
from shop.regions.models import City, County, ServicePoint, Township, Village

from .support import bo_url

Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")

ROLES = ("anonymous", "consumer", "bare_staff", "pickup", "operations", "officer", "coop_a", "admin")

ISSUE_4_PREFIXES = ("delivery-", "pickup-", "order-refund")
# Campaign screens have their own matrix (tests/campaigns/test_dashboard.py).
OWN_MATRIX_PREFIXES = ISSUE_4_PREFIXES + ("campaign-",)
# Crowdfunding screens have theirs too (tests/crowdfunding/test_access.py).
OWN_MATRIX_PREFIXES += ("crowdfunding-",)
# Pre-sale screens too (tests/presale/test_backoffice.py).
OWN_MATRIX_PREFIXES += ("presale-",)
# Channel sync screens too (tests/catalog_sync/dashboard/test_access.py).
OWN_MATRIX_PREFIXES += ("channel-",)
WRITE_ACTIONS = ("create", "update", "delete", "find", "import")


def _screen_names(*names, actions=("list", "detail")):
    return {f"{name}-{action}" for name in names for action in actions}


REGIONS = ("city", "county", "township", "village")
ALL_SCREENS = REGIONS + ("service-point", "market-subject", "household", "brand", "product-origin")
# Reading a batch: its list, detail and label sheets.
BATCH_READ = {"harvest-batch-list", "harvest-batch-detail", "harvest-batch-labels", "harvest-batch-label-sheet"}
# Monitoring reports (read-only; a cooperative's figures are scoped inside, see tests/attribution/test_reports_views.py).
REPORTS = {"attribution-report", "attribution-report-csv", "attribution-report-xlsx"}

# What each role may open, written out from the role table (not derived from the code).
ALLOWED = {
    "anonymous": set(),
    "consumer": set(),
    "bare_staff": set(),
    "pickup": _screen_names("service-point") | {"harvest-point-batch-list", "harvest-batch-event-create"},
    "operations": _screen_names("city", "county", "service-point", "brand", "product-origin"),
    "officer": _screen_names(*ALL_SCREENS) | BATCH_READ | REPORTS,
    "coop_a": _screen_names(*REGIONS, "brand", "market-subject", "household", "product-origin")
    | {"market-subject-update", "household-create", "household-update", "household-find", "product-origin-update"}
    | BATCH_READ
    | REPORTS
    | {"harvest-batch-create", "harvest-batch-contributions-import", "harvest-batch-contributions-template",
       "harvest-batch-event-create"},
}
ALLOWED["admin"] = None  # everything

# Objects in the matrix belong to cooperative B / pickup point Q: out of these roles' scope.
OUT_OF_SCOPE = {
    # Batch B reached no order at pickup point P.
    "pickup": {"service-point-detail", "service-point-update", "service-point-delete", "harvest-batch-event-create"},
    "coop_a": {
        "market-subject-detail", "market-subject-update", "household-detail", "household-update",
        "product-origin-detail", "product-origin-update", "product-origin-create",
        "harvest-batch-detail", "harvest-batch-labels", "harvest-batch-label-sheet",
        "harvest-batch-contributions-import", "harvest-batch-event-create",
    },
}


def _urls(world):
    objects = {
        "city": world.city, "county": world.county_b, "township": world.township_a, "village": world.village_b,
        "service-point": world.point_q, "market-subject": world.subject_b, "household": world.household_b,
        "brand": world.brand, "product-origin": world.product_b.origin,
    }
    urls = {}
    for screen, obj in objects.items():
        urls[f"{screen}-list"] = bo_url(f"{screen}-list")
        urls[f"{screen}-detail"] = bo_url(f"{screen}-detail", pk=obj.pk)
        urls[f"{screen}-update"] = bo_url(f"{screen}-update", pk=obj.pk)
        if screen not in ("market-subject", "household", "product-origin"):
            urls[f"{screen}-create"] = bo_url(f"{screen}-create")
            urls[f"{screen}-delete"] = bo_url(f"{screen}-delete", pk=obj.pk)
    urls["market-subject-create"] = bo_url("market-subject-create")
    urls["household-create"] = bo_url("household-create")
    urls["household-find"] = bo_url("household-find")
    urls["product-origin-create"] = bo_url("product-origin-create", product_pk=world.product_b_bare.pk)
    batch = world.batch_b
    urls["harvest-batch-list"] = bo_url("harvest-batch-list")
    urls["harvest-batch-create"] = bo_url("harvest-batch-create")
    urls["harvest-batch-detail"] = bo_url("harvest-batch-detail", pk=batch.pk)
    urls["harvest-batch-contributions-import"] = bo_url("harvest-batch-contributions-import", pk=batch.pk)
    urls["harvest-batch-contributions-template"] = bo_url("harvest-batch-contributions-template", fmt="csv")
    urls["harvest-batch-labels"] = bo_url("harvest-batch-labels", pk=batch.pk)
    urls["harvest-batch-label-sheet"] = bo_url("harvest-batch-label-sheet") + f"?batch={batch.pk}"
    urls["harvest-batch-event-create"] = bo_url("harvest-batch-event-create", pk=batch.pk)
    urls["harvest-point-batch-list"] = bo_url("harvest-point-batch-list")
    for name in REPORTS:
        urls[name] = bo_url(name)
    return urls


# The hostile POST names cooperative B's subject: refused as an out-of-scope choice.
# So is the hostile batch POST (it names cooperative B's product).
POST_OVERRIDES = {("coop_a", "household-create"): 403, ("coop_a", "harvest-batch-create"): 403}


def _expected(role, name, *, method):
    if method == "POST" and (role, name) in POST_OVERRIDES:
        return POST_OVERRIDES[role, name]
    if role == "anonymous":
        return 302
    allowed = ALLOWED[role]
    if allowed is not None and name not in allowed:
        return 403
    if name in OUT_OF_SCOPE.get(role, ()):
        return 404
    if method == "POST" and name.endswith(("-list", "-detail")):
        return 405
    return 200


def _client_for(role, world, client):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _snapshot():
    """Every row the back office can write, with its values (household personal data decrypted)."""
    models = [
        City, County, Township, Village, ServicePoint, ServicePoint.staff.through, MarketSubject, Partner,
        Partner.users.through, Household, Membership, Brand, Brand.counties.through, ProductOrigin,
        HarvestBatch, BatchContribution, TraceEvent, StockRecord,
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def test_the_matrix_covers_every_backoffice_url(world):
    names = {pattern.name for pattern in apps.get_app_config("backoffice").get_urls()}
    # Orders, waves, pickup and delivery rates have their own matrix (test_order_access.py), campaigns theirs.
    names = {name for name in names if not name.startswith(OWN_MATRIX_PREFIXES)}
    assert names == set(_urls(world))
    assert len(names) == 55


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(world, client, role):
    client = _client_for(role, world, client)
    results = {name: client.get(url).status_code for name, url in _urls(world).items()}
    expected = {name: _expected(role, name, method="GET") for name in results}
    assert results == expected


def test_anonymous_users_are_sent_to_the_dashboard_login(world, client):
    url = bo_url("household-list")
    response = client.get(url)
    assert response["Location"] == f"/zh-hans/shop/dashboard/login/?next={url}"


# A POST that would change things if it got through.
HOSTILE = {
    "code": "441499", "name": "被篡改", "name_en": "tampered", "contact_name": "被篡改", "contact_phone": "110",
    "description": "被篡改", "registration_number": "HACKED", "members": 9, "able_bodied_members": 1,
    "status": "in_poverty", "head_name": "篡改", "certificate_number": "篡改", "gtin": "", "id_number": "",
    "address": "被篡改", "kind": "locker", "slug": "tampered", "display_order": 1,
    "harvested_on": "2026-11-20", "quantity": 999, "inspection_report_number": "篡改", "inspection_result": "passed",
    "inspected_on": "2026-11-21", "recorder": "cooperative", "business_step": "shipping",
    "occurred_at": "2026-11-22T10:00", "place": "被篡改",
}


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_post_matrix_writes_nothing(world, client, role):
    client = _client_for(role, world, client)
    urls = {name: url for name, url in _urls(world).items() if name.rsplit("-", 1)[1] in WRITE_ACTIONS}
    before = _snapshot()
    results = {}
    for name, url in urls.items():
        data = dict(HOSTILE, city=world.city.pk, county=world.county_b.pk, township=world.township_a.pk,
                    village=world.village_b.pk, brand=world.brand.pk, market_subject=world.subject_b.pk,
                    market_subjects=[world.subject_b.pk], product=world.product_b.pk)
        results[name] = client.post(url, data).status_code
    expected = {name: _expected(role, name, method="POST") for name in urls}
    assert results == expected
    assert _snapshot() == before


def test_programme_officers_see_no_edit_buttons(world, login):
    client = login(world.users["officer"])
    for name in ("household-list", "market-subject-list", "village-list", "product-origin-list", "brand-list"):
        response = client.get(bo_url(name))
        html = response.content.decode()
        assert response.context["create_url"] is None
        assert "/edit/" not in html and "/delete/" not in html and "/create/" not in html
        assert all(row["actions"] == [] for row in response.context["rows"])
    response = client.get(bo_url("household-detail", pk=world.household_a.pk))
    assert response.context["actions"] == []
    assert "household_find_form" not in client.get(bo_url("household-list")).content.decode()


def test_staff_without_the_permission_get_403_and_with_it_200(world, login):
    user = world.users["bare_staff"]
    client = login(user)
    assert client.get(bo_url("village-list")).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_village"))
    assert client.get(bo_url("village-list")).status_code == 200
    assert client.get(bo_url("village-update", pk=world.village_a.pk)).status_code == 403


def _household_edit(world, household, **changes):
    data = {
        "village": household.village_id, "registration_number": household.registration_number, "members": 5,
        "able_bodied_members": 3, "status": "in_poverty", "market_subjects": [world.subject_a.pk],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "swap",
    [
        {"market_subjects": "SUBJECT_B"},
        {"market_subjects": ["SUBJECT_A", "SUBJECT_B"]},
        {"village": "VILLAGE_B"},
    ],
)
def test_swapped_ids_in_a_household_edit_are_refused(world, login, swap):
    ids = {"SUBJECT_A": world.subject_a.pk, "SUBJECT_B": world.subject_b.pk, "VILLAGE_B": world.village_b.pk}
    swap = {key: [ids[v] for v in value] if isinstance(value, list) else ids[value] for key, value in swap.items()}
    client = login(world.users["coop_a"])
    before = _snapshot()
    response = client.post(bo_url("household-update", pk=world.household_a.pk),
                           _household_edit(world, world.household_a, members=6, **swap))
    assert response.status_code == 403
    assert _snapshot() == before


def test_swapped_subject_in_a_household_create_is_refused(world, login):
    from tests.factories import fake_id_number

    client = login(world.users["coop_a"])
    before = _snapshot()
    response = client.post(bo_url("household-create"), {
        "head_name": "钟秀英", "id_number": fake_id_number(serial=556), "village": world.village_a2.pk,
        "registration_number": "JD44140300010", "members": 2, "able_bodied_members": 1, "status": "in_poverty",
        "market_subjects": [world.subject_b.pk],
    })
    assert response.status_code == 403
    assert _snapshot() == before


def test_swapped_subject_in_a_product_origin_edit_is_refused(world, login):
    origin = world.product_a.origin
    client = login(world.users["coop_a"])
    before = _snapshot()
    response = client.post(bo_url("product-origin-update", pk=origin.pk), {
        "brand": world.brand.pk, "county": world.county_a.pk, "village": world.village_a.pk,
        "market_subject": world.subject_b.pk, "certificate_number": "篡改", "certificate_issuer": "篡改",
        "certificate_valid_until": "2030-01-01",
    })
    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(("actor", "victim"), [("coop_a", "b"), ("coop_b", "a")])
def test_cooperatives_cannot_reach_each_others_records_by_url(world, login, actor, victim):
    client = login(world.users[actor])
    household = getattr(world, f"household_{victim}")
    subject = getattr(world, f"subject_{victim}")
    origin = getattr(world, f"product_{victim}").origin
    before = _snapshot()
    for url in (
        bo_url("household-detail", pk=household.pk),
        bo_url("market-subject-detail", pk=subject.pk),
        bo_url("product-origin-detail", pk=origin.pk),
    ):
        assert client.get(url).status_code == 404
    for url in (
        bo_url("household-update", pk=household.pk),
        bo_url("market-subject-update", pk=subject.pk),
        bo_url("product-origin-update", pk=origin.pk),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"contact_name": "篡改", "members": 1, "certificate_number": "篡改"}).status_code == 404
    assert _snapshot() == before
