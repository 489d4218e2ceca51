"""The attribution arithmetic, property-tested without a database."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.attribution import split

fen_amounts = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda n: Decimal(n) / 100)
weights = st.lists(st.fractions(min_value=0, max_value=1000, max_denominator=1000), min_size=1, max_size=12).filter(
    lambda ws: sum(ws) > 0
)


@given(total=fen_amounts, weights=weights)
@settings(max_examples=400)
def test_largest_remainder_sums_exactly_and_stays_within_one_fen(total, weights):
    parts = split.largest_remainder(total, weights)
    assert sum(parts, Decimal("0")) == total
    weight_sum = sum(weights, Fraction(0))
    for part, weight in zip(parts, weights):
        assert part == part.quantize(split.FEN)
        exact = Fraction(total) * weight / weight_sum
        assert abs(Fraction(part) - exact) < Fraction(1, 100)
        if weight == 0:
            assert part == 0


def test_largest_remainder_known_values():
    # 100.00 over three equal buckets: 33.34 / 33.33 / 33.33 (the tie goes to the first).
    assert split.largest_remainder(Decimal("100.00"), [Fraction(1)] * 3) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    # 0.05 over 1:1:1:1:1:1 gives five buckets a fen and the last none.
    assert split.largest_remainder(Decimal("0.05"), [Fraction(1)] * 6) == [Decimal("0.01")] * 5 + [Decimal("0.00")]
    # Remainders decide, not position: 10.00 as 1/3 : 2/3 -> 3.33 / 6.67.
    assert split.largest_remainder(Decimal("10.00"), [Fraction(1, 3), Fraction(2, 3)]) == [Decimal("3.33"), Decimal("6.67")]
    assert split.largest_remainder(Decimal("-10.00"), [Fraction(1, 3), Fraction(2, 3)]) == [Decimal("-3.33"), Decimal("-6.67")]
    assert split.largest_remainder(Decimal("7"), [Fraction(1)] * 3, split.MILLI_UNIT) == [
        Decimal("2.334"), Decimal("2.333"), Decimal("2.333")]


@pytest.mark.parametrize("total, weights", [
    (Decimal("1.00"), []),
    (Decimal("1.00"), [Fraction(0), Fraction(0)]),
    (Decimal("1.00"), [Fraction(-1), Fraction(2)]),
    (Decimal("1.005"), [Fraction(1)]),
])
def test_largest_remainder_refuses_what_cannot_be_split(total, weights):
    with pytest.raises(ValueError):
        split.largest_remainder(total, weights)


def _contribution(household_id, quantity, rule="purchase_price"):
    if rule == "purchase_price":
        return split.Contribution(household_id, Decimal(quantity), rule, purchase_price=Decimal("6.50"))
    return split.Contribution(household_id, Decimal(quantity), rule, sales_share=Decimal("30"))


def test_buckets_cover_batches_households_and_the_unbatched_rest():
    parts = [
        split.BatchPart(batch_id=1, quantity=4, batch_quantity=10,
                        contributions=(_contribution(11, "6"), _contribution(12, "2.5", "sales_share"))),
        split.BatchPart(batch_id=2, quantity=3, batch_quantity=3, contributions=(_contribution(13, "3"),)),
    ]
    buckets = split.line_buckets(line_quantity=9, parts=parts)
    assert [(b.batch_id, b.household_id, b.weight) for b in buckets] == [
        (1, 11, Fraction(12, 5)),   # 4 units × 6/10
        (1, 12, Fraction(1)),       # 4 units × 2.5/10
        (1, None, Fraction(3, 5)),  # the subject's own 1.5 of 10
        (2, 13, Fraction(3)),
        (None, None, Fraction(2)),  # 2 units from stock no batch covers
    ]
    shares = split.line_shares(buckets=buckets, net_quantity=Decimal("9"), net_amount=Decimal("100.00"))
    assert [(s.household_id, s.quantity, s.sales_amount, s.income) for s in shares] == [
        (11, Decimal("2.400"), Decimal("26.67"), Decimal("15.60")),  # 2.4 × 6.50
        (12, Decimal("1.000"), Decimal("11.11"), Decimal("3.33")),   # 30 % of 11.11
        (None, Decimal("0.600"), Decimal("6.67"), Decimal("0.00")),
        (13, Decimal("3.000"), Decimal("33.33"), Decimal("19.50")),
        (None, Decimal("2.000"), Decimal("22.22"), Decimal("0.00")),
    ]


def test_contributions_over_the_batch_are_refused():
    part = split.BatchPart(batch_id=1, quantity=1, batch_quantity=2, contributions=(_contribution(1, "3"),))
    with pytest.raises(ValueError):
        split.line_buckets(line_quantity=1, parts=[part])


@st.composite
def lines_with_refunds(draw):
    line_quantity = draw(st.integers(min_value=1, max_value=40))
    parts, covered, batch_id = [], 0, 0
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if covered >= line_quantity:
            break
        batch_id += 1
        take = draw(st.integers(min_value=1, max_value=line_quantity - covered))
        batch_quantity = draw(st.integers(min_value=take, max_value=take + 50))
        contributions, left = [], Decimal(batch_quantity)
        for household in range(draw(st.integers(min_value=0, max_value=4))):
            quantity = Decimal(draw(st.integers(min_value=1, max_value=max(1, int(left * 1000))))) / 1000
            if quantity > left or quantity <= 0:
                break
            left -= quantity
            contributions.append(_contribution(batch_id * 10 + household, quantity,
                                               draw(st.sampled_from(["purchase_price", "sales_share"]))))
        parts.append(split.BatchPart(batch_id, take, batch_quantity, tuple(contributions)))
        covered += take
    amount = Decimal(draw(st.integers(min_value=1, max_value=5_000_000))) / 100
    refunds = draw(st.lists(st.tuples(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=5_000_000)), max_size=4))
    return line_quantity, parts, amount, refunds


@given(lines_with_refunds())
@settings(max_examples=300)
def test_refund_movements_keep_the_line_exact_and_a_full_refund_nets_to_zero(case):
    line_quantity, parts, amount, refunds = case
    buckets = split.line_buckets(line_quantity=line_quantity, parts=parts)
    assert sum(b.weight for b in buckets) == line_quantity
    ledger = {}

    def apply(target):
        for delta in split.movements(target=target, current=ledger):
            key = (delta.batch_id, delta.household_id)
            q, a, i = ledger.get(key, (0, 0, 0))
            ledger[key] = (q + delta.quantity, a + delta.sales_amount, i + delta.income)

    net_q, net_a = Decimal(line_quantity), amount
    apply(split.line_shares(buckets=buckets, net_quantity=net_q, net_amount=net_a))
    for refund_q, refund_fen in refunds:
        refund_q = min(Decimal(refund_q), net_q)
        refund_a = min(Decimal(refund_fen) / 100, net_a)
        net_q, net_a = net_q - refund_q, net_a - refund_a
        apply(split.line_shares(buckets=buckets, net_quantity=net_q, net_amount=net_a))
        assert sum(v[0] for v in ledger.values()) == net_q
        assert sum(v[1] for v in ledger.values()) == net_a
    apply(split.line_shares(buckets=buckets, net_quantity=Decimal(0), net_amount=Decimal("0.00")))
    assert all(v == (0, 0, 0) for v in ledger.values())
