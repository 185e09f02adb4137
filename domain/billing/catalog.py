"""The price catalog (S1): plans, tiers, terms and special discounts, loaded from TOML.

Prices are data so that operators can change them without a release; this module only
parses and validates them, and answers lookups. Money is `Decimal`, never float.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from domain.core.errors import InvalidInput

DEFAULT_CATALOG_PATH = Path(__file__).with_name("catalog.default.toml")

# Fixed by the API's enums (API.md `ActiveClientTier`, `Term`); the catalog prices them.
TIER_CAPS: dict[str, int | None] = {"UP_TO_10": 10, "UP_TO_25": 25, "UP_TO_75": 75, "UNLIMITED": None}
TERM_MONTHS: dict[str, int] = {"MONTHLY": 1, "QUARTERLY": 3, "HALF_YEARLY": 6, "YEARLY": 12}
# S8: a negotiated seat price needs this many seats beyond the plan's standard.
SPECIAL_AGREEMENT_EXTRA_SEATS = 30


class CatalogError(ValueError):
    """The catalog file is unusable; the message names the offending key."""


class UnknownOffer(InvalidInput):
    """A plan, tier or term name the catalog does not offer (usually user input)."""


def tier_rank(name: str) -> int:
    """Position of a tier ordered by cap, unlimited highest (S5: by cap, not by price)."""
    if name not in TIER_CAPS:
        raise UnknownOffer(f"Unknown active-client tier {name!r}.")
    cap = TIER_CAPS[name]
    return sum(1 for other in TIER_CAPS.values() if other is not None and (cap is None or other < cap))


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    seat_price: Decimal
    standard_seats: int

    def allows_special_agreement(self, seats: int) -> bool:
        """S8: 30 or more seats beyond the plan's standard."""
        return seats >= self.standard_seats + SPECIAL_AGREEMENT_EXTRA_SEATS


@dataclass(frozen=True)
class TierOffer:
    name: str
    cap: int | None  # None: unlimited
    price_per_month: Decimal

    @property
    def rank(self) -> int:
        return tier_rank(self.name)

    def allows(self, count: int) -> bool:
        """Whether `count` active clients fit under the cap."""
        return self.cap is None or count <= self.cap


@dataclass(frozen=True)
class TermOffer:
    name: str
    months: int
    discount_percent: Decimal


@dataclass(frozen=True)
class SpecialDiscount:
    code: str
    name: str
    percent: Decimal


@dataclass(frozen=True)
class Catalog:
    currency: str
    plans: tuple[Plan, ...]  # in file order
    tiers: tuple[TierOffer, ...]  # by rank, smallest cap first
    terms: tuple[TermOffer, ...]  # by months, shortest first
    special_discounts: tuple[SpecialDiscount, ...]
    default_plan_code: str
    # B4: the standard VAT rate (percent) of every EU member state, by ISO 3166 code;
    # a country in this table is in the EU for VAT.
    vat_rates: dict[str, Decimal] = field(default_factory=dict, hash=False)

    @property
    def default_plan(self) -> Plan:
        return self.plan(self.default_plan_code)

    def plan(self, code: str) -> Plan:
        for plan in self.plans:
            if plan.code == code:
                return plan
        raise UnknownOffer(f"Unknown plan {code!r}; the catalog offers {_names(p.code for p in self.plans)}.")

    def tier(self, name: str) -> TierOffer:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise UnknownOffer(f"Unknown active-client tier {name!r}; the catalog offers {_names(TIER_CAPS)}.")

    def term(self, name: str) -> TermOffer:
        for term in self.terms:
            if term.name == name:
                return term
        raise UnknownOffer(f"Unknown term {name!r}; the catalog offers {_names(TERM_MONTHS)}.")

    def special_discount(self, code: str) -> SpecialDiscount:
        for discount in self.special_discounts:
            if discount.code == code:
                return discount
        raise UnknownOffer(f"Unknown special discount {code!r}.")

    def plan_rank(self, code: str) -> int:
        """Plans rank by seat price (file order breaks ties): a dearer plan is an increase."""
        ordered = sorted(range(len(self.plans)), key=lambda i: (self.plans[i].seat_price, i))
        return [self.plans[i].code for i in ordered].index(self.plan(code).code)

    def smallest_tier_allowing(self, count: int) -> TierOffer:
        """The smallest tier with room for one more than `count` active clients (A3, Q5)."""
        for tier in self.tiers:
            if tier.allows(count + 1):
                return tier
        raise AssertionError("the unlimited tier allows any count")


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog file; None or "" means the packaged default."""
    source = Path(path) if path else DEFAULT_CATALOG_PATH
    try:
        with source.open("rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {str(source)!r}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"catalog {str(source)!r} is not valid TOML: {exc}") from exc
    try:
        return parse_catalog(raw)
    except CatalogError as exc:
        raise CatalogError(f"catalog {str(source)!r}: {exc}") from None


def parse_catalog(raw: dict[str, Any]) -> Catalog:
    """Validate an already-parsed TOML document (useful for tests and other sources)."""
    _only_keys(raw, "", {"currency", "default_plan", "plans", "tiers", "terms", "special_discounts", "vat"})
    currency = raw.get("currency")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise CatalogError("currency must be a three-letter ISO 4217 code such as \"EUR\"")

    plans_raw = raw.get("plans")
    if not isinstance(plans_raw, list) or not plans_raw:
        raise CatalogError("plans must be a non-empty array of tables ([[plans]])")
    plans: list[Plan] = []
    for index, entry in enumerate(plans_raw):
        where = f"plans[{index}]"
        _only_keys(entry, where, {"code", "name", "seat_price", "standard_seats"})
        code = _text(entry, "code", where)
        if any(plan.code == code for plan in plans):
            raise CatalogError(f"{where}.code: duplicate plan code {code!r}")
        standard = entry.get("standard_seats")
        if not isinstance(standard, int) or isinstance(standard, bool) or standard < 1:
            raise CatalogError(f"{where}.standard_seats must be a whole number of at least 1")
        plans.append(Plan(code, _text(entry, "name", where), _money(entry, "seat_price", where), standard))

    default_plan = raw.get("default_plan")
    if not isinstance(default_plan, str) or all(plan.code != default_plan for plan in plans):
        raise CatalogError(f"default_plan must be the code of one of the plans, got {default_plan!r}")

    tiers_raw = _table(raw, "tiers", TIER_CAPS)
    tiers = [
        TierOffer(name, TIER_CAPS[name], _money(_entry(tiers_raw, name, "tiers", {"price_per_month"}),
                                                "price_per_month", f"tiers.{name}"))
        for name in TIER_CAPS
    ]
    terms_raw = _table(raw, "terms", TERM_MONTHS)
    terms = [
        TermOffer(name, TERM_MONTHS[name], _percent(_entry(terms_raw, name, "terms", {"discount_percent"}),
                                                    "discount_percent", f"terms.{name}"))
        for name in TERM_MONTHS
    ]
    specials_raw = raw.get("special_discounts", {})
    if not isinstance(specials_raw, dict):
        raise CatalogError("special_discounts must be a table of tables")
    specials = []
    for code in specials_raw:
        entry = _entry(specials_raw, code, "special_discounts", {"name", "percent"})
        where = f"special_discounts.{code}"
        name = _text(entry, "name", where) if "name" in entry else code
        specials.append(SpecialDiscount(code, name, _percent(entry, "percent", where)))

    return Catalog(
        currency=currency,
        plans=tuple(plans),
        tiers=tuple(sorted(tiers, key=lambda tier: tier.rank)),
        terms=tuple(sorted(terms, key=lambda term: term.months)),
        special_discounts=tuple(specials),
        default_plan_code=default_plan,
        vat_rates=_vat_rates(raw.get("vat")),
    )


def _vat_rates(raw: Any) -> dict[str, Decimal]:
    """`[vat.rates]`: "NL" = "21"… — required, so a catalog never invoices without VAT."""
    _only_keys(raw, "vat", {"rates"})
    rates = raw.get("rates")
    if not isinstance(rates, dict) or not rates:
        raise CatalogError("vat.rates must be a table of country = \"percent\" (\"NL\" = \"21\")")
    parsed = {}
    for country in rates:
        if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
            raise CatalogError(f"vat.rates.{country}: not an ISO 3166 alpha-2 country code such as \"NL\"")
        parsed[country] = _percent(rates, country, "vat.rates")
    return parsed


def _names(names: Any) -> str:
    return ", ".join(names)


def _only_keys(entry: Any, where: str, allowed: set[str]) -> None:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where} must be a table")
    for key in entry:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise CatalogError(f"{name}: unknown key (expected one of {_names(sorted(allowed))})")


def _table(raw: dict[str, Any], key: str, required: dict[str, Any]) -> dict[str, Any]:
    table = raw.get(key)
    if not isinstance(table, dict):
        raise CatalogError(f"{key} must be a table with entries {_names(required)}")
    for name in table:
        if name not in required:
            raise CatalogError(f"{key}.{name}: unknown name (expected {_names(required)})")
    for name in required:
        if name not in table:
            raise CatalogError(f"{key}.{name} is missing (all of {_names(required)} are required)")
    return table


def _entry(table: dict[str, Any], name: str, where: str, allowed: set[str]) -> dict[str, Any]:
    entry = table[name]
    _only_keys(entry, f"{where}.{name}", allowed)
    return entry


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}.{key} must be a non-empty string")
    return value


def _decimal(entry: dict[str, Any], key: str, where: str) -> Decimal:
    """A decimal from a string or integer; floats are refused because they are not exact."""
    value = entry.get(key)
    if value is None:
        raise CatalogError(f"{where}.{key} is missing")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CatalogError(f"{where}.{key} must be a decimal string such as \"15.00\", got {value!r}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise CatalogError(f"{where}.{key} is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise CatalogError(f"{where}.{key} must be a finite number, got {value!r}")
    return number


def _money(entry: dict[str, Any], key: str, where: str) -> Decimal:
    amount = _decimal(entry, key, where)
    if amount < 0:
        raise CatalogError(f"{where}.{key} must not be negative, got {amount}")
    if amount != amount.quantize(Decimal("0.01")):
        raise CatalogError(f"{where}.{key} must be whole cents, got {amount}")
    return amount.quantize(Decimal("0.01"))


def _percent(entry: dict[str, Any], key: str, where: str) -> Decimal:
    percent = _decimal(entry, key, where)
    if not Decimal(0) <= percent < Decimal(100):
        raise CatalogError(f"{where}.{key} must be at least 0 and below 100, got {percent}")
    return percent
