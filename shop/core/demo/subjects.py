"""Seed market subjects, each with its Oscar partner (keyed by partner code)."""
import zlib

from oscar.core.loading import get_model

from shop.producers.models import MarketSubject
from shop.regions.models import County

from . import codes
from .subjects_data import SUBJECTS

Partner = get_model("partner", "Partner")

REGISTRARS = {"cooperative": "93", "leading_enterprise": "91", "entrepreneur_leader": "92"}


def credit_code(partner_code: str, kind: str, county_code: str) -> str:
    digits = f"{zlib.crc32(partner_code.encode()) % 10**8:08d}"
    return codes.unified_social_credit_code(REGISTRARS[kind], county_code, digits)


def contact_phone(index: int) -> str:
    return f"1390000{index + 1:04d}"


def seed_market_subjects() -> dict:
    counties = {c.code: c for c in County.objects.filter(code__in={s[3] for s in SUBJECTS})}
    existing_partners = {p.code: p for p in Partner.objects.filter(code__in=[s[0] for s in SUBJECTS])}
    existing_subjects = {s.partner_id: s for s in MarketSubject.objects.filter(partner__in=existing_partners.values())}
    created = 0
    for index, (code, kind, name, county_code, linkage, contact, _brands, description) in enumerate(SUBJECTS):
        partner = existing_partners.get(code)
        if partner is None:
            partner = Partner.objects.create(code=code, name=name)
        elif partner.name != name:
            partner.name = name
            partner.save(update_fields=["name"])
        values = {
            "kind": kind, "name": name, "county_id": counties[county_code].pk, "linkage_model": linkage,
            "unified_social_credit_code": credit_code(code, kind, county_code), "contact_name": contact,
            "contact_phone": contact_phone(index), "description": description,
        }
        subject = existing_subjects.get(partner.pk)
        if subject is None:
            MarketSubject.objects.create(partner=partner, **values)
            created += 1
        elif any(getattr(subject, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(subject, field, value)
            subject.save()
    return {"MarketSubject": created}


def subjects_by_code() -> dict[str, MarketSubject]:
    subjects = MarketSubject.objects.select_related("partner", "county__city")
    return {s.partner.code: s for s in subjects if s.partner.code in {row[0] for row in SUBJECTS}}
