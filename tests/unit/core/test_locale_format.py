"""Dates, amounts and numbers as each language writes them (L1), and how sign-up picks
an account's language: asked for, else Accept-Language, else the country, else EN."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from domain.accounts.locale import check_country, choose_locale, from_accept_language, from_country
from domain.core.errors import InvalidInput
from domain.core.locale_format import format_day, format_moment, format_money, format_number


@pytest.mark.parametrize("locale, money, day, number", [
    ("NL", "€ 1.234,56", "15 mei 2026", "1.234,5"),
    ("DE", "1.234,56\xa0€", "15. Mai 2026", "1.234,5"),
    ("EN", "€1,234.56", "May 15, 2026", "1,234.5"),
])
def test_l1_amounts_dates_and_numbers_follow_the_language(locale, money, day, number):
    assert format_money(Decimal("1234.56"), "EUR", locale).replace("\xa0", " ") == money.replace("\xa0", " ")
    assert format_day(date(2026, 5, 15), locale) == day
    assert format_day("2026-05-15", locale) == day
    assert format_number(Decimal("1234.5"), locale) == number


def test_l1_moments_are_in_the_account_s_time_zone():
    moment = datetime(2026, 5, 15, 22, 30, tzinfo=timezone.utc)
    assert format_moment(moment, "NL", "Europe/Amsterdam") == "16 mei 2026, 00:30"
    assert format_moment(moment, "DE", "Europe/Berlin", with_zone=True) == "16. Mai 2026, 00:30 MESZ"
    assert format_moment(moment, "EN", "America/New_York").startswith("May 15, 2026, 6:30")
    assert format_money("-2.5", "EUR", "NL").replace("\xa0", " ") == "€ -2,50"


@pytest.mark.parametrize("header, locale", [
    ("nl-BE,nl;q=0.9,en;q=0.5", "NL"),
    ("fr-FR, de;q=0.3, en;q=0.2", "DE"),
    ("en-US,en;q=0.9,de;q=0.8", "EN"),
    ("de-AT", "DE"),
    ("fr, it", None),
    ("*", None),
    ("nl;q=0, de;q=0.1", "DE"),
    ("nl;q=oops, de", "DE"),
    ("", None),
    ("x" * 5000, None),
])
def test_l1_accept_language_picks_the_best_language_we_write(header, locale):
    assert from_accept_language(header) == locale


def test_l1_the_country_s_language_comes_from_cldr():
    assert [from_country(code) for code in ("NL", "BE", "DE", "AT", "CH", "LU", "FR", "US")] == \
        ["NL", "NL", "DE", "DE", "DE", "DE", None, "EN"]


def test_l1_sign_up_order_asked_then_header_then_country_then_english():
    assert choose_locale("DE", "nl", "NL") == "DE"
    assert choose_locale(None, "nl", "DE") == "NL"
    assert choose_locale(None, "fr", "DE") == "DE"
    assert choose_locale(None, None, "FR") == "EN"
    assert choose_locale(None, None, None) == "EN"


def test_l1_countries_are_the_249_of_iso_3166_1():
    from domain.accounts.locale import COUNTRIES

    assert len(COUNTRIES) == 249 and {"NL", "DE", "BE", "AT", "CH", "LU", "GB", "US", "AQ"} <= COUNTRIES


@pytest.mark.parametrize("bad", ["XX", "NLD", "", "1", "nl ", "ÑL", "001", "EU", "ZZ", "XK"])
def test_l1_a_country_is_an_iso_3166_alpha_2_code(bad):
    if bad == "nl ":
        assert check_country(bad) == "NL"  # trimmed, any case
        return
    with pytest.raises(InvalidInput) as refused:
        check_country(bad)
    assert refused.value.field == ("country",)
