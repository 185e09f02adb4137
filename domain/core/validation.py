"""Input rules shared by every area: emails, names, text sizes, time zones."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import idna
from fontTools.unicodedata import script_extension
from precis_i18n import get_profile

from domain.core.errors import InvalidInput

MAX_EMAIL = 254
MAX_NAME = 200
MAX_SHORT_TEXT = 200
MAX_BODY = 100_000
MIN_PASSWORD = 10
MAX_PASSWORD = 256

# Deliberately plain: one @, a dotted domain, no spaces or control characters.
_EMAIL = re.compile(r"^[^\s@\x00-\x1f]+@[^\s@\x00-\x1f]+\.[^\s@\x00-\x1f]{2,}$")
# The service's own domain: its sender (MAIL_FROM no-reply@casebook.invalid), its message
# ids and the service users of machine credentials (T4). No person can use an address in
# it or under it, in any spelling (I6).
RESERVED_DOMAIN = "casebook.invalid"
MACHINE_EMAIL_DOMAIN = "machines." + RESERVED_DOMAIN
# Direction overrides and isolates (I6). All are category Cf too; named for the message.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Letters that render as nothing (Hangul fillers, braille blank…): a name of only these
# is invisible although its characters are "letters" or "symbols".
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e")
# Dots that UTS #46 reads as label separators (ideographic, full-width, half-width).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# A confusable skeleton (after UTS #39 §4) for reserved-domain comparison only: letters
# that look like an ASCII letter, digit or pair after case folding and with accents
# removed. Generous on purpose: a false match only refuses an address that looks like
# ours. Mixed scripts in one label are refused anyway; this covers single-script labels.
_LOOK_ALIKE = str.maketrans({
    # Latin and IPA
    "\u0131": "i", "\u0237": "j", "\u0251": "a", "\u0261": "g", "\u0269": "i", "\u026a": "i",
    "\u0280": "r", "\u028f": "y", "\u1d00": "a", "\u1d04": "c", "\u1d05": "d", "\u1d07": "e",
    "\u1d0b": "k", "\u1d0f": "o", "\u1d20": "v", "\u0299": "b", "\u0274": "n", "\u029f": "l",
    "\u0138": "k", "\u017f": "s", "\u0250": "a", "\u0254": "c", "\u01c0": "l",
    # Greek
    "\u03b1": "a", "\u03b2": "b", "\u03b5": "e", "\u03b7": "n", "\u03b9": "i", "\u03ba": "k",
    "\u03bd": "v", "\u03bf": "o", "\u03c1": "p", "\u03c2": "c", "\u03c3": "o", "\u03c4": "t",
    "\u03c5": "u", "\u03c7": "x", "\u03f2": "c", "\u03f3": "j",
    # Cyrillic
    "\u0430": "a", "\u0432": "b", "\u0435": "e", "\u0456": "i", "\u0458": "j", "\u043a": "k",
    "\u043c": "m", "\u043d": "h", "\u043e": "o", "\u043f": "n", "\u0440": "p", "\u0441": "c",
    "\u0442": "t", "\u0443": "y", "\u0445": "x", "\u044c": "b", "\u0455": "s", "\u0501": "d",
    "\u04bb": "h", "\u04cf": "l", "\u051b": "q", "\u051d": "w", "\u0491": "r", "\u0457": "i",
    "\u0454": "e", "\u0451": "e",
    # Armenian
    "\u0585": "o", "\u057d": "u", "\u0578": "n", "\u0570": "h", "\u0581": "g", "\u0566": "q",
    # Cherokee (case folding turns its small letters into these capitals)
    "\u13a0": "d", "\u13a1": "r", "\u13a2": "t", "\u13a5": "i", "\u13a9": "y", "\u13aa": "a",
    "\u13ab": "j", "\u13ac": "e", "\u13b3": "w", "\u13b7": "m", "\u13bb": "h", "\u13bd": "y",
    "\u13c0": "g", "\u13c2": "h", "\u13c3": "z", "\u13cf": "b", "\u13d2": "r", "\u13d4": "w",
    "\u13d5": "s", "\u13d9": "v", "\u13da": "s", "\u13de": "l", "\u13df": "c", "\u13e2": "p",
    "\u13e6": "k", "\u13e7": "d", "\u13f4": "b",
    # digits that read as letters
    "0": "o", "1": "l",
})
_LOOK_ALIKE_PAIRS = (("rn", "m"), ("cl", "d"), ("vv", "w"))


def _skeleton(domain: str) -> str:
    """What a domain looks like: NFKC, case folded, punycode labels decoded, accents and
    other marks dropped, look-alike letters replaced by the ASCII letter they imitate, and
    any trailing dot gone. Two domains a person cannot tell apart have one skeleton."""
    text = unicodedata.normalize("NFKC", domain).casefold().translate(_DOTS).rstrip(".")
    labels = []
    for label in text.split("."):
        if label.startswith("xn--"):
            try:
                label = label.encode("ascii").decode("idna")
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    text = unicodedata.normalize("NFKD", ".".join(labels).casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Me"))
    text = text.translate(_LOOK_ALIKE)
    for pair, letter in _LOOK_ALIKE_PAIRS:
        text = text.replace(pair, letter)
    return text


# UTS #39 §5.1: Han is written together with kana (Japanese), Hangul (Korean) and
# Bopomofo (Chinese), so those count as one script with it.
_AUGMENTED = {"Hani": ("Hanb", "Jpan", "Kore"), "Hira": ("Jpan",), "Kana": ("Jpan",),
              "Hang": ("Kore",), "Bopo": ("Hanb",)}


# PRECIS (RFC 8264) profiles, from precis-i18n: the local part of an address is an
# identifier (RFC 8265 UsernameCaseMapped: letters, digits and ASCII punctuation; no
# spaces, symbols or default-ignorable code points, the bidi rule); a name is free-form
# text (RFC 8266 NicknameCasePreserved: spaces mapped and collapsed, NFKC, no controls or
# default-ignorable code points). Our own checks (mixed scripts, invisible "letters",
# the reserved domain) come on top: PRECIS does not cover look-alikes (UTS #39 does).
_ADDRESS_LOCAL = get_profile("UsernameCaseMapped:ToLower")
_NAME = get_profile("NicknameCasePreserved")


def _precis(profile, text: str) -> str | None:  # noqa: ANN001 - a precis_i18n profile
    """The profile's enforced form of the text, or None when the profile refuses it."""
    try:
        return profile.enforce(text)
    except UnicodeError:
        return None


def _unreadable(text: str) -> str | None:
    """Why this text cannot be read as written, or None (I6): invisible or format
    characters (category Cf, e.g. U+200B), direction overrides, control characters."""
    for ch in text:
        if ch in _BIDI_CONTROLS:
            return "a direction override"
        category = unicodedata.category(ch)
        if category == "Cf":
            return "an invisible character"
        if category in ("Cc", "Zl", "Zp"):
            return "a control character or line break"
    return None


def _scripts(ch: str) -> frozenset[str] | None:
    """The scripts a character may be written in (Unicode Script_Extensions, augmented as
    UTS #39 says), or None for one that belongs to every script: digits, punctuation,
    spaces, combining marks used by all (Common, Inherited)."""
    extension = script_extension(ch)
    if extension & {"Zyyy", "Zinh"}:
        return None
    return frozenset(extension.union(*(_AUGMENTED.get(script, ()) for script in extension)))


def mixes_scripts(text: str) -> bool:
    """True when the text's letters cannot all be read as one script (UTS #39 §5.1: the
    resolved script set is empty): Latin with Cyrillic or Greek look-alikes ("pаypal"
    with a Cyrillic а). Accents, digits and punctuation belong to every script; kanji
    with kana is Japanese, one script."""
    resolved: frozenset[str] | None = None
    for ch in text:
        scripts = _scripts(ch)
        if scripts is None:
            continue
        resolved = scripts if resolved is None else resolved & scripts
        if not resolved:
            return True
    return False


def _domain_labels(domain: str) -> list[str] | None:
    """The domain's labels as Unicode (punycode `xn--` labels decoded), or None when a
    label does not decode."""
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            try:
                label = label.encode("ascii").decode("idna")
            except (UnicodeError, ValueError):
                return None
        labels.append(unicodedata.normalize("NFKC", label).lower())
    return labels


def is_reserved_domain(domain: str) -> bool:
    """The service's own domain (casebook.invalid) or one under it (the machine-credential
    domain, the sender's), in any spelling: case, a trailing dot (ASCII or ideographic),
    full-width or other compatibility forms, punycode, accents or letters of another
    script that look alike (a dotless ı, a Cyrillic а, "rn" for m)."""
    spelled, reserved = _skeleton(domain), _skeleton(RESERVED_DOMAIN)
    return spelled == reserved or spelled.endswith("." + reserved)


def _is_host_name(domain: str) -> bool:
    """A domain a mail can go to: labels of letters, digits and inner hyphens, or
    internationalised labels valid under IDNA 2008 (UTS #46 mapping). Refuses domain
    literals ([192.0.2.1]), percent-escapes, underscores and other characters that are no
    part of a host name."""
    try:
        idna.encode(domain, uts46=True, std3_rules=True)
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    return True


def canonical_email(raw: str | None) -> str:
    """The one spelling an address is stored and compared in (SPEC §1): NFC, trimmed,
    lower-case. Looking up an existing login needs no more: sign-in and password resets
    find addresses stored before a stricter rule of `normalize_email` refused them."""
    return unicodedata.normalize("NFC", raw or "").strip().lower()


def lookup_email(raw: str | None) -> str:
    """The canonical spelling to look a login up by, or "" for text no stored address can
    be: control characters (a NUL byte, say) never pass `normalize_email`, and PostgreSQL
    refuses a NUL in a statement's text, so such a look-up would fail rather than miss."""
    address = canonical_email(raw)
    return "" if any(unicodedata.category(ch) == "Cc" for ch in address) else address


def normalize_email(raw: str, *, field: str = "email") -> str:
    """NFC, trimmed, lower-case (SPEC §1: one email, compared case-insensitively), and
    readable (I6): no invisible, format, direction or control characters, no mixed
    scripts in the local part or in a domain label, a domain that is a host name (no
    domain literal), never the service's own domain in any spelling."""
    email = canonical_email(raw)
    if not email or len(email) > MAX_EMAIL:
        raise InvalidInput("Enter a valid email address.", field=(field,))
    if _unreadable(email):
        raise InvalidInput("This address holds characters a person cannot see or read as written.",
                           field=(field,))
    local, _, domain = email.rpartition("@")
    if is_reserved_domain(domain):
        raise InvalidInput("This address is reserved for Casebook's own use.", field=(field,))
    if unicodedata.normalize("NFKC", email) != email:
        # Full-width, styled (mathematical bold…) or other compatibility forms: they look
        # like another address and are stored as typed, so refused rather than mapped.
        raise InvalidInput("This address holds full-width or styled characters; type it in plain letters.",
                           field=(field,))
    enforced = _precis(_ADDRESS_LOCAL, local)
    if enforced is None:
        raise InvalidInput("This address holds characters a person cannot see or read as written.",
                           field=(field,))
    if enforced != local:
        raise InvalidInput("Enter a valid email address.", field=(field,))
    if not _EMAIL.match(email) or domain.endswith(".") or ".." in domain or not _is_host_name(domain):
        raise InvalidInput("Enter a valid email address.", field=(field,))
    labels = _domain_labels(domain)
    if labels is None or mixes_scripts(local) or any(mixes_scripts(label) for label in labels):
        raise InvalidInput("This address mixes alphabets (for example Latin with Cyrillic or Greek "
                           "look-alikes); write it in one.", field=(field,))
    return email


def clean_name(raw: str | None, *, field: str = "name", max_length: int = MAX_NAME) -> str:
    """A person's, an account's or a client's name (I6): one line, readable, not made of
    invisible characters only, no word mixing scripts, and stored in the form of RFC 8266
    (PRECIS NicknameCasePreserved: NFKC, so full-width and styled letters become plain
    ones; spaces mapped, trimmed and collapsed; default-ignorable code points refused)."""
    text = unicodedata.normalize("NFC", raw or "").strip()
    if not text:
        raise InvalidInput(f"{field} must not be empty.", field=(field,))
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters.", field=(field,))
    if any(ch in "\n\r\t\v\f\x85" for ch in text):
        raise InvalidInput(f"{field} must be one line.", field=(field,))
    reason = _unreadable(text)
    if reason:
        raise InvalidInput(f"{field} holds {reason}.", field=(field,))
    enforced = _precis(_NAME, text)
    if enforced is None:
        raise InvalidInput(f"{field} holds a character a person cannot see or read as written "
                           "(for example a joiner or variation selector).", field=(field,))
    text = enforced
    if not any(_visible(ch) for ch in text):
        raise InvalidInput(f"{field} has nothing a person can see.", field=(field,))
    # Word by word, as an address is label by label: "Ελένη Smith" is two readable words.
    if any(mixes_scripts(word) for word in text.split()):
        raise InvalidInput(f"{field} mixes alphabets within a word (for example Latin with Cyrillic or "
                           "Greek look-alikes); write each word in one.", field=(field,))
    return text


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LOOKING


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


@lru_cache(maxsize=1)
def canonical_time_zones() -> frozenset[str]:
    """The IANA zones a person picks from (`zone.tab` of the tz database shipped by the
    tzdata package: one or more per country, e.g. Europe/Amsterdam), plus `UTC` and
    `Etc/UTC`. Backward links such as `US/Eastern`, `Factory` and system names such as
    `localtime` are refused."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    zones = {line.split("\t")[2] for line in text.splitlines() if line and not line.startswith("#")}
    return frozenset(zones | {"UTC", "Etc/UTC"})


def check_time_zone(name: str | None, *, field: str = "timeZone") -> str:
    """A canonical IANA time zone name such as Europe/Amsterdam."""
    zone = (name or "").strip()
    if zone not in canonical_time_zones():
        raise InvalidInput(f"Unknown time zone {zone!r}; use a canonical IANA name such as "
                           "Europe/Amsterdam.", field=(field,))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"Unknown time zone {zone!r}.", field=(field,)) from error
    return zone
