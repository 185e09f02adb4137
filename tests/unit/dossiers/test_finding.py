"""D7's pure parts: folding, search terms, and which month each account is in."""
from datetime import datetime, timezone

import pytest

from domain.core.errors import InvalidInput
from domain.dossiers.finding import MAX_SEARCH, fold, month_now, search_term, search_text


@pytest.mark.parametrize("raw, folded", [
    ("Zoë Brontë", "zoe bronte"), ("  ANNA   de  VRIES ", "anna de vries"), ("Łukasz Øster", "lukasz oster"),
    ("Straße", "strasse"), ("Æsop Œuvre", "aesop oeuvre"), ("İstanbul", "istanbul"), ("ﬁne", "fine"),
    ("Ñandú", "nandu"), ("Dvořák", "dvorak"), ("", ""), (None, ""),
])
def test_fold_drops_case_accents_and_extra_space(raw, folded):
    assert fold(raw) == folded


def test_name_and_reference_are_kept_apart():
    assert search_text("Zoë", "RÉF 1") == "zoe\nref 1"
    assert search_text("Zoë", None) == "zoe\n"


def test_a_term_is_folded_and_its_wildcards_escaped():
    term = search_term("  50%_Zoë\\ ")
    assert term.folded == "50%_zoe\\"
    assert term.pattern == "%50\\%\\_zoe\\\\%"
    assert search_term("ab").indexable is False and search_term("abc").indexable is True


@pytest.mark.parametrize("raw", ["", "   ", None, "x" * (MAX_SEARCH + 1), "a\tb", "\u0301"])
def test_bad_terms_are_invalid_input(raw):
    with pytest.raises(InvalidInput):
        search_term(raw)


def test_mid_month_every_zone_is_in_the_same_month():
    assert month_now(datetime(2026, 5, 15, 12, tzinfo=timezone.utc)).next_month is None


def test_around_the_turn_the_zones_already_in_the_next_month_are_listed():
    month = month_now(datetime(2026, 4, 30, 13, tzinfo=timezone.utc))
    assert (month.month, month.next_month) == ("2026-04", "2026-05")
    assert "Pacific/Auckland" in month.zones_in_next_month
    assert "Europe/Amsterdam" not in month.zones_in_next_month
