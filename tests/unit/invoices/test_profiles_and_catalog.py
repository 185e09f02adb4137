"""Billing profiles' countries and VAT numbers (B1), the catalog's VAT rates (B4), the
seller's settings and the invoice's words in three languages (B6, L1)."""
from __future__ import annotations


import pytest

from domain.billing.catalog import DEFAULT_CATALOG_PATH, CatalogError, load_catalog
from infra.settings import Environment, Settings, SettingsError
from domain.billing.invoices.countries import BadVatNumber, check_vat_number, country_of_time_zone, is_country
from domain.billing.invoices.labels import LABELS, language_of
from domain.billing.invoices.seller import seller_from_settings

EU = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
      "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}


@pytest.mark.parametrize("country, typed, stored", [
    ("NL", "NL123456782B01", "NL123456782B01"),
    ("NL", "nl 1234.56.782.b01", "NL123456782B01"),
    ("DE", "123456788", "DE123456788"),        # without the prefix
    ("DE", "DE 123 456 788", "DE123456788"),
])
def test_b1_vat_numbers_are_stored_compact_with_their_prefix(country, typed, stored):
    assert check_vat_number(country, typed) == stored


@pytest.mark.parametrize("country, typed", [
    ("DE", "DE123456789"),        # a wrong check digit
    ("NL", "NL123456782B0"),      # a wrong format
    ("DE", "NL123456782B01"),     # another country's number
    ("US", "123456789"),          # a country whose numbers cannot be checked
    ("NL", "   "),
])
def test_b1_numbers_that_are_not_the_countrys_are_refused(country, typed):
    with pytest.raises(BadVatNumber):
        check_vat_number(country, typed)


def test_b1_countries_and_time_zones():
    assert is_country("NL") and is_country("CH") and not is_country("XX") and not is_country("nl")
    assert [country_of_time_zone(zone) for zone in ("Europe/Amsterdam", "Europe/Berlin", "Europe/Zurich", "UTC")] == [
        "NL", "DE", "CH", None]


def test_b4_the_shipped_catalog_has_the_standard_rate_of_every_member_state():
    rates = load_catalog(None).vat_rates
    assert set(rates) == EU
    assert (str(rates["NL"]), str(rates["DE"])) == ("21", "19")


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace('NL = "21"', 'NL = 21.0'), "vat.rates.NL"),
    (lambda text: text.replace('NL = "21"', 'nl = "21"'), "not an ISO 3166"),
    (lambda text: text.replace('NL = "21"', 'NL = "120"'), "vat.rates.NL"),
    (lambda text: text[:text.index("[vat.rates]")], "vat"),
])
def test_b4_a_catalog_with_bad_vat_rates_is_refused_at_start(tmp_path, edit, message):
    path = tmp_path / "catalog.toml"
    path.write_text(edit(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


def test_b6_the_seller_comes_from_settings_and_production_refuses_the_example():
    seller = seller_from_settings(Settings())
    assert (seller.country, seller.vat_number, seller.time_zone) == ("NL", "NL123456782B01", "Europe/Amsterdam")
    production = Settings().replace(env=Environment.PRODUCTION)
    with pytest.raises(SettingsError, match="INVOICE_SELLER_VAT_NUMBER"):
        seller_from_settings(production)
    assert seller_from_settings(production.replace(invoice_seller_vat_number="NL123456794B01")).vat_number == \
        "NL123456794B01"
    for wrong in ({"invoice_seller_country": "XX"}, {"invoice_seller_vat_number": "DE123456788"},
                  {"invoice_seller_time_zone": "Mars/Base"}, {"invoice_seller_address": ()}):
        with pytest.raises(SettingsError, match="INVOICE_SELLER"):
            seller_from_settings(Settings().replace(**wrong))


def test_l1_every_language_has_every_word():
    assert set(LABELS) == {"en", "nl", "de"}
    assert LABELS["nl"].keys() == LABELS["en"].keys() == LABELS["de"].keys()
    assert [language_of(locale) for locale in ("NL", "de", "EN", "de_DE")] == ["nl", "de", "en", "de"]
    assert [language_of(None, country) for country in ("NL", "DE", "AT", "FR", None)] == ["nl", "de", "de", "en", "en"]
