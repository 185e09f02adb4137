"""Periods follow the start day (S3) and are counted in whole local days (S4, Q1)."""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.billing.periods import (
    add_months_clamped,
    days_in_period,
    local_midnight_after,
    remaining_days,
    renewal_date,
)
from tests.support.periods import next_period, period_containing

TERMS = {1: (28, 31), 3: (89, 92), 6: (181, 184), 12: (365, 366)}
ZONES = ("Europe/Amsterdam", "America/New_York", "Pacific/Auckland")
ONE_MICROSECOND = timedelta(microseconds=1)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def test_s3_monthly_from_15_april_renews_15_may() -> None:
    assert period_containing(date(2024, 4, 15), 15, 1, date(2024, 5, 10)) == (date(2024, 4, 15), date(2024, 5, 15))
    assert next_period(date(2024, 4, 15), 15, 1) == (date(2024, 5, 15), date(2024, 6, 15))


def test_s3_start_on_the_31st_clamps_then_returns_to_the_31st() -> None:
    start, boundaries = date(2023, 12, 31), []
    period = (start, renewal_date(start, 31, 1))
    for _ in range(4):
        boundaries.append(period[1])
        period = next_period(period[0], 31, 1)
    assert boundaries == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_s3_yearly_from_29_february() -> None:
    assert renewal_date(date(2024, 2, 29), 29, 12) == date(2025, 2, 28)
    assert period_containing(date(2024, 2, 29), 29, 12, date(2028, 3, 1)) == (date(2028, 2, 29), date(2029, 2, 28))


def test_add_months_clamped_normalises_months_beyond_december() -> None:
    assert add_months_clamped(31, 2024, 14) == date(2025, 2, 28)
    assert add_months_clamped(30, 2024, 0) == date(2023, 12, 30)
    with pytest.raises(ValueError):
        add_months_clamped(32, 2024, 1)


def test_s4_remaining_days_bill_the_day_of_the_change() -> None:
    assert remaining_days(date(2024, 5, 10), date(2024, 5, 15)) == 5
    assert days_in_period(date(2024, 4, 15), date(2024, 5, 15)) == 30


@pytest.mark.slow
def test_s3_s4_q1_every_start_day_2020_to_2032_every_term_and_zone() -> None:
    """Exhaustive: periods tile, have real lengths, keep the anchor (S3); midnights are
    local and a period turns over exactly at the renewal day's local midnight (S4, Q1).

    Day boundaries are checked by instants, so a DST day (23 or 25 hours) still counts
    as one calendar day: remaining days never come from elapsed seconds.
    """
    first, last = date(2020, 1, 1), date(2032, 12, 31)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    first_periods: list[tuple[date, int, tuple[date, date]]] = []
    for day in days:
        anchor = day.day
        for months, (shortest, longest) in TERMS.items():
            start, renews = period_containing(day, anchor, months, day)
            assert start == day
            first_periods.append((day, months, (start, renews)))
            for _ in range(3):  # three periods: enough to come back to the 31st
                assert shortest <= days_in_period(start, renews) <= longest
                assert renews.day == min(anchor, calendar.monthrange(renews.year, renews.month)[1])
                assert period_containing(day, anchor, months, renews - timedelta(days=1)) == (start, renews)
                assert remaining_days(renews - timedelta(days=1), renews) == 1
                following = period_containing(day, anchor, months, renews)
                assert following[0] == renews  # no gap, no overlap
                assert next_period(start, anchor, months) == following
                start, renews = following
    for name in ZONES:
        zone = ZoneInfo(name)
        for day in days:
            midnight = local_midnight_after(day, name)
            assert midnight.tzinfo is timezone.utc
            assert local_day(midnight, zone) == day + timedelta(days=1)
            assert local_day(midnight - ONE_MICROSECOND, zone) == day
            assert midnight.astimezone(zone).time() == time(0)
            hours = (midnight - local_midnight_after(day - timedelta(days=1), name)) / timedelta(hours=1)
            assert hours in (23, 24, 25)
        for day, months, (start, renews) in first_periods:
            turnover = local_midnight_after(renews - timedelta(days=1), zone)
            before, after = local_day(turnover - ONE_MICROSECOND, zone), local_day(turnover, zone)
            assert period_containing(day, day.day, months, before) == (start, renews)
            assert period_containing(day, day.day, months, after)[0] == renews
            assert remaining_days(before, renews) == 1


def test_q1_midnight_swallowed_by_dst_is_the_first_instant_of_the_day() -> None:
    """Santiago moves its clocks at midnight, both ways."""
    zone = ZoneInfo("America/Santiago")
    for day in (date(2022, 9, 10), date(2022, 4, 2), date(2023, 9, 2), date(2023, 4, 1)):
        midnight = local_midnight_after(day, zone)
        assert local_day(midnight, zone) == day + timedelta(days=1)
        assert local_day(midnight - ONE_MICROSECOND, zone) == day


@given(
    start=st.dates(date(1990, 1, 1), date(2090, 12, 31)),
    months=st.sampled_from(sorted(TERMS)),
    count=st.integers(1, 40),
)
def test_s3_property_periods_tile_time(start: date, months: int, count: int) -> None:
    """Walking period by period and jumping straight to a day agree, with no gaps."""
    anchor, period = start.day, period_containing(start, start.day, months, start)
    for _ in range(count):
        low, high = TERMS[months]
        assert low <= days_in_period(*period) <= high
        middle = period[0] + (period[1] - period[0]) / 2
        assert period_containing(start, anchor, months, middle) == period
        successor = next_period(period[0], anchor, months)
        assert successor[0] == period[1]
        period = successor
