"""Finding a dossier (D7): the folded search text, the search term, and the month a
dossier's account is in — pure functions, no I/O.

Search matches part of the client's name or reference regardless of case and accents
("zoe" finds "Zoë", "BRONTE" finds "Brontë"). SQL cannot strip accents the same way on
both databases, so the domain does it: every dossier keeps `search_text`, its folded name
and reference (written on create and update, backfilled by migration 0010 with this very
function), and a search folds its term the same way and looks for it as a substring.
Changing `fold` means a migration that recomputes `search_text`.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import available_timezones

from infra.clock import month_key
from domain.core.errors import InvalidInput

# Longest search term: as long as the longest client name. A longer term cannot match.
MAX_SEARCH = 200
# How much of a word's tail a search key keeps (migration 0027 cuts keys to this).
KEY_LENGTH = 32
# Name and reference are stored one per line; a folded term never holds a line break,
# so a match never spans both.
SEPARATOR = "\n"
# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t",
                          "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ŋ": "n", "ĸ": "k"})


def fold(text: str | None) -> str:
    """Lower-case (full case folding), without accents, runs of white space as one space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.translate(_LETTERS).split())


def search_text(client_name: str, reference: str | None) -> str:
    """What a dossier is found by: its folded name and reference."""
    return fold(client_name) + SEPARATOR + fold(reference)


@dataclass(frozen=True)
class SearchTerm:
    """A checked, folded term and the LIKE pattern that finds it anywhere (`\\` escapes)."""

    folded: str

    @property
    def pattern(self) -> str:
        escaped = self.folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    @property
    def indexable(self) -> bool:
        """PostgreSQL's trigram index serves terms of three characters or more."""
        return len(self.folded) >= 3

    @property
    def key_range(self) -> tuple[str, str] | None:
        """The search keys (PostgreSQL, migration 0027) of which every match holds one, as
        [from, to) in code point order: keys are the first KEY_LENGTH characters of each
        tail of three or more of a word, and a term's word occurs inside a word, so the
        matches' words have a tail starting with it. The longest word narrows most.
        None when no word of the term has three characters (the trigram index serves it)."""
        word = max(self.folded.split(" "), key=len)[:KEY_LENGTH]
        if len(word) < 3:
            return None
        beyond = following_prefix(word)
        return (word, beyond) if beyond is not None else None


def following_prefix(prefix: str) -> str | None:
    """The least string after every string starting with `prefix`, in code point order
    (PostgreSQL's "C" collation and SQLite's binary one): its last character that can be
    raised, raised; None when none can (a prefix of U+10FFFF only)."""
    for end in range(len(prefix) - 1, -1, -1):
        point = ord(prefix[end]) + 1
        if point == 0xD800:
            point = 0xE000  # surrogates are never text
        if point <= 0x10FFFF:
            return prefix[:end] + chr(point)
    return None


def search_term(raw: str | None) -> SearchTerm:
    """INVALID_INPUT for an empty term, one longer than MAX_SEARCH, or control characters."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput("Give at least one character to search for.", field=("search",))
    if len(text) > MAX_SEARCH:
        raise InvalidInput(f"Search for at most {MAX_SEARCH} characters.", field=("search",))
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidInput("The search contains control characters.", field=("search",))
    folded = fold(text)
    if not folded:
        raise InvalidInput("Give at least one letter or digit to search for.", field=("search",))
    return SearchTerm(folded)


# The widest offsets in use: a month begins first at UTC+14 and last at UTC-12.
_EARLIEST, _LATEST = timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))


@dataclass(frozen=True)
class MonthNow:
    """"This month" for every account at one moment (A1: the account's calendar month).
    For all but about a day around the turn of a month every time zone is in the same
    month; around it, the zones already in the next month are listed."""

    month: str
    next_month: str | None = None
    zones_in_next_month: tuple[str, ...] = ()


def month_now(now: datetime) -> MonthNow:
    behind = _month(now, _LATEST)
    ahead = _month(now, _EARLIEST)
    if behind == ahead:
        return MonthNow(behind)
    return MonthNow(behind, ahead, _zones_in(ahead, now.replace(second=0, microsecond=0)))


def _month(now: datetime, zone: timezone) -> str:
    local = now.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


@lru_cache(maxsize=1)
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@lru_cache(maxsize=8)
def _zones_in(month: str, minute: datetime) -> tuple[str, ...]:
    # Months turn on whole minutes in every zone, so the minute's answer holds all of it.
    return tuple(zone for zone in _all_zones() if month_key(minute, zone) == month)
