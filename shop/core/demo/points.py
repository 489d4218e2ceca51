"""Seed the service network: the plan's three tiers in the product counties
(and county centres in every demonstration county), plus urban pickup points
and lockers in Guangzhou and Shenzhen."""
from shop.regions.models import County, ServicePoint, Township, Village

from . import regions_data
from .points_data import URBAN_POINTS
from .upsert import sync_rows

COUNTY_HOURS = "周一至周六 08:30-17:30"
TOWNSHIP_HOURS = "08:00-18:00"
VILLAGE_HOURS = "08:00-12:00，14:30-18:00"


def _three_tier_rows() -> list[dict]:
    rows = []
    centre_codes = set(regions_data.TOWNSHIPS) | regions_data.DEMONSTRATION_COUNTIES
    for county in County.objects.filter(code__in=centre_codes).select_related("city"):
        rows.append({
            "code": f"cc-{county.code}", "kind": ServicePoint.Kind.COUNTY_CENTRE,
            "name": f"{county.name}电子商务公共服务中心", "county_id": county.pk, "township_id": None,
            "village_id": None, "community": "", "address": f"广东省{county.city.name}{county.name}电子商务产业园一楼",
            "opening_hours": COUNTY_HOURS, "has_cold_storage": True,
        })
    for township in Township.objects.select_related("county__city"):
        county = township.county
        rows.append({
            "code": f"ts-{township.code}", "kind": ServicePoint.Kind.TOWNSHIP_STATION,
            "name": f"{county.name}{township.name}电子商务服务站", "county_id": county.pk, "township_id": township.pk,
            "village_id": None, "community": "",
            "address": f"广东省{county.city.name}{county.name}{township.name}圩镇邮政支局旁",
            "opening_hours": TOWNSHIP_HOURS, "has_cold_storage": township.code.endswith("1"),
        })
    for village in Village.objects.filter(is_provincial_poor_village=True).select_related("township__county__city"):
        township, county = village.township, village.township.county
        rows.append({
            "code": f"vp-{village.code}", "kind": ServicePoint.Kind.VILLAGE_POINT,
            "name": f"{township.name}{village.name}电子商务服务点", "county_id": county.pk, "township_id": township.pk,
            "village_id": village.pk, "community": "",
            "address": f"广东省{county.city.name}{county.name}{township.name}{village.name}村委会",
            "opening_hours": VILLAGE_HOURS, "has_cold_storage": False,
        })
    return rows


def _urban_rows() -> list[dict]:
    counties = {c.code: c.pk for c in County.objects.filter(code__in={p[3] for p in URBAN_POINTS})}
    return [
        {"code": code, "kind": kind, "name": name, "county_id": counties[county_code], "township_id": None,
         "village_id": None, "community": community, "address": address, "opening_hours": hours,
         "has_cold_storage": cold}
        for code, kind, name, county_code, community, address, hours, cold in URBAN_POINTS
    ]


def seed_service_points() -> dict:
    result = sync_rows(ServicePoint, "code", _three_tier_rows() + _urban_rows())
    return {"ServicePoint": result.created}
