"""Dates, times, money and numbers as a language writes them (L1), from CLDR through
Babel: `€ 1.234,56` and `15 mei 2026` in Dutch, `1.234,56 €` and `15. Mai 2026` in
German, `€1,234.56` and `May 15, 2026` in English.

Every text a person reads outside the API formats with these functions, given the
account's locale (`NL`, `DE`, `EN`, as `Account.locale` stores it) and, for moments, the
account's time zone. Pure functions: no database, no clock."""
from __future__ import annotations

import functools
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from babel.dates import format_date as _format_date, format_datetime as _format_datetime, \
    format_time as _format_time
from babel.numbers import format_currency, format_decimal
from zoneinfo import ZoneInfo

LOCALES = ("NL", "DE", "EN")
DEFAULT_LOCALE = "EN"
# Babel's identifiers: the language alone, so CLDR's defaults for it apply (nl = nl_NL).
_BABEL = {"NL": "nl", "DE": "de", "EN": "en"}


def babel_locale(locale: str | None) -> str:
    """`NL` / `nl` → Babel's `nl`; anything unknown → English."""
    return _BABEL.get((locale or DEFAULT_LOCALE).upper(), "en")


def _as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def format_day(value: date | str | None, locale: str | None, *, style: str = "long") -> str:
    """A calendar date: `15 mei 2026`, `15. Mai 2026`, `May 15, 2026` (style "long");
    "short" gives `15-05-2026`, `15.05.26`, `5/15/26`."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return _format_date(value, style, locale=babel_locale(locale))


def format_moment(value: datetime | str | None, locale: str | None, time_zone: str, *,
                  with_zone: bool = False) -> str:
    """A moment in the account's time zone: `15 mei 2026, 11:30`, `15. Mai 2026, 11:30`,
    `May 15, 2026, 11:30 AM`; with_zone adds the zone's abbreviation (`CEST`, `MESZ`)."""
    if value is None or value == "":
        return ""
    # Only the minute shows: every moment of a minute reads alike.
    local = _as_datetime(value).astimezone(ZoneInfo(time_zone)).replace(second=0, microsecond=0)
    return _format_minute(local, local.utcoffset(), time_zone, babel_locale(locale), with_zone)


# Babel builds a moment's text in some 250 function calls; an invitation mail shows one
# (its expiry), and the moments of one minute repeat across mails. The offset and zone
# are part of the key: moments that differ only by them compare equal (the same instant,
# or the hour a clock goes back) but read differently.
@functools.lru_cache(maxsize=1024)
def _format_minute(local: datetime, offset: Any, time_zone: str, babel: str, with_zone: bool) -> str:
    day = _format_date(local.date(), "long", locale=babel)
    clock = _format_time(local, "short", tzinfo=local.tzinfo, locale=babel)
    # CLDR's medium pattern joins date and time with ", " in all three languages.
    joined = f"{day}, {clock}"
    if with_zone:
        joined += " " + _format_datetime(local, "zzz", tzinfo=local.tzinfo, locale=babel)
    return joined


def format_money(amount: Decimal | str | int, currency: str, locale: str | None) -> str:
    """An amount with its currency sign, to the cent: `€ 1.234,56`, `1.234,56 €`, `€1,234.56`."""
    return format_currency(Decimal(str(amount)), currency, locale=babel_locale(locale))


def format_number(value: Decimal | str | int | float, locale: str | None) -> str:
    """A plain number with the language's separators: `1.234,5` / `1,234.5`."""
    number: Any = value if isinstance(value, (int, Decimal)) else Decimal(str(value))
    return format_decimal(number, locale=babel_locale(locale))
