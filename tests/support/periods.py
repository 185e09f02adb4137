"""Periods counted two ways for the tests: walked renewal by renewal, as the service does
(`renewal_date`), and jumped to straight from a start (S3). The service only walks; the
jump is here so that tests can check the walk against a second count."""
from __future__ import annotations

from datetime import date

from domain.billing.periods import add_months_clamped, renewal_date


def next_period(period_start: date, anchor_day: int, term_months: int) -> tuple[date, date]:
    """The period after the one starting on `period_start`, walked as a renewal walks it."""
    start = renewal_date(period_start, anchor_day, term_months)
    return start, renewal_date(start, anchor_day, term_months)


def period_containing(start_date: date, anchor_day: int, term_months: int, today: date) -> tuple[date, date]:
    """The period of `today`, jumped to straight from `start_date` (a period boundary): a
    second way of counting, so the walk renewals take is checked against it."""
    assert today >= start_date
    elapsed = (today.year - start_date.year) * 12 + today.month - start_date.month
    k = elapsed // term_months
    boundary = add_months_clamped(anchor_day, start_date.year, start_date.month + k * term_months)
    if boundary > today:  # same month as the next boundary, but before its day
        k -= 1
        boundary = add_months_clamped(anchor_day, start_date.year, start_date.month + k * term_months)
    return boundary, renewal_date(boundary, anchor_day, term_months)
