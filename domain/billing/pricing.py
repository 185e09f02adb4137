"""Prices, prorations and quotes as pure functions (S2, S4, S5, Q1).

Money is `Decimal`. A period price is exact (percent discounts divide by 100 only).
A proration divides by the period's days, so its exact value is a `Fraction`: summing
Decimals of 1/3 would drift, and S4 wants several upgrades to cost their exact sum
rounded once. Persist an exact value as `str(fraction)` and read it back with
`Fraction(text)`; Decimals are accepted wherever exact values come in.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Iterable

from domain.billing.catalog import Catalog, SpecialDiscount, tier_rank
from domain.billing.periods import days_in_period, remaining_days
from domain.core.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


@dataclass(frozen=True)
class SubscriptionTerms:
    """What a subscription buys; the price follows from these and the discounts."""

    plan_code: str
    term: str
    seats: int
    tier: str

    def __post_init__(self) -> None:
        if self.seats < 1:
            raise InvalidInput("A subscription needs at least one seat.", field=("seats",))


@dataclass(frozen=True)
class DiscountSet:
    """The account's special discounts in force today (the caller drops expired ones) and
    its negotiated seat price (S8), if any."""

    specials: tuple[SpecialDiscount, ...] = ()
    negotiated_seat_price: Decimal | None = None

    def best_special(self) -> SpecialDiscount | None:
        """S2: at most one special discount applies, the larger."""
        return max(self.specials, key=lambda discount: discount.percent, default=None)


NO_DISCOUNTS = DiscountSet()


@dataclass(frozen=True)
class Priced:
    amount: Decimal  # exact, not rounded
    explanation: str


@dataclass(frozen=True)
class QuoteLineDraft:
    """One part of a change. `scheduled` lines take effect at renewal and cost nothing now."""

    change: str  # "plan" | "tier" | "seats" | "term"
    from_value: str | int
    to_value: str | int
    description: str
    amount: Decimal  # due now, rounded to the cent; 0.00 when scheduled
    effective_on: date
    scheduled: bool
    remaining_days: int | None
    period_days: int | None
    exact: Fraction  # the exact proration; 0 when scheduled
    explanation: str


@dataclass(frozen=True)
class QuoteDraft:
    currency: str
    lines: tuple[QuoteLineDraft, ...]
    due_now: Decimal  # the sum of the lines' amounts
    price_per_period_after: Decimal  # rounded; the requested terms' price, from renewal on
    immediate_terms: SubscriptionTerms  # in force from today: current plus the increases
    scheduled_terms: SubscriptionTerms | None  # in force from renews_on; None if nothing waits


def round_money(value: Decimal | Fraction) -> Decimal:
    """To the cent, half away from zero (S2)."""
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    cents = abs(value) * 100
    whole = (2 * cents.numerator + cents.denominator) // (2 * cents.denominator)  # floor(x + 1/2)
    rounded = Decimal(whole).scaleb(-2)
    return -rounded if value < 0 and whole else rounded


def format_money(amount: Decimal | Fraction, currency: str) -> str:
    """"€2.50" for display in explanations; exact amounts keep their extra digits."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    sign = "-" if amount < 0 else ""
    text = _digits(abs(amount))
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def _digits(value: Decimal | Fraction) -> str:
    if isinstance(value, Fraction):
        if value.denominator == 1 or _terminates(value.denominator):
            value = Decimal(value.numerator) / Decimal(value.denominator)
        else:
            return f"{Decimal(value.numerator) / Decimal(value.denominator):.4f}…"
    if value == value.quantize(CENT):
        return f"{value.quantize(CENT)}"
    return f"{value.normalize():f}"


def _terminates(denominator: int) -> bool:
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def period_price(catalog: Catalog, terms: SubscriptionTerms, discounts: DiscountSet = NO_DISCOUNTS) -> Priced:
    """S2: (seats × seat price + tier price) × months, less the term discount, less the
    larger special discount. The seat price is the negotiated one when set (S8)."""
    plan, tier, term = catalog.plan(terms.plan_code), catalog.tier(terms.tier), catalog.term(terms.term)
    money = lambda value: format_money(value, catalog.currency)  # noqa: E731
    seat_price = discounts.negotiated_seat_price if discounts.negotiated_seat_price is not None else plan.seat_price
    amount = (terms.seats * seat_price + tier.price_per_month) * term.months
    months = "month" if term.months == 1 else "months"
    steps = [f"({terms.seats} × {money(seat_price)} + {money(tier.price_per_month)}) × {term.months} {months}"]
    if discounts.negotiated_seat_price is not None:
        steps[0] += " at the negotiated seat price"
    if term.discount_percent:
        amount = amount * (100 - term.discount_percent) / 100
        steps.append(f"less {_percent(term.discount_percent)} {term.name.lower()} term discount")
    special = discounts.best_special()
    if special is not None and special.percent:
        amount = amount * (100 - special.percent) / 100
        steps.append(f"less {_percent(special.percent)} {special.name.lower()} discount")
    return Priced(amount, f"{money(amount)} = " + ", ".join(steps))


def proration(old_price: Decimal, new_price: Decimal, remaining: int, period_days: int) -> Fraction:
    """S4: (new − old) × remaining / period days, exact. Never negative: a decrease is
    not credited (S5), so callers schedule it instead."""
    if period_days < 1 or not 0 <= remaining <= period_days:
        raise ValueError(f"remaining days {remaining} must lie within a period of {period_days} days")
    difference = Fraction(new_price) - Fraction(old_price)
    if difference <= 0:
        return Fraction(0)
    return difference * remaining / period_days


def charge_for_proration(
    exact_prorations_so_far_in_period: Iterable[Decimal | Fraction],
    already_charged: Decimal,
    new_exact: Decimal | Fraction,
) -> Decimal:
    """S4 running total: the period's exact prorations, this one included, rounded once,
    less what was charged for the earlier ones. Never negative."""
    total = sum((Fraction(value) for value in exact_prorations_so_far_in_period), Fraction(new_exact))
    return max(round_money(total) - already_charged, ZERO)


def _describe(change: str, value: str | int, catalog: Catalog) -> str:
    if change == "plan":
        return catalog.plan(str(value)).name
    if change == "tier":
        cap = catalog.tier(str(value)).cap
        return "unlimited" if cap is None else f"up to {cap}"
    if change == "term":
        return str(value).replace("_", "-").capitalize()
    return str(value)


_LABELS = {"plan": "Plan", "tier": "Active clients", "seats": "Seats", "term": "Term"}


def quote_change(
    catalog: Catalog,
    current: SubscriptionTerms,
    requested: SubscriptionTerms,
    discounts: DiscountSet,
    today: date,
    period_start: date,
    renews_on: date,
    prior_exact_prorations: Iterable[Decimal | Fraction] = (),
    already_charged: Decimal = ZERO,
) -> QuoteDraft:
    """Q1: split a change into immediate, prorated increases and parts scheduled for renewal.

    Increases of plan (dearer seat price), tier (higher cap) and seats apply today, one
    line each, charged by the S4 running total of this period's prorations
    (`prior_exact_prorations`, `already_charged`: the earlier ones of this period).
    Term changes and decreases wait for `renews_on` (S5) and cost nothing now.
    """
    if not period_start <= today < renews_on:
        raise ValueError(f"{today} is not within the period [{period_start}, {renews_on})")
    for terms in (current, requested):  # unknown names fail before any arithmetic
        catalog.plan(terms.plan_code), catalog.tier(terms.tier), catalog.term(terms.term)
    money = lambda value: format_money(value, catalog.currency)  # noqa: E731
    increases = {
        "plan": catalog.plan_rank(requested.plan_code) > catalog.plan_rank(current.plan_code),
        "tier": tier_rank(requested.tier) > tier_rank(current.tier),
        "seats": requested.seats > current.seats,
    }
    values = {
        "plan": (current.plan_code, requested.plan_code),
        "tier": (current.tier, requested.tier),
        "seats": (current.seats, requested.seats),
        "term": (current.term, requested.term),
    }
    field_names = {"plan": "plan_code", "tier": "tier", "seats": "seats", "term": "term"}
    remaining, period_days = remaining_days(today, renews_on), days_in_period(period_start, renews_on)
    prior = [Fraction(value) for value in prior_exact_prorations]
    charged = already_charged
    lines: list[QuoteLineDraft] = []
    scheduled: list[QuoteLineDraft] = []
    terms_now = current
    for change in ("plan", "tier", "seats", "term"):
        old, new = values[change]
        if old == new:
            continue
        description = f"{_LABELS[change]}: {_describe(change, old, catalog)} → {_describe(change, new, catalog)}"
        if not increases.get(change, False):
            scheduled.append(QuoteLineDraft(
                change, old, new, description, ZERO, renews_on, True, None, None, Fraction(0),
                f"Takes effect at renewal on {renews_on.isoformat()}; nothing is due now.",
            ))
            continue
        after = replace(terms_now, **{field_names[change]: new})
        old_price = period_price(catalog, terms_now, discounts).amount
        new_price = period_price(catalog, after, discounts).amount
        exact = proration(old_price, new_price, remaining, period_days)
        amount = charge_for_proration(prior, charged, exact)
        formula = f"({money(new_price)} − {money(old_price)}) × {remaining}/{period_days}"
        if new_price <= old_price:
            explanation = (f"{money(amount)}: the new price {money(new_price)} is not above the current "
                           f"{money(old_price)}, and nothing is credited")
        elif not prior and not charged:
            explanation = f"{money(amount)} = {formula}, half up"
        else:
            total = sum(prior, exact)
            explanation = (f"{money(amount)} = {formula} = {money(exact)}; with this period's earlier "
                           f"prorations the exact total {money(total)} rounds half up to "
                           f"{money(round_money(total))}, less {money(charged)} already charged")
        lines.append(QuoteLineDraft(
            change, old, new, description, amount, today, False, remaining, period_days, exact, explanation,
        ))
        prior.append(exact)
        charged += amount
        terms_now = after
    price_after = period_price(catalog, requested, discounts).amount
    return QuoteDraft(
        currency=catalog.currency,
        lines=tuple(lines + scheduled),
        due_now=sum((line.amount for line in lines), ZERO),
        price_per_period_after=round_money(price_after),
        immediate_terms=terms_now,
        scheduled_terms=requested if scheduled else None,
    )
