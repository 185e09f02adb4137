"""Month keys in the account's time zone (SPEC A1, A2, A6) and measurement values (D1):
pure functions, no database."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from infra.clock import month_key, months_back, next_month_start, parse_month
from domain.core.errors import InvalidInput
from domain.dossiers.measurements import check_value


def test_a1_the_month_turns_at_local_midnight():
    assert month_key(datetime.fromisoformat("2026-04-30T23:30:00+02:00"), "Europe/Amsterdam") == "2026-04"
    assert month_key(datetime.fromisoformat("2026-05-01T00:10:00+02:00"), "Europe/Amsterdam") == "2026-05"
    # The same instant is still April in UTC and in New York.
    moment = datetime(2026, 4, 30, 22, 10, tzinfo=timezone.utc)
    assert month_key(moment, "UTC") == "2026-04"
    assert month_key(moment, "Europe/Amsterdam") == "2026-05"
    assert month_key(datetime(2026, 5, 1, 3, tzinfo=timezone.utc), "America/New_York") == "2026-04"


def test_a1_new_year_in_a_zone_ahead_of_utc():
    assert month_key(datetime(2026, 12, 31, 11, 30, tzinfo=timezone.utc), "Pacific/Auckland") == "2027-01"


@pytest.mark.parametrize("text, parsed", [
    ("2026-04", (2026, 4)), ("2026-12", (2026, 12)), ("2026-13", None), ("2026-00", None),
    ("2026-4", None), ("26-04", None), ("2026/04", None), ("april", None), ("", None),
    ("２０２６-04", None), ("9999-12", None),
])
def test_a6_month_keys_are_yyyy_mm(text, parsed):
    assert parse_month(text) == parsed


def test_a2_the_count_resets_on_the_first_of_the_next_month():
    assert next_month_start("2026-04").isoformat() == "2026-05-01"
    assert next_month_start("2026-12").isoformat() == "2027-01-01"
    with pytest.raises(ValueError):
        next_month_start("2026-13")


def test_a6_months_back_newest_first_across_a_year():
    assert months_back("2026-02", 4) == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert months_back("2026-02", 1) == ["2026-02"]


@pytest.mark.parametrize("raw, value", [
    ("72.50", Decimal("72.5")), ("0.1", Decimal("0.1")), (68, Decimal("68")), ("100", Decimal("100")),
    ("-3.25", Decimal("-3.25")), ("1.123456", Decimal("1.123456")), ("999999999999.999999", Decimal("999999999999.999999")),
    ("-0", Decimal("0")), ("1.5000000000", Decimal("1.5")),
])
def test_d1_measurement_values_are_exact_decimals(raw, value):
    checked = check_value(Decimal(str(raw)))
    assert checked == value and str(checked) == str(value)


@pytest.mark.parametrize("raw", ["NaN", "sNaN", "Infinity", "-Infinity", "1e12", "-1000000000000",
                                 "0.0000001", "1.1234567", "abc", "",
                                 # beyond the decimal context: refused, not an overflow
                                 "1e999999999", "-1e999999999", "1E-999999999", "1e1000000"])
def test_d1_absurd_or_non_numeric_values_are_refused(raw):
    with pytest.raises(InvalidInput):
        check_value(raw)


def test_d1_floats_are_refused_because_they_are_not_exact():
    with pytest.raises(InvalidInput):
        check_value(0.1)
