"""Access matrix of the crowdfunding screens: every crowdfunding URL of the back
office × every role, GET, against the Gaozhou cooperative's project. Another
cooperative gets 404, roles without the permission 403, anonymous users the
login; POST-only URLs answer 405 to a GET once access is granted."""
import pytest
from django.apps import apps
from django.urls import reverse

from shop.core.roles import CAMPAIGN_MANAGER, COOPERATIVE_STAFF, PICKUP_STAFF, PROGRAMME_OFFICER, ensure_roles
from shop.crowdfunding.models import ProjectUpdate
from tests.factories import MarketSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "consumer", "bare_staff", "pickup", "operations", "officer", "coop", "other_coop", "admin")
POST_ONLY = {"launch", "settle", "tier-delete", "household-delete", "update-delete"}
READ = {"list", "detail"}
EVERY = {"list", "detail", "create", "update", "launch", "settle", "tier-create", "tier-update", "tier-delete",
         "household-create", "household-delete", "update-create", "update-update", "update-delete"}
# What each role may open (written out from the role table).
ALLOWED = {"anonymous": set(), "consumer": set(), "bare_staff": set(), "pickup": set(), "officer": READ,
           "operations": EVERY, "coop": EVERY, "other_coop": EVERY, "admin": EVERY}
# Not the other cooperative's project: only the list and a new project are theirs.
OUT_OF_SCOPE = {"other_coop": EVERY - {"list", "create"}}


@pytest.fixture
def users(gaozhou):
    groups = ensure_roles()
    users = {role: UserFactory(username=role, is_staff=role in ("bare_staff", "operations", "admin"),
                               is_superuser=role == "admin") for role in ROLES if role != "anonymous"}
    for role, group in (("pickup", PICKUP_STAFF), ("operations", CAMPAIGN_MANAGER), ("officer", PROGRAMME_OFFICER),
                        ("coop", COOPERATIVE_STAFF), ("other_coop", COOPERATIVE_STAFF)):
        users[role].groups.add(groups[group])
    gaozhou.subject.partner.users.add(users["coop"])
    MarketSubjectFactory(name="英德红茶专业合作社").partner.users.add(users["other_coop"])
    return users


def _urls(gaozhou):
    project = gaozhou.project
    household = project.project_households.first()
    update = ProjectUpdate.objects.create(project=project, title="t", body="b", published_at=project.launched_at)
    children = {"tier": gaozhou.tree, "household": household, "update": update}
    urls = {}
    for action in EVERY:
        kwargs = {} if action in ("list", "create") else {"pk": project.pk}
        child = action.split("-", 1)[0]
        if child in children and action.endswith(("-update", "-delete")):
            kwargs["child_pk"] = children[child].pk
        urls[action] = reverse(f"backoffice:crowdfunding-project-{action}", kwargs=kwargs or None)
    return urls


def _expected(role, action):
    if role == "anonymous":
        return 302
    if action not in ALLOWED[role]:
        return 403
    if action in OUT_OF_SCOPE.get(role, ()):
        return 404
    return 405 if action in POST_ONLY else 200


def test_the_matrix_covers_every_crowdfunding_url(gaozhou):
    names = {pattern.name for pattern in apps.get_app_config("backoffice").get_urls()
             if pattern.name.startswith("crowdfunding-")}
    assert names == {f"crowdfunding-project-{action}" for action in EVERY}


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(client, gaozhou, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    urls = _urls(gaozhou)
    results = {action: client.get(url).status_code for action, url in urls.items()}
    assert results == {action: _expected(role, action) for action in urls}
