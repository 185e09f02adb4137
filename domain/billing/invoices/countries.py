"""Countries and VAT numbers of billing profiles (B1), checked offline.

python-stdnum knows every EU member state's VAT number format and check digits (and
those of several other countries: CH, GB, NO…); Babel's CLDR data knows the ISO 3166
codes and which country a time zone lies in."""
from __future__ import annotations


from babel.core import get_global
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from domain.accounts.locale import COUNTRIES

# Greece's VAT numbers carry "EL", not its ISO code.
_VAT_PREFIX = {"GR": "EL"}
# No country's VAT number is near this long (the longest, with spaces, about 20); the
# checkers turn digits into integers, which Python refuses past 4300 digits.
MAX_VAT_INPUT = 40


def is_country(code: str) -> bool:
    return code in COUNTRIES


def country_of_time_zone(time_zone: str) -> str | None:
    """The ISO code of the country a time zone lies in ("Europe/Berlin" → "DE")."""
    country = get_global("zone_territories").get(time_zone)
    return country if country and is_country(country) else None


class BadVatNumber(ValueError):
    """The message says why, for the person who typed it."""


def check_vat_number(country: str, raw: str) -> str:
    """The VAT number in its compact form with its country prefix ("NL123456789B01"), or
    BadVatNumber when it is not one of `country`'s numbers (format and check digits)."""
    if len(raw) > MAX_VAT_INPUT:
        raise BadVatNumber(f"This is not a valid VAT number of {country}: it is far too long.")
    prefix = _VAT_PREFIX.get(country, country)
    if prefix.lower() not in eu_vat.MEMBER_STATES:
        return _check_other(country, raw)
    # The EU checker wants its country prefix; people often type the number without it.
    compact = "".join(ch for ch in raw.upper() if ch.isalnum())
    if compact[:2] == country and prefix != country:
        compact = prefix + compact[2:]
    if compact[:2] != prefix:
        compact = prefix + compact
    try:
        return eu_vat.validate(compact)
    except ValidationError as error:
        raise BadVatNumber(_why(country, error)) from None


def _check_other(country: str, raw: str) -> str:
    checker = get_cc_module(country.lower(), "vat")
    if checker is None:
        raise BadVatNumber(f"VAT numbers of {country} cannot be checked here; leave the VAT number empty.")
    try:
        valid = checker.validate(raw)
    except ValidationError as error:
        raise BadVatNumber(_why(country, error)) from None
    return valid if valid.startswith(country) else country + valid


def _why(country: str, error: ValidationError) -> str:
    return f"This is not a valid VAT number of {country}: {str(error).rstrip('.').lower()}."
