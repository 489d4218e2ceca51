"""Writes the back office needs beyond ``shop.producers.services``: market
subjects (each one is an Oscar partner) and product origin records."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from shop.brands.models import ProductOrigin
from shop.producers.models import MarketSubject

Partner = get_model("partner", "Partner")

MARKET_SUBJECT_FIELDS = (
    "name", "kind", "county", "linkage_model", "unified_social_credit_code",
    "contact_name", "contact_phone", "description",
)


@transaction.atomic
def market_subject_create(*, name, kind, county, linkage_model, partner=None, **details) -> MarketSubject:
    """Create a market subject linked to ``partner``, or to a new Oscar partner
    of the same name when none is given."""
    if partner is None:
        partner = Partner.objects.create(name=name)
    elif MarketSubject.objects.filter(partner=partner).exists():
        raise ValidationError({"partner": _("该销售商已关联其他市场主体。")})
    subject = MarketSubject(
        partner=partner, name=name, kind=kind, county=county, linkage_model=linkage_model, **details
    )
    subject.full_clean()
    subject.save()
    return subject


@transaction.atomic
def market_subject_update(*, market_subject: MarketSubject, **changes) -> MarketSubject:
    """Update a market subject; its Oscar partner keeps the subject's name."""
    unknown = set(changes) - set(MARKET_SUBJECT_FIELDS)
    if unknown:
        raise ValueError(f"Not market subject fields: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(market_subject, field, value)
    market_subject.full_clean()
    market_subject.save()
    partner = market_subject.partner
    if partner.name != market_subject.name:
        partner.name = market_subject.name
        partner.save(update_fields=["name"])
    return market_subject


@transaction.atomic
def product_origin_save(*, product, brand, county, market_subject, village=None, certificate_number="",
                        certificate_issuer="", certificate_valid_until=None, is_fresh=False, gtin="") -> ProductOrigin:
    """Create or replace the origin and certificate record of a product."""
    origin = ProductOrigin.objects.select_for_update().filter(product=product).first() or ProductOrigin(product=product)
    origin.brand = brand
    origin.county = county
    origin.village = village
    origin.market_subject = market_subject
    origin.certificate_number = certificate_number
    origin.certificate_issuer = certificate_issuer
    origin.certificate_valid_until = certificate_valid_until
    origin.is_fresh = is_fresh
    origin.gtin = gtin
    if village is not None and village.township.county_id != county.pk:
        raise ValidationError({"village": _("所选行政村不在产地县（市、区）内。")})
    origin.full_clean()
    origin.save()
    return origin
