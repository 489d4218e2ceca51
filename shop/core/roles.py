"""The roles of Xiangpin as Django groups with model permissions.

| role | group | is_staff | how it is scoped |
|---|---|---|---|
| consumer | (none) | no | their own baskets and orders |
| cooperative staff | 合作社工作人员 | no | Oscar partner users: only their partner's products and data |
| campaign manager | 运营 | yes | festival campaigns, offers, ranges, vouchers; no household data |
| pickup-point staff | 自提点工作人员 | no | ServicePoint.staff: only their point's orders |
| programme officer | 项目官员 | no | read-only: every region, subject, household (masked), brand |
| administrator | (superuser) | yes | everything |
"""
from django.contrib.auth.models import Group, Permission

COOPERATIVE_STAFF = "合作社工作人员"
CAMPAIGN_MANAGER = "运营"
PICKUP_STAFF = "自提点工作人员"
PROGRAMME_OFFICER = "项目官员"

_DOMAIN_MODELS = {
    "regions": ["city", "county", "township", "village", "servicepoint"],
    "producers": ["marketsubject", "household", "membership"],
    "brands": ["brand", "productorigin"],
    "harvest": ["harvestbatch", "batchcontribution", "traceevent"],
    "attribution": ["lineallocation", "ledgerentry"],
}


def _codenames(actions, models_by_app):
    return [(app, f"{action}_{model}") for app, models in models_by_app.items() for model in models for action in actions]


ROLE_PERMISSIONS = {
    COOPERATIVE_STAFF: [("partner", "dashboard_access")]
    + _codenames(["view"], {"regions": ["city", "county", "township", "village"], "brands": ["brand"]})
    + _codenames(["view", "change"], {"producers": ["marketsubject"], "brands": ["productorigin"]})
    + _codenames(["view", "add", "change"], {"producers": ["household", "membership"]})
    + _codenames(["view", "add", "change"], {"harvest": ["harvestbatch", "batchcontribution"]})
    + _codenames(["view", "add"], {"harvest": ["traceevent"]})
    + _codenames(["view"], {"attribution": ["lineallocation", "ledgerentry"]})
    + _codenames(["view", "add", "change"], {"fulfilment": ["deliverywave"]})
    + _codenames(["view", "add", "change"], {"presale": ["presale"]}) + _codenames(["view"], {"presale": ["presaleorder"]}),
    CAMPAIGN_MANAGER: [("partner", "dashboard_access")]
    + _codenames(["view"], {"brands": ["brand", "productorigin"], "regions": ["city", "county", "servicepoint"]})
    + _codenames(["view", "add", "change", "delete"], {"offer": ["conditionaloffer", "range"], "voucher": ["voucher"]})
    + _codenames(["view", "add", "change", "delete"], {"fulfilment": ["deliveryrate"]})
    + _codenames(["view", "add", "change", "delete"], {"campaigns": ["campaign", "campaignproduct"]})
    + _codenames(["view"], {"campaigns": ["campaignorderline"]})
    + _codenames(["view", "add", "change"], {"presale": ["presale"]}) + _codenames(["view"], {"presale": ["presaleorder"]}),
    PICKUP_STAFF: [("partner", "dashboard_access")]
    + _codenames(["view"], {"regions": ["servicepoint"], "harvest": ["harvestbatch"]})
    + _codenames(["view", "add"], {"harvest": ["traceevent"]})
    + _codenames(["view", "change"], {"fulfilment": ["orderpickup"]}),
    PROGRAMME_OFFICER: [("partner", "dashboard_access")] + _codenames(["view"], _DOMAIN_MODELS)
    + _codenames(["view"], {"fulfilment": ["deliverywave"]}) + _codenames(["view"], {"presale": ["presale", "presaleorder"]}),
}


# Crowdfunding projects (shop.crowdfunding): campaign managers and cooperatives
# (their own projects) create and edit them and their tiers, households and
# updates and see the pledges; programme officers read.
CROWDFUNDING_EDIT = (
    _codenames(["view", "add", "change"], {"crowdfunding": ["project"]})
    + _codenames(["view", "add", "change", "delete"],
                 {"crowdfunding": ["rewardtier", "projecthousehold", "projectupdate"]})
    + _codenames(["view"], {"crowdfunding": ["pledge"]})
)
ROLE_PERMISSIONS[COOPERATIVE_STAFF] = ROLE_PERMISSIONS[COOPERATIVE_STAFF] + CROWDFUNDING_EDIT
ROLE_PERMISSIONS[CAMPAIGN_MANAGER] = ROLE_PERMISSIONS[CAMPAIGN_MANAGER] + CROWDFUNDING_EDIT
ROLE_PERMISSIONS[PROGRAMME_OFFICER] = ROLE_PERMISSIONS[PROGRAMME_OFFICER] + _codenames(
    ["view"], {"crowdfunding": ["project", "rewardtier", "projecthousehold", "projectupdate", "pledge"]})

# Channel sync (catalog_sync): campaign managers run the channel dashboard (read
# the figures, start a push or an order import, retry a dead letter); cooperative
# staff see the listing status of their own products on the channels.
ROLE_PERMISSIONS[CAMPAIGN_MANAGER] = ROLE_PERMISSIONS[CAMPAIGN_MANAGER] + _codenames(
    ["view", "change"], {"catalog_sync": ["channel", "deadletter"]}) + _codenames(
    ["view"], {"catalog_sync": ["channellisting"]})
ROLE_PERMISSIONS[COOPERATIVE_STAFF] = ROLE_PERMISSIONS[COOPERATIVE_STAFF] + _codenames(
    ["view"], {"catalog_sync": ["channellisting"]})


def ensure_roles() -> dict[str, Group]:
    """Create or refresh the role groups and their permissions (idempotent)."""
    groups = {}
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in perms]
        group.permissions.set(permissions)
        groups[name] = group
    return groups
