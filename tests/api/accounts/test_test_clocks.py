"""Test clocks (SPEC O4, API.md "Test clocks"): an account lives at the latest business
time it has been given, and the worker acts for it as of that time — renewals and
scheduled changes, webhook retries and their one-day window."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest

from api.worker import build_worker, running_worker
from infra.settings import Environment
from tests.conftest import Api
from tests.support.billing import CATALOG, apply, ledger, new_key, quote_ok, subscription
from tests.support.flows import sign_up
from tests.support.teammates import add_teammate
from tests.support.webhooks import CREATE_DOSSIER, deliveries, send_due, subscribe

APRIL_15 = "2026-04-15T10:00:00+02:00"
MAY_10 = "2026-05-10T12:00:00+02:00"
MAY_15 = "2026-05-15T06:00:00+02:00"
CLOCK = "{ account { testClock } }"
ADVANCE = """mutation($to: DateTime!) { advanceTestClock(input: {to: $to}) {
  account { testClock subscription { periodStart } } userErrors { code message field } } }"""


def same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


class _Quiet:
    def webhook_attempt(self, result: str, seconds: float) -> None:
        return None

    def webhook_delivery_finished(self, status: str) -> None:
        return None


def fast(settings):
    """The worker polling and checking renewals every 50 ms: minutes of worker in a second."""
    return settings.replace(worker_poll_seconds=0.05, renewal_check_seconds=0.05, export_sweep_seconds=0.05)


async def eventually(check, seconds: float = 10.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


# --- the clock itself ----------------------------------------------------------------

async def test_o4_a_request_with_the_header_sets_the_clock_and_one_without_acts_at_it(api):
    owner = await sign_up(api, now=APRIL_15)
    token = owner["accessToken"]
    assert same_instant((await api.data(CLOCK, token=token))["account"]["testClock"], APRIL_15)

    await api.data(CLOCK, token=token, now=MAY_10)
    response = await api.http.post("/graphql", json={"query": CLOCK}, headers={"authorization": f"Bearer {token}"})
    assert same_instant(response.json()["data"]["account"]["testClock"], MAY_10)
    # A request without the header acts at the account's clock, and says so.
    assert same_instant(response.headers["x-casebook-now"], MAY_10)
    assert (await subscription(api, token))["periodStart"] == "2026-04-15"

    # An earlier header is used for that request but never moves the clock back.
    await api.data(CLOCK, token=token, now=APRIL_15)
    assert same_instant((await api.data(CLOCK, token=token))["account"]["testClock"], MAY_10)


async def test_o4_an_account_without_a_test_clock_runs_on_real_time(api):
    owner = await sign_up(api)
    assert (await api.data(CLOCK, token=owner["accessToken"]))["account"]["testClock"] is None


async def test_o4_advance_test_clock_moves_forward_only(api):
    owner = await sign_up(api, now=APRIL_15)
    token = owner["accessToken"]
    moved = (await api.data(ADVANCE, {"to": MAY_15}, token=token))["advanceTestClock"]
    assert moved["userErrors"] == []
    assert same_instant(moved["account"]["testClock"], MAY_15)
    # The payload is as of the new time: the period that began on 15 May.
    assert moved["account"]["subscription"]["periodStart"] == "2026-05-15"

    back = (await api.data(ADVANCE, {"to": MAY_10}, token=token))["advanceTestClock"]
    assert [(e["code"], e["field"]) for e in back["userErrors"]] == [("INVALID_INPUT", ["to"])]
    assert back["account"] is None
    assert same_instant((await api.data(CLOCK, token=token))["account"]["testClock"], MAY_15)


async def test_o4_an_account_on_real_time_cannot_be_moved_into_the_past(api):
    owner = await sign_up(api)
    back = (await api.data(ADVANCE, {"to": APRIL_15}, token=owner["accessToken"]))["advanceTestClock"]
    assert [e["code"] for e in back["userErrors"]] == ["INVALID_INPUT"]
    assert (await api.data(CLOCK, token=owner["accessToken"]))["account"]["testClock"] is None


@pytest.mark.parametrize("role", ["ADMIN", "MEMBER"])
async def test_o4_only_owners_advance_the_clock(api, settings, role):
    owner = await sign_up(api, now=APRIL_15, seats=2)
    teammate = await add_teammate(api, settings, owner["accessToken"], f"{role.lower()}@example.org", role)
    body = await api(ADVANCE, {"to": MAY_15}, token=teammate["accessToken"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert same_instant((await api.data(CLOCK, token=owner["accessToken"]))["account"]["testClock"], APRIL_15)


async def test_o4_machine_credentials_and_operators_cannot_advance_a_clock(api):
    from tests.api.webhooks.test_webhook_access import _machine_token
    from tests.support.billing import operator_token

    owner = await sign_up(api, now=APRIL_15)
    machine = await _machine_token(api, owner["accessToken"], ["dossiers:read", "dossiers:write", "webhooks:manage"])
    for token in (machine, await operator_token(api)):
        body = await api(ADVANCE, {"to": MAY_15}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A machine credential's request with the header moves its account's clock (it acts
    # in it), never back; the owner sees that clock.
    await api.data(CLOCK, token=machine, now=MAY_10)
    await api.data(CLOCK, token=machine, now=APRIL_15)
    assert same_instant((await api.data(CLOCK, token=owner["accessToken"]))["account"]["testClock"], MAY_10)


async def test_o4_advancing_one_account_leaves_every_other_account_alone(api):
    mine = await sign_up(api, now=APRIL_15)
    theirs = await sign_up(api, now=APRIL_15)
    assert (await api.data(ADVANCE, {"to": MAY_15}, token=mine["accessToken"]))["advanceTestClock"]["userErrors"] == []
    assert same_instant((await api.data(CLOCK, token=theirs["accessToken"]))["account"]["testClock"], APRIL_15)
    unsigned = await api(ADVANCE, {"to": MAY_15})
    assert unsigned["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_o4_production_has_no_test_clock(db, settings):
    from api.app import create_app

    production = Api(create_app(settings.replace(env=Environment.PRODUCTION), manage_db=False))
    try:
        owner = await sign_up(production, now=APRIL_15)
        token = owner["accessToken"]
        assert (await production.data(CLOCK, token=token))["account"]["testClock"] is None
        refused = (await production.data(ADVANCE, {"to": "2099-01-01T00:00:00Z"}, token=token))["advanceTestClock"]
        assert [e["code"] for e in refused["userErrors"]] == ["INVALID_INPUT"]
        assert (await production.data(CLOCK, token=token))["account"]["testClock"] is None
    finally:
        await production.http.aclose()


async def test_o4_access_tokens_keep_real_time_however_far_the_clock_moves(api):
    owner = await sign_up(api, now=APRIL_15)
    token = owner["accessToken"]
    assert (await api.data(ADVANCE, {"to": "2031-01-01T00:00:00Z"}, token=token))["advanceTestClock"]["userErrors"] == []
    body = await api(CLOCK, token=token)
    assert "errors" not in body and body["data"]["account"]["testClock"].startswith("2031-01-01")


# --- the worker acts as of each account's clock --------------------------------------

async def test_o4_the_worker_keeps_a_past_account_s_dates_and_renews_once_when_its_clock_passes(api, settings):
    api.differential = False  # reads race the running worker on purpose
    owner = await sign_up(api, now=APRIL_15)
    token = owner["accessToken"]
    q = await quote_ok(api, token, MAY_10, term="YEARLY")
    assert (await apply(api, token, q["id"], new_key(), MAY_10))["userErrors"] == []
    lines_before = len(await ledger(api, token))

    worker = build_worker(fast(settings), CATALOG, observer=_Quiet())
    async with running_worker(worker):
        await asyncio.sleep(0.6)  # a dozen renewal checks, at a wall clock months past 15 May
        sub = await subscription(api, token)
        assert (sub["term"], sub["periodStart"]) == ("MONTHLY", "2026-04-15")
        assert sub["scheduledChanges"] == [{"description": "Term: Monthly → Yearly", "effectiveOn": "2026-05-15"}]
        assert len(await ledger(api, token)) == lines_before

        moved = await api.data(ADVANCE, {"to": MAY_15}, token=token)
        assert moved["advanceTestClock"]["userErrors"] == []

        async def renewed():
            return [line for line in await ledger(api, token) if line["amount"]["amount"] == "316.80"]

        assert await eventually(renewed)
        await asyncio.sleep(0.3)  # more checks: still one renewal
    lines = await ledger(api, token)
    assert len(lines) == lines_before + 1 and lines[-1]["amount"]["amount"] == "316.80"
    sub = await subscription(api, token)
    assert (sub["term"], sub["periodStart"], sub["renewsOn"], sub["scheduledChanges"]) == (
        "YEARLY", "2026-05-15", "2027-05-15", [])



async def test_o4_webhook_retries_follow_the_account_clock_and_fail_a_day_after(api, settings, receiver):
    api.deliver = False
    owner = await sign_up(api, now=APRIL_15)
    token = owner["accessToken"]
    await subscribe(api, token, receiver.url, ["dossier.created"])
    receiver.script = [500] * 20
    await api.data(CREATE_DOSSIER, {"name": "Ann"}, token=token)

    await send_due(settings)
    [delivery] = await deliveries(api, token)
    assert (delivery["status"], delivery["attempts"]) == ("FAILING", 1)
    created = datetime.fromisoformat(delivery["createdAt"])
    assert created == datetime.fromisoformat(APRIL_15)
    # The first retry is 10 s (±20 %) later by the account's clock.
    wait = datetime.fromisoformat(delivery["nextAttemptAt"]) - created
    assert timedelta(seconds=8) <= wait <= timedelta(seconds=12)

    # The wall clock is months past it; the account's clock is not: nothing is due.
    await send_due(settings)
    assert len(receiver.received) == 1

    async def advance(to: datetime) -> None:
        moved = await api.data(ADVANCE, {"to": to.isoformat()}, token=token)
        assert moved["advanceTestClock"]["userErrors"] == []

    await advance(created + timedelta(seconds=13))
    await send_due(settings)
    [delivery] = await deliveries(api, token)
    assert (delivery["status"], delivery["attempts"], len(receiver.received)) == ("FAILING", 2, 2)
    # 30 s (±20 %) after the second attempt: still inside the day.
    await advance(created + timedelta(minutes=1))
    await send_due(settings)
    assert len(receiver.received) == 3

    await advance(created + timedelta(days=1, seconds=1))
    await send_due(settings)
    [delivery] = await deliveries(api, token)
    assert (delivery["status"], delivery["attempts"], delivery["nextAttemptAt"]) == ("FAILED", 4, None)
    # Every attempt sends the same body: the event's own business time.
    stamps = {json.loads(r.body)["timestamp"] for r in receiver.received}
    assert len(receiver.received) == 4 and len(stamps) == 1
    assert datetime.fromisoformat(stamps.pop()) == datetime.fromisoformat(APRIL_15)
