"""Reads for the crowdfunding pages and screens.

Households are public only as a consented alias or in a count (as on the trace
pages): these reads select ``alias_consent`` and ``public_alias`` and never a
household's personal (encrypted) fields."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from shop.traceability.selectors import PublicHouseholds

from .models import Pledge, Project, ProjectHousehold
from .services import PENDING_HOLD_MINUTES

State = Pledge.State
FEN = Decimal("0.01")
# Pledges that were committed at some point (counted as backers and, while the
# project is live, towards its total).
BACKED = (*Pledge.COMMITTED, State.REFUNDING, State.REFUND_FAILED, State.REFUNDED, State.RELEASED,
          State.OFFLINE_REFUND, State.CHARGE_FAILED)


@dataclass(frozen=True)
class Progress:
    raised: Decimal
    goal: Decimal
    backers: int

    @property
    def percent(self) -> int:
        """Of the goal, rounded down (may pass 100)."""
        return int(self.raised * 100 / self.goal) if self.goal else 0

    @property
    def bar_percent(self) -> int:
        return min(self.percent, 100)


def with_totals(queryset):
    """Annotate projects with their live total and backer count (one query for a list)."""
    committed = Q(pledges__state__in=Pledge.COMMITTED)
    return queryset.annotate(
        live_raised=Sum("pledges__amount", filter=committed),
        backer_count=Count("pledges__user", filter=Q(pledges__state__in=BACKED), distinct=True),
    )


def progress_of(project) -> Progress:
    """The project's progress: while live, the committed pledges; once decided,
    the total it was decided on (refunds do not take the bar back down)."""
    if not hasattr(project, "live_raised"):
        project = with_totals(Project.objects.filter(pk=project.pk)).get()
    raised = project.decided_total if project.decided_total is not None else (project.live_raised or Decimal("0"))
    # SQLite sums decimals as floats-ish text: put the total back on the fen grid.
    return Progress(raised=Decimal(raised).quantize(FEN), goal=project.goal_amount, backers=project.backer_count or 0)


def projects_public():
    """Projects the public sees (live or finished), newest first, with their totals."""
    return with_totals(
        Project.objects.exclude(state=Project.State.DRAFT)
        .select_related("product", "market_subject__county__city")
        .order_by("-launched_at", "-pk")
    )


def project_public(*, slug):
    return projects_public().filter(slug=slug).first()


def public_households(project) -> PublicHouseholds:
    rows = (ProjectHousehold.objects.filter(project=project).order_by("pk")
            .values_list("household__alias_consent", "household__public_alias"))
    aliases, others = [], 0
    for consent, alias in rows:
        if consent and alias:
            aliases.append(alias)
        else:
            others += 1
    return PublicHouseholds(aliases=tuple(aliases), others=others)


@dataclass(frozen=True)
class TierOffer:
    tier: object
    left: int | None  # None: unlimited

    @property
    def sold_out(self):
        return self.left is not None and self.left <= 0


def tier_offers(project, now=None) -> list[TierOffer]:
    now = now or timezone.now()
    recent = now - datetime.timedelta(minutes=PENDING_HOLD_MINUTES)
    tiers = project.tiers.annotate(
        taken=Count("pledges", filter=Q(pledges__state__in=Pledge.COMMITTED)
                    | Q(pledges__state=State.PENDING, pledges__created__gte=recent)),
    ).order_by("position", "amount", "pk")
    return [TierOffer(tier=tier, left=None if tier.limit is None else max(tier.limit - tier.taken, 0))
            for tier in tiers]


def remaining_seconds(project, now=None) -> int:
    now = now or timezone.now()
    return max(int((project.deadline - now).total_seconds()), 0)


def pledges_of(*, user, project=None):
    queryset = Pledge.objects.filter(user=user).select_related("project", "tier", "order", "refund")
    if project is not None:
        queryset = queryset.filter(project=project)
    return queryset.order_by("-created", "-pk")


def pledge_state_counts(project) -> dict:
    """{state: (count, amount)} of the project's pledges."""
    rows = project.pledges.values("state").annotate(n=Count("pk"), total=Sum("amount"))
    return {row["state"]: (row["n"], row["total"]) for row in rows}


def pledges_for_dashboard(project):
    return project.pledges.select_related("tier", "user", "payment", "refund", "order").order_by("pk")
