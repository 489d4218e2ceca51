"""The ledger's invariant, property-tested with hypothesis on the real database
(PostgreSQL in CI): over random batches, contributions, income rules, line
quantities, prices and partial refunds,

- every line's attributed sales amounts sum exactly, to the fen, to the line's
  net amount (its price less what was refunded), and its quantities to its net units;
- each household's income follows its contract rule from its part;
- entries are only ever appended (earlier rows are unchanged);
- after a full refund every (line, batch, household) nets to zero.
"""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from oscar.core.loading import get_model

from shop.attribution.models import LedgerEntry
from shop.attribution.services import line_net, line_refund
from tests.factories import MarketSubjectFactory, make_batch, make_household, make_product, place_order

StockRecord = get_model("partner", "StockRecord")

contribution_rules = st.sampled_from(["purchase_price", "sales_share"])


@st.composite
def scenarios(draw):
    batches = []
    for index in range(draw(st.integers(min_value=0, max_value=3))):
        quantity = draw(st.integers(min_value=1, max_value=12))
        households, left = [], Decimal(quantity)
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            share = Decimal(draw(st.integers(min_value=1, max_value=int(left * 1000)))) / 1000 if left > 0 else None
            if share is None:
                break
            left -= share
            households.append(share)
        batches.append({
            "quantity": quantity,
            "households": households,
            "rule": draw(contribution_rules),
            "price": Decimal(draw(st.integers(min_value=0, max_value=9999))) / 100,
            "share": Decimal(draw(st.integers(min_value=1, max_value=10000))) / 100,
            "day": index,
        })
    extra_stock = draw(st.integers(min_value=0, max_value=5))
    total_units = sum(batch["quantity"] for batch in batches) + extra_stock
    if total_units == 0:
        extra_stock = total_units = 1
    quantity = draw(st.integers(min_value=1, max_value=total_units))
    price = Decimal(draw(st.integers(min_value=1, max_value=99999))) / 100
    refunds = draw(st.lists(st.tuples(st.integers(min_value=0, max_value=quantity),
                                      st.integers(min_value=0, max_value=5)), max_size=3))
    return {"batches": batches, "extra_stock": extra_stock, "quantity": quantity, "price": price, "refunds": refunds}


def _fen(value):
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class LedgerInvariantTest(TestCase):
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios())
    def test_lines_sum_to_the_fen_and_full_refunds_net_to_zero(self, case):
        subject = MarketSubjectFactory()
        product = make_product(price=case["price"], stock=case["extra_stock"], market_subject=subject)
        rules = {}
        for batch in case["batches"]:
            households = [(make_household(market_subjects=[subject]), share) for share in batch["households"]]
            made = make_batch(product=product, quantity=batch["quantity"], households=households, rule=batch["rule"],
                              purchase_price=batch["price"], sales_share=batch["share"],
                              harvested_on=datetime.date(2026, 10, 1) + datetime.timedelta(days=batch["day"]))
            for contribution in made.contributions.all():
                rules[(made.pk, contribution.household_id)] = contribution

        line = place_order(lines=[(product, case["quantity"])]).lines.get()
        net_amount, net_quantity = line.line_price_incl_tax, Decimal(case["quantity"])
        self._check(line, net_quantity, net_amount, rules)

        seen = list(LedgerEntry.objects.filter(line=line).values_list("pk", "quantity", "sales_amount", "income"))
        for refund_units, refund_fen_share in case["refunds"]:
            if net_quantity == 0:
                break
            units = min(Decimal(refund_units), net_quantity)
            # Either the units' share of what is left, or (no units) a fraction of the amount.
            if units:
                amount = net_amount if units == net_quantity else _fen(net_amount * units / net_quantity)
            else:
                amount = _fen(net_amount * refund_fen_share / 10)
                if amount == 0:
                    continue
            line_refund(line=line, quantity=units, amount=amount)
            net_quantity, net_amount = net_quantity - units, net_amount - amount
            self._check(line, net_quantity, net_amount, rules)
            rows = list(LedgerEntry.objects.filter(line=line).values_list("pk", "quantity", "sales_amount", "income"))
            self.assertEqual(rows[: len(seen)], seen)  # appended, never rewritten
            seen = rows

        if net_quantity or net_amount:
            line_refund(line=line, quantity=net_quantity, amount=net_amount)
        buckets = LedgerEntry.objects.filter(line=line).values("batch", "household").annotate(
            q=Sum("quantity"), a=Sum("sales_amount"), i=Sum("income"))
        for bucket in buckets:
            self.assertEqual((bucket["q"], bucket["a"], bucket["i"]), (Decimal("0"), Decimal("0"), Decimal("0")), bucket)

    def _check(self, line, net_quantity, net_amount, rules):
        net = line_net(line=line)
        self.assertEqual(net.sales_amount, net_amount)
        self.assertEqual(net.quantity, net_quantity)
        buckets = LedgerEntry.objects.filter(line=line, household__isnull=False).values("batch", "household").annotate(
            q=Sum("quantity"), a=Sum("sales_amount"), i=Sum("income"))
        for bucket in buckets:
            rule = rules[(bucket["batch"], bucket["household"])]
            if rule.income_rule == "purchase_price":
                expected = _fen(bucket["q"] * rule.purchase_price)
            else:
                expected = _fen(bucket["a"] * rule.sales_share / 100)
            self.assertEqual(bucket["i"], expected, bucket)
        unattributed_income = LedgerEntry.objects.filter(line=line, household__isnull=True).aggregate(i=Sum("income"))["i"]
        self.assertIn(unattributed_income, (None, Decimal("0.00")))
