"""The arithmetic of attribution: pure functions, no database.

A line's units come from batches; a batch's units come from households (its
contributions) and, for what no household contributed, from the market subject
itself. So a line splits into *buckets* (batch, household), each with an exact
rational weight (its share of the line's units). The line's net amount and
net quantity are split over the buckets by largest remainder, so the parts add
up exactly to the fen (and to the 0.001 unit). Each household's income follows
its contract rule from its part."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

FEN = Decimal("0.01")
MILLI_UNIT = Decimal("0.001")


def largest_remainder(total: Decimal, weights: list[Fraction], quantum: Decimal = FEN) -> list[Decimal]:
    """Split ``total`` (a multiple of ``quantum``) in proportion to ``weights``
    (non-negative, not all zero) so the parts are multiples of ``quantum`` and
    sum exactly to ``total``. Every part is its exact share rounded down (toward
    zero) or up by one quantum; the quanta left over go to the largest
    remainders, ties to the earliest bucket. A negative total splits like its
    absolute value, negated."""
    if not weights:
        raise ValueError("no buckets to split into")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights, Fraction(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    units = Fraction(total) / Fraction(quantum)
    if units.denominator != 1:
        raise ValueError(f"{total} is not a multiple of {quantum}")
    sign = -1 if units < 0 else 1
    units = abs(int(units))
    exact = [Fraction(units) * weight / weight_sum for weight in weights]
    floors = [int(share) for share in exact]  # shares are >= 0: int() floors
    left = units - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return [Decimal(sign * part) * quantum for part in floors]


def money(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Contribution:
    household_id: int
    quantity: Decimal
    income_rule: str  # "purchase_price" | "sales_share"
    purchase_price: Decimal | None = None
    sales_share: Decimal | None = None  # percent


@dataclass(frozen=True)
class BatchPart:
    """``quantity`` units of a line from batch ``batch_id`` of ``batch_quantity`` units."""

    batch_id: int
    quantity: int
    batch_quantity: int
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class Bucket:
    batch_id: int | None
    household_id: int | None
    weight: Fraction
    contribution: Contribution | None = None


@dataclass(frozen=True)
class Share:
    batch_id: int | None
    household_id: int | None
    quantity: Decimal
    sales_amount: Decimal
    income: Decimal


def line_buckets(*, line_quantity: int, parts: list[BatchPart]) -> list[Bucket]:
    """The buckets of a line of ``line_quantity`` units; weights sum to
    ``line_quantity``. Units not covered by any batch form the (None, None)
    bucket; a batch's units no household contributed form (batch, None)."""
    buckets = []
    covered = 0
    for part in parts:
        covered += part.quantity
        contributed = Fraction(0)
        for contribution in part.contributions:
            share = Fraction(contribution.quantity) / part.batch_quantity
            contributed += share
            buckets.append(Bucket(part.batch_id, contribution.household_id, part.quantity * share, contribution))
        if contributed < 1:
            buckets.append(Bucket(part.batch_id, None, part.quantity * (1 - contributed)))
        elif contributed > 1:
            raise ValueError(f"contributions of batch {part.batch_id} exceed its quantity")
    if covered > line_quantity:
        raise ValueError("batch parts exceed the line's quantity")
    if covered < line_quantity:
        buckets.append(Bucket(None, None, Fraction(line_quantity - covered)))
    return [bucket for bucket in buckets if bucket.weight > 0]


def bucket_income(bucket: Bucket, *, quantity: Decimal, sales_amount: Decimal) -> Decimal:
    contribution = bucket.contribution
    if contribution is None:
        return Decimal("0.00")
    if contribution.income_rule == "purchase_price":
        return money(quantity * contribution.purchase_price)
    return money(sales_amount * contribution.sales_share / 100)


def line_shares(*, buckets: list[Bucket], net_quantity: Decimal, net_amount: Decimal) -> list[Share]:
    """What each bucket holds when the line's net (after refunds) is
    ``net_quantity`` units for ``net_amount`` yuan."""
    weights = [bucket.weight for bucket in buckets]
    quantities = largest_remainder(Decimal(net_quantity), weights, MILLI_UNIT)
    amounts = largest_remainder(Decimal(net_amount), weights, FEN)
    return [
        Share(
            batch_id=bucket.batch_id,
            household_id=bucket.household_id,
            quantity=quantity,
            sales_amount=amount,
            income=bucket_income(bucket, quantity=quantity, sales_amount=amount),
        )
        for bucket, quantity, amount in zip(buckets, quantities, amounts)
    ]


def movements(*, target: list[Share], current: dict[tuple, tuple[Decimal, Decimal, Decimal]]) -> list[Share]:
    """The entries that take the ledger from ``current`` (bucket key ->
    (quantity, sales amount, income) summed so far) to ``target``; buckets
    whose sums already match get no entry."""
    result = []
    for share in target:
        quantity, amount, income = current.get((share.batch_id, share.household_id), (0, 0, 0))
        delta = Share(share.batch_id, share.household_id, share.quantity - quantity,
                      share.sales_amount - amount, share.income - income)
        if delta.quantity or delta.sales_amount or delta.income:
            result.append(delta)
    return result
