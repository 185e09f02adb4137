"""VAT by the buyer's place (B4), as pure functions: examples from the rule, and
properties over any lines and rates."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.billing.catalog import load_catalog
from domain.billing.invoices.vat import DESTINATION, DOMESTIC, OUTSIDE_EU, REVERSE_CHARGE, totals, treatment, vat_of

RATES = load_catalog(None).vat_rates


@pytest.mark.parametrize("buyer_country, vat_number, scheme, rate", [
    ("NL", None, DOMESTIC, "21"),                 # the seller's country: its rate
    ("NL", "NL123456794B01", DOMESTIC, "21"),     # a Dutch business too: no reverse charge at home
    ("DE", None, DESTINATION, "19"),              # an EU buyer without a VAT number: its own rate
    ("DE", "DE123456788", REVERSE_CHARGE, "0"),   # an EU business elsewhere: reverse charge
    ("AT", None, DESTINATION, "20"),
    ("CH", None, OUTSIDE_EU, "0"),                # outside the EU: none
    ("CH", "CHE123456788MWST", OUTSIDE_EU, "0"),
    ("US", None, OUTSIDE_EU, "0"),
])
def test_b4_the_rate_follows_the_buyer(buyer_country, vat_number, scheme, rate):
    found = treatment(seller_country="NL", buyer_country=buyer_country, buyer_vat_number=vat_number, rates=RATES)
    assert (found.scheme, found.rate) == (scheme, Decimal(rate))
    assert found.reverse_charge is (scheme == REVERSE_CHARGE)


def test_b4_the_s4_example_for_each_buyer():
    """€2.50 net: NL 21 % → 0.525 → 0.53 (half up); DE 19 % → 0.475 → 0.48."""
    assert totals([(Decimal("2.50"), Decimal("21"))]).gross == Decimal("3.03")
    assert totals([(Decimal("2.50"), Decimal("19"))]).gross == Decimal("2.98")
    assert totals([(Decimal("2.50"), Decimal("0"))]).gross == Decimal("2.50")


def test_b4_vat_is_computed_once_per_rate_on_the_net_total():
    """Two lines of €2.50 at 21 %: per line 0.525 → 0.53 would make 1.06; on the total 5.00 it is 1.05."""
    computed = totals([(Decimal("2.50"), Decimal("21"))] * 2)
    assert [(a.rate, a.net, a.vat) for a in computed.breakdown] == [(Decimal("21"), Decimal("5.00"), Decimal("1.05"))]
    assert computed.gross == Decimal("6.05")
    mixed = totals([(Decimal("10.00"), Decimal("9")), (Decimal("10.00"), Decimal("21")), (Decimal("5.00"), Decimal("9"))])
    assert [(a.rate, a.net, a.vat) for a in mixed.breakdown] == [
        (Decimal("9"), Decimal("15.00"), Decimal("1.35")), (Decimal("21"), Decimal("10.00"), Decimal("2.10"))]


def test_b4_a_seller_country_without_a_rate_is_refused():
    with pytest.raises(ValueError, match="seller"):
        treatment(seller_country="CH", buyer_country="CH", buyer_vat_number=None, rates=RATES)


cents = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda n: Decimal(n) / 100)
rates = st.sampled_from(sorted(set(RATES.values()) | {Decimal(0)}))


@given(st.lists(st.tuples(cents, rates), min_size=1, max_size=12))
def test_b4_net_plus_vat_is_gross_exactly_and_each_rate_is_rounded_once(lines):
    computed = totals(lines)
    assert computed.net + computed.vat == computed.gross
    assert computed.net == sum((net for net, _ in lines), Decimal(0))
    for amount in computed.breakdown:
        exact = sum((net for net, rate in lines if rate == amount.rate), Decimal(0)) * amount.rate / 100
        assert abs(amount.vat - exact) <= Decimal("0.005")  # one rounding, at most half a cent
        assert amount.vat == amount.vat.quantize(Decimal("0.01"))
    assert computed.vat == sum((amount.vat for amount in computed.breakdown), Decimal(0))


@given(st.lists(st.tuples(cents, rates), min_size=1, max_size=12))
def test_b5_a_full_credit_note_is_the_invoice_negated_to_the_cent(lines):
    invoice, credit = totals(lines), totals([(-net, rate) for net, rate in lines])
    assert (credit.net, credit.vat, credit.gross) == (-invoice.net, -invoice.vat, -invoice.gross)


@given(cents, rates)
def test_b4_half_up_means_half_a_cent_goes_up(net, rate):
    vat = vat_of(net, rate)
    exact = net * rate / 100
    assert abs(vat - exact) <= Decimal("0.005")
    if abs(exact - exact.quantize(Decimal("0.01"), rounding="ROUND_DOWN")) == Decimal("0.005"):
        assert abs(vat) > abs(exact)
