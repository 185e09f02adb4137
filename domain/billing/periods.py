"""Subscription periods as calendar dates (S3, S4). Pure: dates in, dates out.

Every boundary of a subscription is the anchor day (the day of month it started on)
clamped to the month's length, counted in whole months from the first period start.
The anchor is kept apart from the current period start so that a subscription begun on
the 31st renews on 30 April, 31 May, 28/29 February and back on 31 March.

Periods are half-open: [period_start, renews_on). Dates are calendar days in the
account's time zone; the caller turns "now" into a local date first.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo


def add_months_clamped(anchor_day: int, year: int, month: int) -> date:
    """The anchor day in (year, month), clamped to the month's last day.

    `month` may lie outside 1..12 (month 14 of 2024 is February 2025), so adding
    months is `add_months_clamped(anchor, start.year, start.month + n)`.
    """
    if not 1 <= anchor_day <= 31:
        raise ValueError(f"anchor_day must be 1..31, got {anchor_day}")
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def _check_term(term_months: int) -> None:
    if term_months < 1:
        raise ValueError(f"term_months must be at least 1, got {term_months}")


def renewal_date(period_start: date, anchor_day: int, term_months: int) -> date:
    """The day a period starting on `period_start` ends (the next period's first day)."""
    _check_term(term_months)
    return add_months_clamped(anchor_day, period_start.year, period_start.month + term_months)


def days_in_period(period_start: date, renews_on: date) -> int:
    """Real calendar days of a period: 28-31 a month, 365 or 366 a year (S4)."""
    return (renews_on - period_start).days


def remaining_days(today: date, renews_on: date) -> int:
    """Days still to bill, today included: the day of a change is billed at the new price (S4)."""
    return (renews_on - today).days


def local_midnight_after(today: date, tz: str | tzinfo) -> datetime:
    """The first instant of the day after `today` in `tz`, as an aware UTC datetime.

    Quotes expire then at the latest (Q1): their proration was computed for `today`.
    `fold=0` picks the first midnight when clocks fall back across it, and lands on the
    first real instant of the day when a spring-forward gap swallows midnight.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    local = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    return local.astimezone(timezone.utc)
