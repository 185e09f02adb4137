"""Readable text by a standard (issue 28, SPEC I6): addresses and names follow PRECIS
(RFC 8264; RFC 8265 for an address's local part, RFC 8266 for names) through precis-i18n.
Default-ignorable code points — the combining grapheme joiner, variation selectors —
are refused; full-width and styled letters are refused in addresses and become plain
letters in names."""
import pytest

from domain.core.errors import InvalidInput
from domain.core.validation import clean_name, normalize_email

IGNORABLE = ["\u034f", "\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef", "\u180b", "\u115f", "\u2060"]


@pytest.mark.parametrize("ignorable", IGNORABLE)
def test_default_ignorable_code_points_are_refused_in_addresses(ignorable):
    with pytest.raises(InvalidInput):
        normalize_email(f"adm{ignorable}in.a@alpha.test")


@pytest.mark.parametrize("ignorable", IGNORABLE)
def test_default_ignorable_code_points_are_refused_in_names(ignorable):
    with pytest.raises(InvalidInput):
        clean_name(f"Ann{ignorable}a Client")


@pytest.mark.parametrize("address", [
    "\uff41dmin.a@alpha.test",            # full-width a
    "\U0001d41admin.a@alpha.test",        # mathematical bold a
    "admin.a@\uff41lpha.test",            # full-width in the domain
    "admin\u2024a@alpha.test",            # one dot leader (NFKC: a full stop)
    "\u2460admin@alpha.test",             # circled digit one
])
def test_nfkc_unstable_characters_are_refused_in_addresses(address):
    with pytest.raises(InvalidInput):
        normalize_email(address)


@pytest.mark.parametrize("address", ["jürgen+tag@example.org", "o'brien@example.org", "ελένη@example.gr",
                                     "李小龙@example.cn", "first.last-x_y@example.org"])
def test_ordinary_addresses_in_any_script_still_pass(address):
    assert normalize_email(address) == address


@pytest.mark.parametrize("raw, stored", [
    ("\uff21nna Client", "Anna Client"),          # full-width A
    ("\U0001d400nna Client", "Anna Client"),      # mathematical bold A
    ("Anna\u00a0Client", "Anna Client"),          # a no-break space is a space
    ("Anna   Client", "Anna Client"),             # spaces collapsed (RFC 8266)
    ("Ελένη Smith", "Ελένη Smith"),
    ("Zoë", "Zoë"),
])
def test_names_are_stored_in_their_precis_form(raw, stored):
    assert clean_name(raw) == stored
