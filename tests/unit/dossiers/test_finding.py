"""D7's pure parts: folding, search terms, and which month each account is in."""
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.core.errors import InvalidInput
from domain.dossiers.finding import (
    KEY_LENGTH, MAX_SEARCH, fold, following_prefix, month_now, search_term, search_text,
)


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


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)


@given(_TEXT.filter(bool), _TEXT)
def test_following_prefix_bounds_exactly_the_strings_that_start_with_the_prefix(prefix, other):
    """D7's search keys are read as a range [prefix, following) in code point order."""
    beyond = following_prefix(prefix)
    for text in (prefix + other, other, other + prefix, prefix[:-1] + other):
        inside = prefix <= text and (beyond is None or text < beyond)
        assert inside == text.startswith(prefix), (prefix, text, beyond)


@pytest.mark.parametrize("prefix, beyond", [
    ("lotte", "lottf"), ("a\uD7FF", "a\uE000"), ("ab\U0010FFFF", "ac"), ("\U0010FFFF", None),
])
def test_following_prefix_skips_surrogates_and_raises_an_earlier_character(prefix, beyond):
    assert following_prefix(prefix) == beyond


@pytest.mark.parametrize("raw, key_range", [
    ("Lotte", ("lotte", "lottf")),
    ("zoë brontë", ("bronte", "brontf")),      # the longest word narrows most
    ("van den", ("van", "vao")),               # the first of equally long words
    ("an de", None),                           # no word of three characters: the trigram index
    ("y" * 40, ("y" * KEY_LENGTH, "y" * (KEY_LENGTH - 1) + "z")),  # keys are cut to KEY_LENGTH
])
def test_a_term_reads_the_keys_starting_with_its_longest_word(raw, key_range):
    assert search_term(raw).key_range == key_range


@given(st.lists(st.text("abcé ", min_size=1, max_size=8), min_size=1, max_size=4), st.data())
def test_every_match_holds_a_key_in_its_term_s_range(words, data):
    """Every word's tails of three characters or more, cut to KEY_LENGTH, are a dossier's
    keys (migration 0027's casebook_search_keys); a term matching its folded text finds one."""
    text = search_text(" ".join(words), None)
    start = data.draw(st.integers(0, max(len(text) - 1, 0)))
    end = data.draw(st.integers(start + 1, len(text) + 1))
    term = text[start:end].split("\n")[0].strip()
    if not term:
        return
    key_range = search_term(term).key_range
    if key_range is None:
        return
    keys = {word[i:][:KEY_LENGTH] for word in text.split() for i in range(len(word) - 2)}
    assert any(key_range[0] <= key < key_range[1] for key in keys), (text, term, key_range)
