"""Seed cities, counties, townships and villages."""
import random

from shop.regions.models import City, County, Township, Village

from . import regions_data as data
from .upsert import sync_rows

# Village names are generated from common parts of Guangdong village names
# (上/下/新/石… + 坑/塘/岭/田…); only KNOWN_VILLAGES are real names.
VILLAGE_PREFIXES = "上下新大石黄东西南北长高龙凤白水坪良和安竹禾松桥"
VILLAGE_SUFFIXES = ["坑", "塘", "岭", "田", "坝", "洞", "寨", "陂", "围", "坪", "岗", "背", "湖", "溪", "口", "联", "丰", "光", "美", "径"]


def township_code(county_code: str, index: int, name: str) -> str:
    """Derived 9-digit code: 0xx for sub-districts (街道), 1xx for towns."""
    base = 0 if name.endswith("街道") else 100
    return f"{county_code}{base + index + 1:03d}"


def village_names(county_code: str, township_name: str, count: int) -> list[str]:
    rng = random.Random(f"villages-{county_code}-{township_name}")
    names = list(data.KNOWN_VILLAGES.get((county_code, township_name), []))[:count]
    while len(names) < count:
        name = rng.choice(VILLAGE_PREFIXES) + rng.choice(VILLAGE_SUFFIXES) + "村"
        if name not in names:
            names.append(name)
    return names


def poor_village_indexes(township_code_: str, count: int) -> set[int]:
    rng = random.Random(f"poor-{township_code_}")
    wanted = max(2, round(count * data.POOR_VILLAGE_SHARE))
    return set(rng.sample(range(count), min(wanted, count)))


def seed_regions() -> dict:
    """Returns counts of created rows by model name."""
    city_rows = [{"code": code, "name": name, "name_en": name_en} for code, name, name_en, _ in data.ALL_CITIES]
    cities = sync_rows(City, "code", city_rows)
    county_rows = [
        {"code": code, "name": name, "name_en": name_en, "city_id": cities.objects[city_code].pk,
         "is_demonstration_county": code in data.DEMONSTRATION_COUNTIES}
        for city_code, _, _, counties in data.ALL_CITIES for code, name, name_en in counties
    ]
    counties = sync_rows(County, "code", county_rows)

    township_rows, village_plan = [], []
    for county_code, names in data.TOWNSHIPS.items():
        for index, name in enumerate(names):
            code = township_code(county_code, index, name)
            township_rows.append({"code": code, "name": name, "county_id": counties.objects[county_code].pk})
            village_plan.append((county_code, name, code))
    townships = sync_rows(Township, "code", township_rows)

    village_rows = []
    for county_code, township_name, code in village_plan:
        names = village_names(county_code, township_name, data.VILLAGES_PER_TOWNSHIP)
        poor = poor_village_indexes(code, len(names))
        for index, name in enumerate(names):
            village_rows.append({
                "code": f"{code}{200 + index + 1:03d}", "name": name,
                "township_id": townships.objects[code].pk, "is_provincial_poor_village": index in poor,
            })
    villages = sync_rows(Village, "code", village_rows)
    return {
        "City": cities.created, "County": counties.created,
        "Township": townships.created, "Village": villages.created,
    }
