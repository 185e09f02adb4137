"""Readable addresses and names (SPEC I6) and canonical time zones."""
import unicodedata

import pytest

from domain.core.errors import InvalidInput
from domain.core.validation import check_time_zone, clean_name, is_reserved_domain, mixes_scripts, normalize_email


@pytest.mark.parametrize("raw, expected", [
    (" Anna@Example.org ", "anna@example.org"),
    ("e\u0301lise@example.org", "\u00e9lise@example.org"),  # NFC: e + combining acute = é
    ("\u043f\u0440\u0438\u043c\u0435\u0440@\u043f\u0440\u0438\u043c\u0435\u0440.com",
     "\u043f\u0440\u0438\u043c\u0435\u0440@\u043f\u0440\u0438\u043c\u0435\u0440.com"),  # all Cyrillic is one script
    ("x@xn--80ak6aa92e.com", "x@xn--80ak6aa92e.com"),
])
def test_readable_addresses_are_normalised(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", [
    "anna\u200b@example.org",         # zero-width space (Cf)
    "anna@exa\u200dmple.org",         # zero-width joiner
    "anna\ufeff@example.org",         # byte-order mark
    "anna\u00ad@example.org",         # soft hyphen
    "\u202eanna@example.org",         # right-to-left override
    "anna@example\u202a.org",         # left-to-right embedding
    "anna\u2066@example.org",         # left-to-right isolate
    "anna\u2069@example.org",         # pop directional isolate
    "anna\x07@example.org",           # control character
    "anna\u2028@example.org",         # line separator
    "p\u0430ypal@example.org",        # Latin with a Cyrillic а in the local part
    "anna@p\u0430ypal.com",           # … in the domain
    "anna@\u0440aypal.com",           # Cyrillic р
    "\u03bflga@example.org",          # Greek omicron with Latin
    "anna@xn--pypal-4ve.com",         # the same look-alike domain in punycode
    "anna@xn--broken-.com",           # punycode that does not decode
])
def test_unreadable_and_look_alike_addresses_are_refused(raw):
    with pytest.raises(InvalidInput):
        normalize_email(raw)


@pytest.mark.parametrize("raw", [
    "bot@machines.casebook.invalid", "bot@MACHINES.Casebook.Invalid", "bot@machines.casebook.invalid.",
    "bot@sub.machines.casebook.invalid", "bot@\uff4d\uff41\uff43\uff48\uff49\uff4e\uff45\uff53.casebook.invalid",
    " bot@machines.casebook.invalid ", "bot@machines.casebook.invalid\u3002",
    "x@mach\u0131nes.casebook.invalid",            # dotless ı
    "x@MACH\u0130NES.casebook.invalid",            # capital I with a dot: i + U+0307 once lower-cased
    "x@xn--machnes-ufb.casebook.invalid",          # the dotless ı in punycode
    "no-reply@casebook.invalid",                  # the service's own sender (MAIL_FROM)
    "no-reply@CaseBook.Invalid.", "x@anything.casebook.invalid",
    "x@\u0441asebook.invalid",                    # Cyrillic с as a whole-label look-alike
    "x@\u0441\u0430\u0455\u0435\u044c\u043e\u043e\u043a.\u0456\u043fv\u0430\u04cf\u0456\u0501",  # all Cyrillic
    "x@\u13dfasebook.invalid", "x@\uabafasebook.invalid",  # Cherokee Ꮯ, capital and small
    "x@casebo0k.invalid", "x@machines\uff0ecasebook\uff0einvalid",
])
def test_the_reserved_machine_domain_is_refused_in_any_spelling(raw):
    with pytest.raises(InvalidInput, match="reserved"):
        normalize_email(raw)


@pytest.mark.parametrize("raw", [
    "x@[machines.casebook.invalid]",   # a domain literal
    "x@[192.0.2.1]", "x@[IPv6:2001:db8::1]",
    "x@machines%2ecasebook.invalid",   # a percent-escape
    "x@exa_mple.org", "x@exa mple.org", "x@-example.org", "x@example-.org", "x@" + "a" * 64 + ".org",
])
def test_domains_that_are_no_host_name_are_refused(raw):
    with pytest.raises(InvalidInput, match="valid email"):
        normalize_email(raw)


@pytest.mark.parametrize("raw", ["x@casebook.example", "x@m\u00fcnchen.de", "x@xn--mnchen-3ya.de",
                                 "x@invalid-casebook.org", "x@sub.example.co.uk"])
def test_domains_near_the_reserved_one_stay_usable(raw):
    assert normalize_email(raw) == raw


def test_reserved_domain_check_sees_through_compatibility_forms():
    assert is_reserved_domain("MACHINES.casebook.invalid.")
    assert not is_reserved_domain("machines.casebook.example")
    assert is_reserved_domain("casebook.invalid") and is_reserved_domain("mach\u0131nes.casebook.invalid")


@pytest.mark.parametrize("raw", [
    "Olga Owner", "  Ünal Çelik ", "李小龙", "O'Brien-Smith", "Practice #2",
    "Zoë", "Brontë", "Müller", "Ærø", "Zoe\u0308",         # accents, also as a combining mark
    "Ελένη", "Иван", "Ελένη Smith", "Иван Petrov",         # one script per word
    "佐々木 はなこ", "山田たろう", "김민수",                      # kanji with kana is Japanese, one script
    "O\u02bcBrien", "Anna (2)",                             # modifier apostrophe, digits: every script's
])
def test_readable_names_pass(raw):
    assert clean_name(raw) == unicodedata.normalize("NFC", raw.strip())


@pytest.mark.parametrize("raw", [
    "\u0408an Jansen",     # Cyrillic Ј with Latin in one word
    "\u03a1raxis",         # Greek Ρ with Latin
    "Jan J\u0430nsen",     # Cyrillic а in the second word
    "\u0555lga",           # Armenian Օ with Latin
    "Ива\u043dn",          # Cyrillic with a Latin n
])
def test_names_mixing_scripts_within_a_word_are_refused(raw):
    with pytest.raises(InvalidInput, match="mixes alphabets") as refused:
        clean_name(raw, field="accountName")
    assert refused.value.field == ("accountName",)


def test_mixes_scripts_is_one_rule_for_addresses_and_names():
    assert mixes_scripts("p\u0430ypal") and mixes_scripts("\u03a1raxis")
    assert not mixes_scripts("Zo\u00eb") and not mixes_scripts("\u0418\u0432\u0430\u043d-2")
    assert not mixes_scripts("\u4f50\u3005\u6728\u306f\u306a\u3053")


@pytest.mark.parametrize("raw", [
    "", "   ", "\u200b", "\u3164", "\u2800\u2800", "\u115f", "two\nlines", "tab\there", "a\u202eb",
    "zero\u200bwidth", "bell\x07", "x" * 201,
])
def test_unreadable_names_are_refused(raw):
    with pytest.raises(InvalidInput):
        clean_name(raw)


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "UTC", "Etc/UTC"])
def test_canonical_time_zones_pass(zone):
    assert check_time_zone(zone) == zone


@pytest.mark.parametrize("zone", ["localtime", "Factory", "US/Eastern", "Asia/Calcutta", "posixrules",
                                  "europe/amsterdam", "Mars/Olympus", "", "../etc/passwd"])
def test_other_time_zone_names_are_refused(zone):
    with pytest.raises(InvalidInput):
        check_time_zone(zone)
