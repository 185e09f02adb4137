"""Active clients over the API (SPEC A1–A3, A6): the month is the account's calendar
month at the business time of the write (X-Casebook-Now), the cap refuses the eleventh
client, `activeThisMonth`, `account.usage(month)` and `account.usageHistory`."""
from domain.dossiers.models import ActiveDossier, Dossier
from schema.relay import parse_global_id
from tests.support.dossiers import (
    ASSIGN, DOSSIER, USAGE, add_entry, create, create_ok, global_id, practice, record, teammate,
)

LATE_APRIL = "2026-04-30T23:30:00+02:00"  # 21:30 UTC, still April in Amsterdam
EARLY_MAY = "2026-05-01T00:10:00+02:00"   # 22:10 UTC on 30 April, but May in Amsterdam


async def _usage(api, token: str, month: str | None = None, *, now: str | None = None) -> dict:
    return (await api.data(USAGE, {"month": month}, token=token, now=now))["account"]["usage"]


async def test_a1_the_month_is_the_calendar_month_in_the_account_time_zone(api):
    owner = await practice(api, now="2026-04-01T10:00:00+02:00")
    dossier_id = await create_ok(api, owner.token, "Joost", now=LATE_APRIL)
    assert (await add_entry(api, owner.token, dossier_id, "Past midnight.", now=EARLY_MAY))["userErrors"] == []

    april, may = await _usage(api, owner.token, "2026-04"), await _usage(api, owner.token, "2026-05")
    assert (april["count"], [d["id"] for d in april["activeDossiers"]]) == (1, [dossier_id])
    assert (may["count"], [d["id"] for d in may["activeDossiers"]]) == (1, [dossier_id])
    assert (await _usage(api, owner.token, now=EARLY_MAY))["month"] == "2026-05"
    assert (await _usage(api, owner.token, now=LATE_APRIL))["month"] == "2026-04"


async def test_a2_a6_usage_shows_count_cap_reset_date_and_active_dossiers(api):
    owner = await practice(api, now="2026-04-15T10:00:00+02:00")
    a = await create_ok(api, owner.token, "Anna", now="2026-04-16T10:00:00+02:00")
    b = await create_ok(api, owner.token, "Bert", now="2026-04-17T10:00:00+02:00")
    usage = await _usage(api, owner.token, now="2026-04-20T10:00:00+02:00")
    assert usage == {"month": "2026-04", "count": 2, "limit": 10, "resetsOn": "2026-05-01",
                     "activeDossiers": [{"id": a, "clientName": "Anna"}, {"id": b, "clientName": "Bert"}]}
    # The subscription renews on the 15th; the count still resets on the 1st (A2).
    may = await _usage(api, owner.token, now="2026-05-01T00:00:00+02:00")
    assert (may["month"], may["count"], may["activeDossiers"], may["resetsOn"]) == ("2026-05", 0, [], "2026-06-01")

    history = "{ account { usageHistory(last: 3) { month count limit resetsOn } } }"
    rows = (await api.data(history, token=owner.token, now="2026-05-02T10:00:00+02:00"))["account"]["usageHistory"]
    assert [(r["month"], r["count"]) for r in rows] == [("2026-05", 0), ("2026-04", 2), ("2026-03", 0)]


async def test_a6_a_member_sees_the_count_but_only_their_own_active_dossiers(api):
    owner = await practice(api, now="2026-04-01T10:00:00+02:00")
    member_token, membership_id = await teammate(api, owner.account_id)
    mine = await create_ok(api, owner.token, "Assigned", now="2026-04-02T10:00:00+02:00")
    await create_ok(api, owner.token, "Not assigned", now="2026-04-02T10:00:00+02:00")
    await api.data(ASSIGN, {"input": {"dossierId": mine, "teammateId": global_id("Teammate", membership_id)}},
                   token=owner.token)
    usage = await _usage(api, member_token, "2026-04")
    assert usage["count"] == 2 and [d["id"] for d in usage["activeDossiers"]] == [mine]


async def test_a6_a_malformed_month_is_an_invalid_input_error(api):
    owner = await practice(api)
    for month in ["2026-13", "2026-4", "april", "２０２６-04"]:
        body = await api(USAGE, {"month": month}, token=owner.token)
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", month


async def test_a3_at_a_cap_of_ten_the_eleventh_is_refused_while_the_ten_go_on(api):
    owner = await practice(api, now="2026-04-01T10:00:00+02:00")  # UP_TO_10 by default
    now = "2026-04-20T10:00:00+02:00"
    ten = [await create_ok(api, owner.token, f"Client {n:02d}", now=now) for n in range(10)]

    refused = await create(api, owner.token, "Eleven", now=now)
    assert refused["dossier"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["ACTIVE_CLIENT_LIMIT_REACHED"]
    # Q5: the refusal carries the quote for the smallest tier with room (UP_TO_25).
    assert parse_global_id(refused["quote"]["id"])[0] == "Quote"
    from domain.billing.models import Subscription

    assert (await Subscription.get(account_id=owner.account_id)).tier == "UP_TO_10"  # only quoted
    assert await Dossier.filter(client_name="Eleven").count() == 0
    assert await ActiveDossier.all().count() == 10

    for dossier_id in ten:
        assert (await add_entry(api, owner.token, dossier_id, "Still fine.", now=now))["userErrors"] == []
        assert (await record(api, owner.token, dossier_id, now=now))["userErrors"] == []
    assert (await _usage(api, owner.token, now=now))["count"] == 10

    # A new month starts at zero: the eleventh client can be taken on in May.
    assert (await create(api, owner.token, "Eleven", now="2026-05-01T08:00:00+02:00"))["userErrors"] == []


async def test_a1_active_this_month_follows_the_account_month(api):
    owner = await practice(api, now="2026-04-01T10:00:00+02:00")
    dossier_id = await create_ok(api, owner.token, "Karin", now=LATE_APRIL)
    query = "query($id: ID!) { dossier(id: $id) { activeThisMonth } }"
    assert (await api.data(query, {"id": dossier_id}, token=owner.token, now=LATE_APRIL))["dossier"]["activeThisMonth"]
    # Reading in May does not make it active (A1).
    await api.data(DOSSIER, {"id": dossier_id}, token=owner.token, now=EARLY_MAY)
    assert not (await api.data(query, {"id": dossier_id}, token=owner.token, now=EARLY_MAY))["dossier"]["activeThisMonth"]


async def test_a1_other_time_zones_have_their_own_month(api):
    owner = await practice(api, now="2026-04-01T10:00:00+02:00", time_zone="America/New_York")
    # 02:00 UTC on 1 May is still 30 April in New York.
    await create_ok(api, owner.token, "Lena", now="2026-05-01T02:00:00+00:00")
    assert (await _usage(api, owner.token, "2026-04"))["count"] == 1
    assert (await _usage(api, owner.token, "2026-05"))["count"] == 0
