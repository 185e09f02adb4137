"""The one clock. Business time ("now" for months, periods, quotes, timestamps written)
comes from here; outside production a request may move it (X-Casebook-Now), security
time (token expiry, rate limits) never moves."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    """Real time, for security decisions. Never moved by a test clock."""
    return datetime.now(timezone.utc)


# A test clock outside these years is refused: month and period arithmetic must not
# leave the calendar Python can represent.
TEST_CLOCK_YEARS = range(1970, 9000)


def parse_test_clock(value: str) -> datetime:
    """An `X-Casebook-Now` value as UTC: an ISO-8601 date-time with an offset
    (`2026-05-10T09:00:00+02:00`, `…Z`). ValueError says what is wrong with it."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:64]!r} is not an ISO-8601 date-time; send e.g. "
                         "2026-05-10T09:00:00+02:00") from None
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"{text[:64]!r} is a date without a time of day; send e.g. 2026-05-10T09:00:00+02:00")
    if moment.tzinfo is None:
        raise ValueError(f"{text[:64]!r} has no offset; send a date-time with one, e.g. "
                         "2026-05-10T09:00:00+02:00 or 2026-05-10T07:00:00Z")
    if moment.year not in TEST_CLOCK_YEARS:
        raise ValueError(f"{text[:64]!r} is outside the years {TEST_CLOCK_YEARS.start}-{TEST_CLOCK_YEARS.stop - 1}")
    return moment.astimezone(timezone.utc)


def parse_business_now(header: str | None) -> datetime | None:
    """Parse an `X-Casebook-Now` value; None when absent or not a date-time with offset."""
    if not header:
        return None
    try:
        return parse_test_clock(header)
    except ValueError:
        return None


def local_date(moment: datetime, time_zone: str) -> date:
    """The calendar day `moment` falls on in `time_zone`."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def month_key(moment: datetime, time_zone: str) -> str:
    """The calendar month (YYYY-MM) that `moment` falls in, in `time_zone` (A1, A2)."""
    day = local_date(moment, time_zone)
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> tuple[int, int] | None:
    """(year, month) of a "YYYY-MM" month key; None when it is not one."""
    if len(text) != 7 or not text.isascii() or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    # 9999 is refused so that the month after always exists.
    return (year, month) if 1 <= year < 9999 and 1 <= month <= 12 else None


def next_month_start(key: str) -> date:
    """The first day of the month after month `key` (when its active count resets, A2)."""
    year, month = parse_month(key) or (0, 0)
    if not year:
        raise ValueError(f"not a month key: {key!r}")
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def months_back(key: str, count: int) -> list[str]:
    """`count` month keys ending with `key`, newest first."""
    year, month = parse_month(key) or (0, 0)
    if not year:
        raise ValueError(f"not a month key: {key!r}")
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        if year < 1:
            break
    return keys
