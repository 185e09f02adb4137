"""VAT by the buyer's place (B4), as pure functions: which rate and scheme an invoice
gets, and its amounts per rate. No I/O; the rates come from the catalog.

* buyer in the seller's country: the seller's rate (NL 21 %), VAT number or not;
* EU business in another member state with a VAT number: reverse charge, no VAT;
* EU buyer in another member state without one: the buyer's country rate (DE 19 %);
* buyer outside the EU: no VAT (the service is supplied where the buyer is).
VAT is computed once per rate on the net total of that rate, half up, so net + VAT =
gross exactly and lines never add rounding of their own."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping

DOMESTIC = "domestic"
DESTINATION = "destination"
REVERSE_CHARGE = "reverse_charge"
OUTSIDE_EU = "outside_eu"

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Treatment:
    scheme: str
    rate: Decimal  # percent

    @property
    def reverse_charge(self) -> bool:
        return self.scheme == REVERSE_CHARGE


@dataclass(frozen=True)
class VatAmount:
    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    breakdown: tuple[VatAmount, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal


def treatment(*, seller_country: str, buyer_country: str, buyer_vat_number: str | None,
              rates: Mapping[str, Decimal]) -> Treatment:
    """The VAT scheme and rate of a sale from `seller_country` to this buyer."""
    if seller_country not in rates:
        raise ValueError(f"the catalog has no VAT rate for the seller's country {seller_country!r}")
    if buyer_country == seller_country:
        return Treatment(DOMESTIC, rates[seller_country])
    if buyer_country not in rates:
        return Treatment(OUTSIDE_EU, Decimal(0))
    if buyer_vat_number:
        return Treatment(REVERSE_CHARGE, Decimal(0))
    return Treatment(DESTINATION, rates[buyer_country])


def vat_of(net: Decimal, rate: Decimal) -> Decimal:
    """VAT on one rate's net total, rounded once, half up (away from zero for credits)."""
    return (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def totals(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """(net, rate percent) per line → one VAT amount per rate, in rate order, and totals."""
    per_rate: dict[Decimal, Decimal] = {}
    for net, rate in lines:
        key = Decimal(rate).normalize()
        per_rate[key] = per_rate.get(key, ZERO) + net
    breakdown = tuple(VatAmount(rate, net.quantize(CENT), vat_of(net, rate))
                      for rate, net in sorted(per_rate.items()))
    net = sum((amount.net for amount in breakdown), ZERO)
    vat = sum((amount.vat for amount in breakdown), ZERO)
    return Totals(breakdown, net, vat, net + vat)
