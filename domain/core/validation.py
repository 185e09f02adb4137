"""Input rules shared by every area: emails, names, text sizes, time zones."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.core.errors import InvalidInput

MAX_EMAIL = 254
MAX_NAME = 200
MAX_SHORT_TEXT = 200
MAX_BODY = 100_000
MIN_PASSWORD = 10
MAX_PASSWORD = 256

# Deliberately plain: one @, a dotted domain, no spaces or control characters.
_EMAIL = re.compile(r"^[^\s@\x00-\x1f]+@[^\s@\x00-\x1f]+\.[^\s@\x00-\x1f]{2,}$")
_TIME_ZONES = frozenset(available_timezones())
# Service users of machine credentials (T4) live here; no person can use these addresses.
MACHINE_EMAIL_DOMAIN = "machines.casebook.invalid"


def normalize_email(raw: str, *, field: str = "email") -> str:
    """Trim and lower-case (SPEC §1: one email, compared case-insensitively)."""
    email = (raw or "").strip().lower()
    if not email or len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidInput("Enter a valid email address.", field=(field,))
    if email.endswith("@" + MACHINE_EMAIL_DOMAIN):
        raise InvalidInput("This address is reserved for machine credentials.", field=(field,))
    return email


def clean_text(raw: str | None, *, field: str, max_length: int = MAX_SHORT_TEXT,
               required: bool = True) -> str | None:
    """Trim; refuse empty (when required), oversized or control-character text."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{field} must not be empty.", field=(field,))
        return None
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters.", field=(field,))
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        raise InvalidInput(f"{field} contains control characters.", field=(field,))
    return text


def check_password(password: str, *, field: str = "password") -> str:
    """Password rule: 10 to 256 characters, not only spaces, at least two kinds of
    characters among letters, digits and others. Length matters more than symbols."""
    if password is None or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Use at least {MIN_PASSWORD} characters.", field=(field,))
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"Use at most {MAX_PASSWORD} characters.", field=(field,))
    if not password.strip():
        raise InvalidInput("The password must not be only spaces.", field=(field,))
    kinds = sum((
        any(c.isalpha() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))
    if kinds < 2 or len(set(password)) < 4:
        raise InvalidInput(
            "Mix at least two of letters, digits and other characters.", field=(field,)
        )
    return password


def check_time_zone(name: str | None, *, field: str = "timeZone") -> str:
    """An IANA time zone name such as Europe/Amsterdam."""
    zone = (name or "").strip()
    if zone not in _TIME_ZONES:
        raise InvalidInput(f"Unknown time zone {zone!r}; use an IANA name.", field=(field,))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"Unknown time zone {zone!r}.", field=(field,)) from error
    return zone
