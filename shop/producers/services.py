"""Writes for market subjects and households."""
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Household, Membership

ID_NUMBER_LENGTH = 18
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_checksum_is_valid(id_number: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    if len(id_number) != ID_NUMBER_LENGTH or not id_number[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(id_number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == id_number[17].upper()


def id_number_digest(id_number: str) -> str:
    """Keyed digest (blind index) of an ID number, for uniqueness and look-up."""
    key = settings.HOUSEHOLD_LOOKUP_KEY.encode()
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def household_public_alias(*, county_name: str, head_name: str) -> str:
    """「梅县 李姓农户」: the county and the surname only."""
    return f"{county_name} {head_name[0]}姓农户"


def _validated_id_number(id_number: str) -> str:
    id_number = id_number.strip().upper()
    if not id_number_checksum_is_valid(id_number):
        raise ValidationError({"id_number": _("身份证号码格式或校验位不正确。")})
    return id_number


def _apply_alias(household: Household) -> None:
    if household.alias_consent:
        county = household.village.township.county
        household.public_alias = household_public_alias(county_name=county.name, head_name=household.head_name)
    else:
        household.public_alias = ""


@transaction.atomic
def household_create(*, village, head_name, id_number, registration_number, members, able_bodied_members,
                     phone="", status=Household.Status.IN_POVERTY, lifted_out_year=None,
                     alias_consent=False, market_subjects=()) -> Household:
    id_number = _validated_id_number(id_number)
    digest = id_number_digest(id_number)
    if Household.objects.filter(id_number_digest=digest).exists():
        raise ValidationError({"id_number": _("该身份证号码已登记。")})
    household = Household(
        village=village, head_name=head_name.strip(), id_number=id_number, id_number_digest=digest,
        phone=phone.strip(), registration_number=registration_number, members=members,
        able_bodied_members=able_bodied_members, status=status, lifted_out_year=lifted_out_year,
        alias_consent=alias_consent,
    )
    _apply_alias(household)
    household.full_clean(exclude=["id_number_digest"])
    household.save()
    Membership.objects.bulk_create(
        [Membership(household=household, market_subject=subject) for subject in market_subjects]
    )
    return household


@transaction.atomic
def household_update(*, household: Household, **changes) -> Household:
    """Update a household. Personal fields left blank keep their current value,
    so operators never need to see the plaintext to edit other fields."""
    for field in ("head_name", "id_number", "phone"):
        if field in changes and not changes[field]:
            changes.pop(field)
    if "id_number" in changes:
        changes["id_number"] = _validated_id_number(changes["id_number"])
        digest = id_number_digest(changes["id_number"])
        if Household.objects.filter(id_number_digest=digest).exclude(pk=household.pk).exists():
            raise ValidationError({"id_number": _("该身份证号码已登记。")})
        household.id_number_digest = digest
    market_subjects = changes.pop("market_subjects", None)
    for field, value in changes.items():
        setattr(household, field, value)
    _apply_alias(household)
    household.full_clean(exclude=["id_number_digest"])
    household.save()
    if market_subjects is not None:
        household.memberships.exclude(market_subject__in=market_subjects).delete()
        existing = set(household.memberships.values_list("market_subject_id", flat=True))
        Membership.objects.bulk_create(
            [Membership(household=household, market_subject=s) for s in market_subjects if s.pk not in existing]
        )
    return household


def household_find_by_id_number(*, id_number: str):
    return Household.objects.filter(id_number_digest=id_number_digest(id_number)).first()
