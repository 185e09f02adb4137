"""The one clock. Business time ("now" for months, periods, quotes, timestamps written)
comes from here; outside production a request may move it (X-Casebook-Now), security
time (token expiry, rate limits) never moves."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    """Real time, for security decisions. Never moved by a test clock."""
    return datetime.now(timezone.utc)


def parse_business_now(header: str | None) -> datetime | None:
    """Parse an `X-Casebook-Now` value; None when absent or not a date-time with offset."""
    if not header:
        return None
    try:
        value = datetime.fromisoformat(header.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(timezone.utc)


def local_date(moment: datetime, time_zone: str) -> date:
    """The calendar day `moment` falls on in `time_zone`."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def month_key(moment: datetime, time_zone: str) -> str:
    """The calendar month (YYYY-MM) that `moment` falls in, in `time_zone` (A1, A2)."""
    day = local_date(moment, time_zone)
    return f"{day.year:04d}-{day.month:02d}"
