"""Seed beneficiary households through ``household_create`` (so their personal
data is validated, encrypted and indexed like any other household)."""
import datetime
import random
from collections import defaultdict

from shop.producers.models import Household, Membership
from shop.producers.services import household_create, id_number_digest
from shop.regions.models import Village

from .people import fake_household
from .public_text import is_public
from .subjects import subjects_by_code


def registration_number(village_code: str, serial: int) -> str:
    """建档立卡编号: the village code and a 4-digit serial."""
    return f"{village_code}{serial:04d}"


def _poor_villages_by_county(county_codes) -> dict[str, list[Village]]:
    villages = defaultdict(list)
    queryset = Village.objects.filter(is_provincial_poor_village=True, township__county__code__in=county_codes)
    for village in queryset.select_related("township__county").order_by("code"):
        villages[village.township.county.code].append(village)
    return villages


def _unique_fake(rng, county_code, serial, taken):
    while True:
        person = fake_household(rng, county_code=county_code, serial=serial)
        digest = id_number_digest(person.id_number)
        if digest not in taken and not is_public(person.head_name):
            taken.add(digest)
            return person


def seed_households(count: int, progress=None) -> dict:
    subjects = sorted(subjects_by_code().values(), key=lambda s: s.partner.code)
    subjects_in_county = defaultdict(list)
    for subject in subjects:
        subjects_in_county[subject.county.code].append(subject)
    villages = _poor_villages_by_county(subjects_in_county)
    # Counties weighted by how many subjects they have.
    county_cycle = [s.county.code for s in subjects if villages.get(s.county.code)]
    existing = set(Household.objects.values_list("registration_number", flat=True))
    taken = set(Household.objects.values_list("id_number_digest", flat=True))
    created, joined = 0, {}
    for serial in range(1, count + 1):
        rng = random.Random(f"household-{serial}")
        county_code = county_cycle[serial % len(county_cycle)]
        village = rng.choice(villages[county_code])
        number = registration_number(village.code, serial)
        if number in existing:
            if progress:
                progress.update(1)
            continue
        person = _unique_fake(rng, county_code, serial, taken)
        local = subjects_in_county[county_code]
        members_of = rng.sample(local, 2 if len(local) > 1 and rng.random() < 0.3 else 1)
        household = household_create(
            village=village, head_name=person.head_name, id_number=person.id_number, registration_number=number,
            members=person.members, able_bodied_members=person.able_bodied_members, phone=person.phone,
            status=person.status, lifted_out_year=person.lifted_out_year, alias_consent=person.alias_consent,
            market_subjects=members_of,
        )
        joined[household.pk] = _joined_on(rng)
        created += 1
        if progress:
            progress.update(1)
    _set_joined_dates(joined)
    return {"Household": created}


def _joined_on(rng) -> datetime.date:
    """Households joined their co-operatives during the 2016–2020 campaign."""
    return datetime.date(2016, 3, 1) + datetime.timedelta(days=rng.randint(0, 4 * 365))


def _set_joined_dates(joined: dict) -> None:
    memberships = list(Membership.objects.filter(household_id__in=joined, joined_on__isnull=True))
    for membership in memberships:
        membership.joined_on = joined[membership.household_id]
    Membership.objects.bulk_update(memberships, ["joined_on"], batch_size=500)
