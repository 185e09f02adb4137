"""Prices (S2), prorations with running-total rounding (S4), and quotes (S5, Q1)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.billing.catalog import DEFAULT_CATALOG_PATH, TERM_MONTHS, TIER_CAPS, SpecialDiscount, load_catalog
from domain.billing.pricing import (
    NO_DISCOUNTS,
    DiscountSet,
    SubscriptionTerms,
    charge_for_proration,
    format_money,
    period_price,
    proration,
    quote_change,
    round_money,
)
from domain.core.errors import InvalidInput
from tests.support.periods import period_containing

CATALOG = load_catalog(None)
NEW_BUSINESS = CATALOG.special_discount("new_business")
CHARITY = CATALOG.special_discount("charity")
PLANS = [plan.code for plan in CATALOG.plans]


def terms(plan: str = "pro", term: str = "MONTHLY", seats: int = 1, tier: str = "UP_TO_10") -> SubscriptionTerms:
    return SubscriptionTerms(plan, term, seats, tier)


def test_s2_period_price_is_seats_plus_tier_times_months() -> None:
    priced = period_price(CATALOG, terms(seats=3, tier="UP_TO_25"))
    assert priced.amount == Decimal("75.00")  # 3 × 15 + 30
    assert priced.explanation == "€75.00 = (3 × €15.00 + €30.00) × 1 month"


def test_s2_term_discount_then_only_the_larger_special_discount() -> None:
    discounts = DiscountSet(specials=(NEW_BUSINESS, CHARITY))
    priced = period_price(CATALOG, terms(term="YEARLY", seats=2), discounts)
    # (2 × 15 + 15) × 12 = 540, less 12 % = 475.20, less 25 % (charity, the larger) = 356.40
    assert priced.amount == Decimal("356.4")
    assert "less 12% yearly term discount" in priced.explanation
    assert "less 25% charity discount" in priced.explanation
    assert "new business" not in priced.explanation


def test_s8_negotiated_seat_price_replaces_the_plans() -> None:
    discounts = DiscountSet(negotiated_seat_price=Decimal("9.50"))
    priced = period_price(CATALOG, terms(seats=40), discounts)
    assert priced.amount == Decimal("395.00")  # 40 × 9.50 + 15
    assert "negotiated" in priced.explanation


def test_s7_every_seat_costs_the_same() -> None:
    one, many = (period_price(CATALOG, terms(seats=n)).amount for n in (1, 101))
    assert many - one == 100 * CATALOG.plan("pro").seat_price


def test_money_rounds_half_up_and_formats() -> None:
    assert round_money(Decimal("2.345")) == Decimal("2.35")
    assert round_money(Fraction(5, 1000)) == Decimal("0.01")
    assert round_money(Fraction(-5, 1000)) == Decimal("-0.01")
    assert round_money(Fraction(1, 3)) == Decimal("0.33")
    assert format_money(Decimal("2.5"), "EUR") == "€2.50"
    assert format_money(Decimal("2.345"), "EUR") == "€2.345"
    assert format_money(Decimal("3"), "CHF") == "3.00 CHF"


def test_a_subscription_has_at_least_one_seat() -> None:
    with pytest.raises(InvalidInput):
        terms(seats=0)


def test_s4_source_example_tier_raise_on_10_may() -> None:
    """Monthly from 15 April, UP_TO_10 → UP_TO_25 on 10 May: tier difference × 5/30."""
    period = period_containing(date(2024, 4, 15), 15, 1, date(2024, 5, 10))
    quote = quote_change(CATALOG, terms(), terms(tier="UP_TO_25"), NO_DISCOUNTS, date(2024, 5, 10), *period)
    (line,) = quote.lines
    assert (line.remaining_days, line.period_days) == (5, 30)
    assert line.amount == quote.due_now == Decimal("2.50")  # (30 − 15) × 5/30
    assert line.explanation == "€2.50 = (€45.00 − €30.00) × 5/30, half up"
    assert line.effective_on == date(2024, 5, 10) and not line.scheduled
    assert quote.price_per_period_after == Decimal("45.00")
    assert quote.scheduled_terms is None


def test_s4_running_total_rounds_once() -> None:
    """Three prorations of a third of a cent each cost one cent in all, not zero."""
    third = Fraction(1, 300)
    charges, exact = [], []
    for _ in range(3):
        charges.append(charge_for_proration(exact, sum(charges, Decimal("0")), third))
        exact.append(third)
    assert charges == [Decimal("0.00"), Decimal("0.01"), Decimal("0.00")]


def test_s4_second_upgrade_line_explains_the_running_total() -> None:
    quote = quote_change(
        CATALOG, terms(), terms(seats=2), NO_DISCOUNTS, date(2024, 5, 10), date(2024, 4, 15), date(2024, 5, 15),
        prior_exact_prorations=[Fraction(1, 300)], already_charged=Decimal("0.00"),
    )
    assert quote.due_now == Decimal("2.50")  # 15 × 5/30 + 1/300 = 2.50333 → 2.50
    assert "already charged" in quote.lines[0].explanation


def test_s5_term_change_and_decreases_wait_for_renewal() -> None:
    current = terms(plan="team", seats=5, tier="UP_TO_75")
    requested = terms(plan="pro", term="YEARLY", seats=3, tier="UP_TO_25")
    quote = quote_change(CATALOG, current, requested, NO_DISCOUNTS, date(2024, 5, 10), date(2024, 4, 15),
                         date(2024, 5, 15))
    assert quote.due_now == Decimal("0.00")
    assert {line.change for line in quote.lines if line.scheduled} == {"plan", "term", "seats", "tier"}
    assert all(line.effective_on == date(2024, 5, 15) and line.amount == 0 for line in quote.lines)
    assert quote.immediate_terms == current and quote.scheduled_terms == requested


def test_s5_mixed_change_has_an_immediate_and_a_scheduled_line() -> None:
    quote = quote_change(CATALOG, terms(seats=5, tier="UP_TO_25"), terms(seats=8, tier="UP_TO_10"),
                         NO_DISCOUNTS, date(2024, 5, 10), date(2024, 4, 15), date(2024, 5, 15))
    (now, later) = quote.lines
    assert (now.scheduled, later.scheduled) == (False, True)
    assert (now.change, now.amount, now.effective_on) == ("seats", Decimal("7.50"), date(2024, 5, 10))
    assert (later.change, later.description, later.effective_on) == (
        "tier", "Active clients: up to 25 → up to 10", date(2024, 5, 15))
    assert quote.immediate_terms == terms(seats=8, tier="UP_TO_25")
    assert quote.price_per_period_after == Decimal("135.00")  # 8 × 15 + 15


def test_s5_higher_cap_is_an_increase_even_when_cheaper(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    cheap = DEFAULT_CATALOG_PATH.read_text(encoding="utf-8").replace('"120.00"', '"5.00"')
    path.write_text(cheap, encoding="utf-8")
    catalog = load_catalog(str(path))
    quote = quote_change(catalog, terms(), terms(tier="UNLIMITED"), NO_DISCOUNTS, date(2024, 5, 10),
                         date(2024, 4, 15), date(2024, 5, 15))
    (line,) = quote.lines
    assert not line.scheduled and line.amount == Decimal("0.00")


# --- properties -------------------------------------------------------------------------

prices = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)
terms_strategy = st.builds(
    SubscriptionTerms,
    plan_code=st.sampled_from(PLANS),
    term=st.sampled_from(sorted(TERM_MONTHS)),
    seats=st.integers(1, 200),
    tier=st.sampled_from(sorted(TIER_CAPS)),
)
discounts_strategy = st.builds(
    DiscountSet,
    specials=st.lists(st.sampled_from([NEW_BUSINESS, CHARITY, SpecialDiscount("x", "X", Decimal("12.5"))]),
                      max_size=2).map(tuple),
    negotiated_seat_price=st.none() | st.decimals(min_value=0, max_value=50, places=2),
)


@given(old=prices, new=prices, days=st.integers(28, 366))
def test_s4_property_whole_period_proration_is_the_full_difference(old: Decimal, new: Decimal, days: int) -> None:
    assert proration(old, new, days, days) == max(Fraction(new) - Fraction(old), Fraction(0))
    assert proration(old, new, 0, days) == 0


@given(old=prices, new=prices, days=st.integers(28, 366), data=st.data())
def test_s5_property_proration_is_never_negative(old: Decimal, new: Decimal, days: int, data) -> None:
    assert proration(old, new, data.draw(st.integers(0, days)), days) >= 0


@given(st.lists(st.tuples(prices, st.integers(0, 31)), min_size=1, max_size=12))
def test_s4_property_several_upgrades_cost_their_exact_sum_rounded_once(steps) -> None:
    period_days, exact, charged = 31, [], Decimal("0.00")
    for difference, remaining in steps:
        new_exact = proration(Decimal(0), difference, remaining, period_days)
        charge = charge_for_proration(exact, charged, new_exact)
        assert charge >= 0 and charge == charge.quantize(Decimal("0.01"))
        exact.append(new_exact)
        charged += charge
    true_sum = sum(Fraction(d) * r / period_days for d, r in steps)
    assert charged == round_money(true_sum)


@given(
    current=terms_strategy, requested=terms_strategy, discounts=discounts_strategy,
    start=st.dates(date(2020, 1, 1), date(2032, 12, 31)), term=st.sampled_from(sorted(TERM_MONTHS)),
    offset=st.integers(0, 400), prior=st.lists(st.fractions(0, 100, max_denominator=366), max_size=3),
)
def test_q1_property_lines_sum_to_due_now_and_never_charge_negative(
    current, requested, discounts, start, term, offset, prior
) -> None:
    current = SubscriptionTerms(current.plan_code, term, current.seats, current.tier)
    months = TERM_MONTHS[term]
    today = start + timedelta(days=offset)
    period_start, renews_on = period_containing(start, start.day, months, today)
    already = round_money(sum(prior, Fraction(0)))
    quote = quote_change(CATALOG, current, requested, discounts, today, period_start, renews_on, prior, already)
    assert quote.due_now == sum((line.amount for line in quote.lines), Decimal("0.00"))
    assert all(line.amount >= 0 for line in quote.lines)
    assert all(line.amount == 0 and line.effective_on == renews_on for line in quote.lines if line.scheduled)
    assert all(line.effective_on == today for line in quote.lines if not line.scheduled)
    # S4 running total: everything charged this period is the exact total rounded once
    total = sum(prior, Fraction(0)) + sum(line.exact for line in quote.lines)
    assert already + quote.due_now == round_money(total)
    # Applying the immediate part and then the scheduled part reaches the requested terms
    assert (quote.scheduled_terms or quote.immediate_terms) == requested
    assert quote.price_per_period_after == round_money(period_price(CATALOG, requested, discounts).amount)
    if requested.term != current.term:
        assert any(line.change == "term" and line.scheduled for line in quote.lines)
