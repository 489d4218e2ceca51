"""Who sees which rows in the back office.

Function-level access is Django model permissions (the role groups of
``shop.core.roles``), checked by Oscar's dashboard ``permissions_map``.
Object-level access follows Oscar's own rule for partner users: a user who is
neither staff nor a programme officer sees only what belongs to the Oscar
partners that list them (their cooperative), or the service points that list
them as staff.
"""
from oscar.core.loading import get_class, get_model

from shop.core.roles import PROGRAMME_OFFICER
from shop.producers.models import Household, MarketSubject

partner_product_visibility_q = get_class("dashboard.catalogue.utils", "partner_product_visibility_q")
Product = get_model("catalogue", "Product")

_SEES_ALL_CACHE = "_backoffice_sees_all"


def user_sees_all(user) -> bool:
    """Staff and programme officers see every record (what they may do with it
    is still decided by their model permissions)."""
    if not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, _SEES_ALL_CACHE, None)
    if cached is None:
        cached = user.is_staff or user.groups.filter(name=PROGRAMME_OFFICER).exists()
        setattr(user, _SEES_ALL_CACHE, cached)
    return cached


def market_subjects_visible_to(user):
    queryset = MarketSubject.objects.all()
    if user_sees_all(user):
        return queryset
    return queryset.filter(partner__users=user)


def households_visible_to(user):
    queryset = Household.objects.all()
    if user_sees_all(user):
        return queryset
    own = Household.objects.filter(memberships__market_subject__partner__users=user)
    return queryset.filter(pk__in=own.values("pk"))


def products_visible_to(user):
    queryset = Product.objects.all()
    if user_sees_all(user):
        return queryset
    return queryset.filter(pk__in=Product.objects.filter(partner_product_visibility_q(user)).values("pk"))
