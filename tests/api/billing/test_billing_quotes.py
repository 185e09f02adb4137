"""Quotes that bind, applied once, through the API with X-Casebook-Now (S4, S5, Q1–Q4)."""
from __future__ import annotations

import asyncio

import pytest

from tests.support.billing import (
    apply, add_teammates, ledger, new_key, quote, quote_ok, renew, subscription,
)
from tests.support.flows import sign_up

APRIL_15 = "2026-04-15T10:00:00+02:00"
MAY_10 = "2026-05-10T12:00:00+02:00"
MAY_10_LATER = "2026-05-10T18:00:00+02:00"
MAY_11_JUST_AFTER_MIDNIGHT = "2026-05-11T00:00:30+02:00"
MAY_15 = "2026-05-15T06:00:00+02:00"


async def _owner(api, **extra) -> dict:
    return await sign_up(api, now=APRIL_15, **extra)


async def test_s4_source_example_upgrade_on_may_10_costs_the_difference_times_5_of_30(api):
    """Monthly from 15 April at UP_TO_10; on 10 May to UP_TO_25: (€45 − €30) × 5/30 = €2.50."""
    owner = await _owner(api)
    token = owner["accessToken"]

    q = await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_25")
    assert q["dueNow"] == {"amount": "2.50", "currency": "EUR"}
    assert q["pricePerPeriodAfter"]["amount"] == "45.00"
    assert q["expiresAt"] == "2026-05-10T22:00:00+00:00"  # Q1: local midnight in Amsterdam
    [line] = q["lines"]
    assert line["explanation"] == "€2.50 = (€45.00 − €30.00) × 5/30, half up"
    assert (line["remainingDays"], line["periodDays"], line["effectiveOn"]) == (5, 30, "2026-05-10")
    assert (line["change"], line["effect"], line["from"], line["to"]) == ("ACTIVE_CLIENT_TIER", "NOW", "UP_TO_10", "UP_TO_25")
    assert line["amount"]["amount"] == "2.50"

    # Q3: one key, sent three times, charges once and answers the same each time.
    key = new_key()
    results = [await apply(api, token, q["id"], key, MAY_10_LATER) for _ in range(3)]
    for result in results:
        assert result["userErrors"] == []
        assert result["charged"] == {"amount": "2.50", "currency": "EUR"}
        assert [line["amount"]["amount"] for line in result["ledgerLines"]] == ["2.50"]
        assert result["ledgerLines"][0]["quoteId"] == q["id"]
    assert results[0]["subscription"]["activeClientTier"] == "UP_TO_25"
    assert results[0]["subscription"]["pricePerPeriod"]["amount"] == "45.00"

    lines = await ledger(api, token, now=MAY_10_LATER)
    assert [(l["amount"]["amount"], l["periodStart"], l["periodEnd"]) for l in lines] == [
        ("30.00", "2026-04-15", "2026-05-15"),  # the first period, charged at sign-up
        ("2.50", "2026-05-10", "2026-05-15"),
    ]

    # From 15 May the whole new price applies.
    report = await renew(MAY_15)
    assert report.renewed == 1
    sub = await subscription(api, token, now=MAY_15)
    assert (sub["periodStart"], sub["renewsOn"], sub["pricePerPeriod"]["amount"]) == ("2026-05-15", "2026-06-15", "45.00")
    last = (await ledger(api, token, now=MAY_15))[-1]
    assert (last["amount"]["amount"], last["periodStart"], last["periodEnd"], last["quoteId"]) == (
        "45.00", "2026-05-15", "2026-06-15", None)


async def test_q2_a_quote_made_stale_by_another_change_is_refused(api):
    token = (await _owner(api))["accessToken"]
    tier = await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_25")
    seats = await quote_ok(api, token, MAY_10, seats=2)
    assert (await apply(api, token, seats["id"], new_key(), MAY_10))["userErrors"] == []
    refused = await apply(api, token, tier["id"], new_key(), MAY_10)
    assert [e["code"] for e in refused["userErrors"]] == ["QUOTE_STALE"]
    assert refused["charged"] is None
    assert len(await ledger(api, token, now=MAY_10)) == 2  # sign-up period + the seat, nothing for the stale one


async def test_q1_q2_a_quote_expires_at_local_midnight(api):
    token = (await _owner(api))["accessToken"]
    q = await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_25")
    refused = await apply(api, token, q["id"], new_key(), MAY_11_JUST_AFTER_MIDNIGHT)
    assert [e["code"] for e in refused["userErrors"]] == ["QUOTE_EXPIRED"]
    assert (await subscription(api, token, now=MAY_11_JUST_AFTER_MIDNIGHT))["activeClientTier"] == "UP_TO_10"
    assert len(await ledger(api, token, now=MAY_11_JUST_AFTER_MIDNIGHT)) == 1


async def test_s4_several_upgrades_in_a_period_cost_their_exact_sum_rounded_once(api):
    """Three single seats on the last day of a 31-day period: 15/31 each (€0.4838…).
    Rounded one by one they would cost 3 × €0.48; the running total charges
    round(45/31) = €1.45 in all: €0.48, €0.49, €0.48."""
    token = (await sign_up(api, now="2026-05-15T10:00:00+02:00"))["accessToken"]
    day = "2026-06-14T09:00:00+02:00"
    charged = []
    for seats in (2, 3, 4):
        q = await quote_ok(api, token, day, seats=seats)
        assert (q["lines"][0]["remainingDays"], q["lines"][0]["periodDays"]) == (1, 31)
        charged.append((await apply(api, token, q["id"], new_key(), day))["charged"]["amount"])
    assert charged == ["0.48", "0.49", "0.48"]
    assert "with this period's earlier prorations" in q["lines"][0]["explanation"]


async def test_s5_a_term_change_is_scheduled_with_nothing_due_now(api):
    token = (await _owner(api))["accessToken"]
    q = await quote_ok(api, token, MAY_10, term="YEARLY")
    assert q["dueNow"]["amount"] == "0.00"
    [line] = q["lines"]
    assert (line["effect"], line["effectiveOn"], line["amount"]["amount"]) == ("AT_RENEWAL", "2026-05-15", "0.00")
    # (1 × 15 + 15) × 12 less 12 % = 316.80
    assert q["pricePerPeriodAfter"]["amount"] == "316.80"
    applied = await apply(api, token, q["id"], new_key(), MAY_10)
    assert applied["charged"]["amount"] == "0.00" and applied["ledgerLines"] == []
    sub = await subscription(api, token, now=MAY_10)
    assert sub["term"] == "MONTHLY"
    assert sub["scheduledChanges"] == [{"description": "Term: Monthly → Yearly", "effectiveOn": "2026-05-15"}]

    await renew(MAY_15)
    sub = await subscription(api, token, now=MAY_15)
    assert (sub["term"], sub["periodStart"], sub["renewsOn"], sub["scheduledChanges"]) == (
        "YEARLY", "2026-05-15", "2027-05-15", [])
    assert (await ledger(api, token, now=MAY_15))[-1]["amount"]["amount"] == "316.80"


async def test_s5_a_seat_decrease_below_the_teammates_is_refused(api):
    owner = await _owner(api, seats=3)
    token = owner["accessToken"]
    await add_teammates(owner["viewer"]["account"]["id"], 2, now=APRIL_15)  # 3 teammates with the owner
    refused = await quote(api, token, MAY_10, seats=2)
    assert refused["quote"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("SEATS_BELOW_TEAMMATES", ["seats"])]
    same = await quote(api, token, MAY_10, seats=3)
    assert [e["code"] for e in same["userErrors"]] == ["INVALID_INPUT"]  # nothing would change


async def test_s5_a_later_increase_replaces_a_pending_decrease(api):
    token = (await _owner(api, seats=5))["accessToken"]
    down = await quote_ok(api, token, MAY_10, seats=3)
    assert down["dueNow"]["amount"] == "0.00" and down["lines"][0]["effect"] == "AT_RENEWAL"
    await apply(api, token, down["id"], new_key(), MAY_10)
    assert (await subscription(api, token, now=MAY_10))["scheduledChanges"] == [
        {"description": "Seats: 5 → 3", "effectiveOn": "2026-05-15"}]

    up = await quote_ok(api, token, MAY_10, seats=6)
    assert up["dueNow"]["amount"] == "2.50"  # one seat, 15 × 5/30
    assert [line["effect"] for line in up["lines"]] == ["NOW"]
    await apply(api, token, up["id"], new_key(), MAY_10)
    assert (await subscription(api, token, now=MAY_10))["scheduledChanges"] == []

    await renew(MAY_15)
    assert (await subscription(api, token, now=MAY_15))["seats"] == 6


async def test_s5_asking_for_the_current_value_withdraws_a_pending_change(api):
    token = (await _owner(api, activeClientTier="UP_TO_25"))["accessToken"]
    await apply(api, token, (await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_10"))["id"], new_key(), MAY_10)
    # A seat increase keeps the pending tier decrease (it is re-listed at renewal).
    seats = await quote_ok(api, token, MAY_10, seats=2)
    assert sorted(line["effect"] for line in seats["lines"]) == ["AT_RENEWAL", "NOW"]
    back = await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_25")
    assert [(line["effect"], line["amount"]["amount"]) for line in back["lines"]] == [("WITHDRAWN", "0.00")]
    await apply(api, token, back["id"], new_key(), MAY_10)
    assert (await subscription(api, token, now=MAY_10))["scheduledChanges"] == []


async def test_q3_bad_input_is_refused_and_charges_nothing(api):
    owner = await _owner(api)
    token = owner["accessToken"]
    other = await _owner(api)
    for change, field in [({"plan": "gold"}, "plan"), ({"seats": 0}, "seats"), ({"seats": 100001}, "seats"),
                          ({}, None)]:
        payload = await quote(api, token, MAY_10, **change)
        assert payload["quote"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_INPUT"], change
        if field:
            assert payload["userErrors"][0]["field"] == [field]
    unknown_tier = await api(
        "mutation { quoteSubscriptionChange(input: {activeClientTier: UP_TO_50}) { userErrors { code } } }",
        token=token, now=MAY_10)
    assert unknown_tier["errors"]  # not an enum value: refused by the schema itself

    theirs = await quote_ok(api, other["accessToken"], MAY_10, seats=2)
    refused = await apply(api, token, theirs["id"], new_key(), MAY_10)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["quoteId"])]
    garbage = await apply(api, token, "not-an-id", new_key(), MAY_10)
    assert [e["code"] for e in garbage["userErrors"]] == ["NOT_FOUND"]

    mine = await quote_ok(api, token, MAY_10, seats=2)
    key = new_key()
    assert (await apply(api, token, mine["id"], key, MAY_10))["userErrors"] == []
    later = await quote_ok(api, token, MAY_10, seats=3)
    reused = await apply(api, token, later["id"], key, MAY_10)
    assert [(e["code"], e["field"]) for e in reused["userErrors"]] == [("INVALID_INPUT", ["idempotencyKey"])]
    empty = await apply(api, token, later["id"], "  ", MAY_10)
    assert [e["code"] for e in empty["userErrors"]] == ["INVALID_INPUT"]
    assert (await subscription(api, token, now=MAY_10))["seats"] == 2
    assert len(await ledger(api, other["accessToken"], now=MAY_10)) == 1


async def test_quotes_are_nodes_only_their_owners_can_load(api):
    owner = await _owner(api)
    other = await _owner(api)
    q = await quote_ok(api, owner["accessToken"], MAY_10, seats=2)
    query = "query($id: ID!) { node(id: $id) { ... on Quote { id dueNow { amount } lines { description } } } }"
    mine = await api.data(query, {"id": q["id"]}, token=owner["accessToken"])
    assert mine["node"]["dueNow"]["amount"] == "2.50"
    assert (await api.data(query, {"id": q["id"]}, token=other["accessToken"]))["node"] is None


async def test_billing_mutations_need_the_owner(api):
    from tests.support.billing import QUOTE

    body = await api(QUOTE, {"input": {"seats": 2}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.postgres_only
async def test_q3_concurrent_applies_with_one_key_charge_once(api):
    token = (await _owner(api))["accessToken"]
    q = await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_25")
    key = new_key()
    results = await asyncio.gather(*[apply(api, token, q["id"], key, MAY_10) for _ in range(6)])
    assert all(r["userErrors"] == [] and r["charged"]["amount"] == "2.50" for r in results), results
    assert [l["amount"]["amount"] for l in await ledger(api, token, now=MAY_10)] == ["30.00", "2.50"]


@pytest.mark.postgres_only
async def test_q2_concurrent_applies_of_one_quote_with_different_keys_charge_once(api):
    token = (await _owner(api))["accessToken"]
    q = await quote_ok(api, token, MAY_10, activeClientTier="UP_TO_25")
    results = await asyncio.gather(*[apply(api, token, q["id"], new_key(), MAY_10) for _ in range(6)])
    codes = sorted(r["userErrors"][0]["code"] if r["userErrors"] else "OK" for r in results)
    assert codes == ["OK"] + ["QUOTE_STALE"] * 5
    assert [l["amount"]["amount"] for l in await ledger(api, token, now=MAY_10)] == ["30.00", "2.50"]
