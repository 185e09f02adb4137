"""Choosing an account's language at sign-up (L1): the one asked for, else the best
match of the request's Accept-Language, else the language of the account's country
(CLDR's official languages of the territory, most spoken first), else English.
Pure functions: no database."""
from __future__ import annotations

from babel import Locale, negotiate_locale
from babel.languages import get_official_languages

from domain.core.errors import InvalidInput
from domain.core.locale_format import DEFAULT_LOCALE, LOCALES

_LANGUAGES = {"nl": "NL", "de": "DE", "en": "EN"}
# Accept-Language is a header anyone can fill: read a bounded part of it.
MAX_ACCEPT_LANGUAGE = 512
MAX_LANGUAGE_RANGES = 20


def check_locale(locale: str | None, *, field: str = "locale") -> str | None:
    if locale is None:
        return None
    if locale not in LOCALES:
        raise InvalidInput(f"The locale must be one of {', '.join(LOCALES)}.", field=(field,))
    return locale


# CLDR names some two-letter regions ISO 3166-1 does not assign: reserved codes (AC, CP,
# DG, EA, IC, TA, EU, EZ, UN), user-assigned ones (QO, XA, XB, XK, ZZ) and Sark (CQ).
_NOT_ISO_3166 = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})


def _countries() -> frozenset[str]:
    """The 249 ISO 3166-1 alpha-2 codes, from CLDR's territories (no hand-kept list)."""
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166)


COUNTRIES = _countries()


def check_country(country: str | None, *, field: str = "country") -> str | None:
    """An ISO 3166-1 alpha-2 code, in either case; returned upper-case."""
    if country is None:
        return None
    code = country.strip().upper()
    if code not in COUNTRIES:
        raise InvalidInput("The country must be an ISO 3166 two-letter code, e.g. \"NL\" or \"DE\".",
                           field=(field,))
    return code


def from_accept_language(header: str | None) -> str | None:
    """The best of NL, DE, EN for an Accept-Language header (RFC 9110 §12.5.4), or None."""
    if not header:
        return None
    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_LANGUAGE_RANGES]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranges.append((-weight, position, tag))
    preferred = [tag for _, _, tag in sorted(ranges)]
    chosen = negotiate_locale(preferred, list(_LANGUAGES), sep="-")
    return _LANGUAGES.get(chosen.lower()) if chosen else None


def from_country(country: str | None) -> str | None:
    if not country:
        return None
    for language in get_official_languages(country, de_facto=True):
        if language in _LANGUAGES:
            return _LANGUAGES[language]
    return None


def choose_locale(requested: str | None, accept_language: str | None, country: str | None) -> str:
    return requested or from_accept_language(accept_language) or from_country(country) or DEFAULT_LOCALE
