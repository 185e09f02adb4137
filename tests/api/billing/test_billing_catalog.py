"""`catalog` is public and served from the data file; a bad file stops the start (S1)."""
from __future__ import annotations


import pytest

from domain.billing.catalog import DEFAULT_CATALOG_PATH, CatalogError

CATALOG = """{ catalog { currency plans { code name seatPrice { amount currency } standardSeats }
  terms { term months discountPercent } tiers { tier limit pricePerMonth { amount } } } }"""


async def test_s1_catalog_is_served_without_a_token(api):
    catalog = (await api.data(CATALOG))["catalog"]
    assert catalog["currency"] == "EUR"
    assert catalog["plans"][0] == {"code": "pro", "name": "Pro", "seatPrice": {"amount": "15.00", "currency": "EUR"},
                                   "standardSeats": 5}
    assert [(t["term"], t["months"], t["discountPercent"]) for t in catalog["terms"]] == [
        ("MONTHLY", 1, "0"), ("QUARTERLY", 3, "5"), ("HALF_YEARLY", 6, "8"), ("YEARLY", 12, "12")]
    assert [(t["tier"], t["limit"], t["pricePerMonth"]["amount"]) for t in catalog["tiers"]] == [
        ("UP_TO_10", 10, "15.00"), ("UP_TO_25", 25, "30.00"), ("UP_TO_75", 75, "60.00"), ("UNLIMITED", None, "120.00")]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('seat_price = "15.00"', 'seat_price = "-15.00"', "must not be negative"),
    ('[tiers.UNLIMITED]\nprice_per_month = "120.00"\n', "", "tiers.UNLIMITED is missing"),
])
def test_s1_the_app_refuses_to_start_with_a_bad_catalog(settings, tmp_path, old, new, message):
    from api.app import create_app

    text = DEFAULT_CATALOG_PATH.read_text()
    assert old in text
    path = tmp_path / "catalog.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(CatalogError, match=message) as refused:
        create_app(settings.replace(catalog_path=str(path)), manage_db=False)
    assert str(path) in str(refused.value)
