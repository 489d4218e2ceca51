"""Reads for market subjects and households."""
from django.db.models import Count

from .models import Household, MarketSubject


def market_subjects_for_user(*, user):
    """The market subjects a user may manage: all for staff, else those whose
    Oscar partner lists the user."""
    queryset = MarketSubject.objects.select_related("partner", "county__city")
    if user.is_staff:
        return queryset
    return queryset.filter(partner__users=user)


def households_for_user(*, user):
    queryset = Household.objects.select_related("village__township__county__city")
    if user.is_staff:
        return queryset
    return queryset.filter(memberships__market_subject__partner__users=user).distinct()


def beneficiary_count_for_market_subject(*, market_subject_id) -> int:
    return Household.objects.filter(memberships__market_subject_id=market_subject_id).count()


def beneficiary_counts(*, market_subject_ids):
    """{market_subject_id: household count} in one query."""
    rows = (
        MarketSubject.objects.filter(pk__in=market_subject_ids)
        .annotate(household_count=Count("memberships"))
        .values_list("pk", "household_count")
    )
    return dict(rows)
