"""The catalog is data (S1): the default loads, and a bad file fails naming the bad key."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from domain.billing.catalog import DEFAULT_CATALOG_PATH, CatalogError, UnknownOffer, load_catalog, tier_rank

DEFAULT_TEXT = DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_s1_default_catalog_loads_with_every_offer() -> None:
    catalog = load_catalog(None)
    assert catalog == load_catalog("")
    assert catalog.currency == "EUR"
    assert catalog.default_plan.code == "pro"
    assert [(p.code, p.name, p.seat_price) for p in catalog.plans] == [
        ("pro", "Pro", Decimal("15.00")), ("team", "Team", Decimal("19.00")),
        ("organisation", "Organisation", Decimal("25.00")),
    ]
    assert [(t.name, t.cap) for t in catalog.tiers] == [
        ("UP_TO_10", 10), ("UP_TO_25", 25), ("UP_TO_75", 75), ("UNLIMITED", None),
    ]
    assert [(t.name, t.months) for t in catalog.terms] == [
        ("MONTHLY", 1), ("QUARTERLY", 3), ("HALF_YEARLY", 6), ("YEARLY", 12),
    ]
    assert catalog.term("YEARLY").discount_percent == Decimal("12")
    assert {d.code for d in catalog.special_discounts} == {"new_business", "charity"}
    assert all(isinstance(t.price_per_month, Decimal) for t in catalog.tiers)


def test_lookups_refuse_unknown_names_as_user_errors() -> None:
    catalog = load_catalog(None)
    with pytest.raises(UnknownOffer, match="gold"):
        catalog.plan("gold")
    with pytest.raises(UnknownOffer):
        catalog.tier("UP_TO_5")
    with pytest.raises(UnknownOffer):
        catalog.term("WEEKLY")


def test_a3_smallest_tier_allowing_one_more_client() -> None:
    catalog = load_catalog(None)
    assert catalog.smallest_tier_allowing(0).name == "UP_TO_10"
    assert catalog.smallest_tier_allowing(9).name == "UP_TO_10"
    assert catalog.smallest_tier_allowing(10).name == "UP_TO_25"
    assert catalog.smallest_tier_allowing(25).name == "UP_TO_75"
    assert catalog.smallest_tier_allowing(75).name == "UNLIMITED"
    assert catalog.smallest_tier_allowing(10_000).name == "UNLIMITED"


def test_s5_tiers_rank_by_cap_not_price(tmp_path: Path) -> None:
    cheap_unlimited = DEFAULT_TEXT.replace('price_per_month = "120.00"', 'price_per_month = "1.00"')
    catalog = load_catalog(write(tmp_path, cheap_unlimited))
    assert [t.name for t in catalog.tiers][-1] == "UNLIMITED"
    assert tier_rank("UP_TO_10") < tier_rank("UP_TO_25") < tier_rank("UP_TO_75") < tier_rank("UNLIMITED")


def test_s8_special_agreement_needs_thirty_seats_beyond_standard() -> None:
    pro = load_catalog(None).plan("pro")
    assert not pro.allows_special_agreement(pro.standard_seats + 29)
    assert pro.allows_special_agreement(pro.standard_seats + 30)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('seat_price = "15.00"', 'seat_price = "-15.00"', r"plans\[0\]\.seat_price must not be negative"),
        ('price_per_month = "30.00"', 'price_per_month = "-1"', r"tiers\.UP_TO_25\.price_per_month must not be negative"),
        ('seat_price = "15.00"', 'seat_price = "fifteen"', r"plans\[0\]\.seat_price is not a decimal"),
        ('seat_price = "15.00"', "seat_price = 15.0", r"plans\[0\]\.seat_price must be a decimal string"),
        ('seat_price = "15.00"', 'seat_price = "15.001"', r"plans\[0\]\.seat_price must be whole cents"),
        ('seat_price = "15.00"', 'seat_price = "NaN"', r"plans\[0\]\.seat_price must be a finite"),
        ('[tiers.UP_TO_75]\nprice_per_month = "60.00"\n', "", r"tiers\.UP_TO_75 is missing"),
        ('[terms.YEARLY]\ndiscount_percent = "12"\n', "", r"terms\.YEARLY is missing"),
        ("[tiers.UP_TO_75]", "[tiers.UP_TO_50]", r"tiers\.UP_TO_50: unknown name"),
        ("[terms.YEARLY]", "[terms.WEEKLY]", r"terms\.WEEKLY: unknown name"),
        ('code = "team"', 'code = "pro"', r"plans\[1\]\.code: duplicate plan code 'pro'"),
        ('default_plan = "pro"', 'default_plan = "gold"', r"default_plan must be the code of one of the plans"),
        ('percent = "25"', 'percent = "100"', r"special_discounts\.charity\.percent must be at least 0 and below 100"),
        ('discount_percent = "5"', 'discount_percent = "-5"', r"terms\.QUARTERLY\.discount_percent must be at least 0"),
        ('seat_price = "15.00"', 'seat_prise = "15.00"', r"plans\[0\]\.seat_prise: unknown key"),
        ('currency = "EUR"', 'currency = "euro"', r"currency must be a three-letter"),
    ],
)
def test_s1_bad_catalog_fails_naming_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in DEFAULT_TEXT
    path = write(tmp_path, DEFAULT_TEXT.replace(old, new, 1))
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


def test_unreadable_or_malformed_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read catalog"):
        load_catalog(str(tmp_path / "absent.toml"))
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(write(tmp_path, "currency = "))
