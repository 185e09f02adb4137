"""A6: a past month's usage shows the cap that month had, not today's.
The cap of a past month is the tier in force at its end; this month's is today's."""
from domain.billing.models import TierChange
from tests.support.billing import apply, new_key, quote_ok
from tests.support.flows import sign_up

USAGE = "query($month: String) { account { usage(month: $month) { month limit } } }"
HISTORY = "{ account { usageHistory(last: 5) { month limit } } }"
JULY_10 = "2026-07-10T10:00:00+02:00"


async def _change(api, token: str, now: str, **change) -> None:
    assert (await apply(api, token, (await quote_ok(api, token, now, **change))["id"], new_key(), now))[
        "userErrors"] == []


async def _limit(api, token: str, month: str | None, now: str = JULY_10):
    return (await api.data(USAGE, {"month": month}, token=token, now=now))["account"]["usage"]["limit"]


async def test_a6_each_past_month_shows_the_cap_in_force_at_its_end(api):
    token = (await sign_up(api, now="2026-04-15T10:00:00+02:00", activeClientTier="UP_TO_25"))["accessToken"]
    await _change(api, token, "2026-05-10T10:00:00+02:00", activeClientTier="UP_TO_75")   # an increase, at once
    await _change(api, token, "2026-05-20T10:00:00+02:00", activeClientTier="UP_TO_10")   # a cut, on 15 June
    await _change(api, token, "2026-07-05T10:00:00+02:00", activeClientTier="UNLIMITED")  # no cron ran meanwhile

    assert await _limit(api, token, "2026-04") == 25
    assert await _limit(api, token, "2026-05") == 75
    assert await _limit(api, token, "2026-06") == 10   # the cut took effect mid-month: it capped the rest
    assert await _limit(api, token, "2026-07") is None  # this month: today's tier, unlimited
    assert await _limit(api, token, None) is None
    assert await _limit(api, token, "2026-03") == 25   # before the account existed: its first tier
    rows = (await api.data(HISTORY, token=token, now=JULY_10))["account"]["usageHistory"]
    assert [(r["month"], r["limit"]) for r in rows] == [
        ("2026-07", None), ("2026-06", 10), ("2026-05", 75), ("2026-04", 25), ("2026-03", 25)]

    changes = await TierChange.all().order_by("effective_on", "id").values_list("tier", "effective_on", "cause")
    assert [(tier, day.isoformat(), cause) for tier, day, cause in changes] == [
        ("UP_TO_25", "2026-04-15", "sign_up"), ("UP_TO_75", "2026-05-10", "quote"),
        ("UP_TO_10", "2026-06-15", "renewal"), ("UNLIMITED", "2026-07-05", "quote")]
