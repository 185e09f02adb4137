"""RATE_LIMITED on logIn (per address and client, per client, and a looser per-address
ceiling), refreshSession and acceptInvitation (per client address), the identity doors
and two-factor codes, counted where every server process sees it: the database, or Redis
when REDIS_URL is set (SPEC I7)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import httpx
import pytest

from auth.rate_limit import Window
from tests.conftest import Api
from tests.support.flows import LOG_IN, PASSWORD, sign_up
from tests.support.services import redis_up

REFRESH = """mutation($input: RefreshSessionInput!) {
  refreshSession(input: $input) { accessToken userErrors { code } } }"""


@pytest.fixture
def client_at(db, settings):
    """An API client over an app with changed settings, calling from a given address."""
    from api.app import create_app

    def make(address: str | None = None, **overrides) -> Api:
        # Windows of decades: a fixed window's boundary never falls inside a test (one
        # did, for the mail ceiling's fixed hour, in CI at 19:00).
        for window in ("rate_limit_window_seconds", "two_factor_window_seconds", "mail_window_seconds"):
            overrides.setdefault(window, 10**9)
        client = Api(create_app(settings.replace(**overrides), manage_db=False))
        address = address or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
        client.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=client.app, client=(address, 40000)), base_url="http://test")
        return client

    return make


def codes(body: dict) -> list[str]:
    """Top-level codes, and RATE_LIMITED where a mutation's payload carries it."""
    found = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            found += [e["code"] for e in payload.get("userErrors") or [] if e["code"] == "RATE_LIMITED"]
    return found


async def log_in(api: Api, email: str, password: str = PASSWORD, **kwargs) -> dict:
    return await api(LOG_IN, {"input": {"email": email, "password": password}}, **kwargs)


async def test_log_in_is_limited_per_email(client_at):
    api = client_at(rate_limit_per_email=2, rate_limit_per_email_client=100, rate_limit_per_client=100)
    await sign_up(api, "olga@example.org")
    for _ in range(2):
        body = await log_in(api, "olga@example.org", "wrong password")
        assert body["data"]["logIn"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    body = await log_in(api, " OLGA@example.org ")  # the same address, written differently
    assert codes(body) == ["RATE_LIMITED"]  # in the payload: the contract's place for it
    refused = body["data"]["logIn"]
    assert refused["accessToken"] is None and "try again in" in refused["userErrors"][0]["message"]
    assert "errors" not in body
    other = await log_in(api, "someone-else@example.org")
    assert codes(other) == []  # another email still gets an answer (INVALID_CREDENTIALS)


async def test_the_right_password_does_not_get_through_once_limited(client_at):
    api = client_at(rate_limit_per_email=1, rate_limit_per_client=100)
    await sign_up(api, "pia@example.org")
    assert (await log_in(api, "pia@example.org", "wrong"))["data"]["logIn"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert codes(await log_in(api, "pia@example.org")) == ["RATE_LIMITED"]


async def test_log_in_is_limited_per_client_address_across_emails(client_at):
    api = client_at(address="10.0.0.7", rate_limit_per_client=3, rate_limit_per_email=100)
    for n in range(3):
        assert codes(await log_in(api, f"guess{n}@example.org")) == []
    assert codes(await log_in(api, "guess9@example.org")) == ["RATE_LIMITED"]
    elsewhere = client_at(address="10.0.0.8", rate_limit_per_client=3, rate_limit_per_email=100)
    assert codes(await log_in(elsewhere, "guess9@example.org")) == []


async def test_refresh_session_is_limited_per_client_address(client_at):
    api = client_at(rate_limit_per_client=2)
    for _ in range(2):
        body = await api(REFRESH, {"input": {"refreshToken": "not-a-token"}})
        assert body["data"]["refreshSession"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert codes(await api(REFRESH, {"input": {"refreshToken": "not-a-token"}})) == ["RATE_LIMITED"]


ACCEPT = """mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { accessToken userErrors { code } } }"""


async def test_accept_invitation_is_limited_per_client_address(client_at):
    api = client_at(rate_limit_per_client=2)
    guess = {"input": {"token": "guessed-token", "password": "correct horse 42", "name": "Eve"}}
    for _ in range(2):
        body = await api(ACCEPT, guess)
        assert body["data"]["acceptInvitation"]["userErrors"][0]["code"] == "INVITATION_INVALID"
    assert codes(await api(ACCEPT, guess)) == ["RATE_LIMITED"]


async def test_the_business_clock_does_not_reset_the_window(client_at):
    api = client_at(rate_limit_per_email=1, rate_limit_per_client=100)
    await log_in(api, "nina@example.org", "wrong", now="2026-04-30T23:30:00+02:00")
    body = await log_in(api, "nina@example.org", "wrong", now="2031-01-01T00:00:00+00:00")
    assert codes(body) == ["RATE_LIMITED"]


async def test_two_server_processes_share_the_count_through_the_database(client_at):
    first = client_at(address="10.1.1.1", rate_limit_per_email=2, rate_limit_per_client=100)
    second = client_at(address="10.1.1.2", rate_limit_per_email=2, rate_limit_per_client=100)
    await log_in(first, "shared@example.org", "wrong")
    await log_in(second, "shared@example.org", "wrong")
    assert codes(await log_in(first, "shared@example.org", "wrong")) == ["RATE_LIMITED"]
    from tortoise import connections

    _, rows = await connections.get("default").execute_query('SELECT "key", "count" FROM "rate_limit"')
    assert all("shared@example.org" not in row["key"] for row in rows)  # stored hashed


async def test_an_unreachable_redis_fails_closed_and_counts_nowhere_else(client_at):
    """I7: no silent second counter. A door whose counter cannot be reached refuses."""
    api = client_at(rate_limit_per_email=1, rate_limit_per_client=100, redis_url="redis://127.0.0.1:1/0",
                    redis_pool_timeout_seconds=0.5)
    body = await log_in(api, "fallback@example.org", "wrong")
    # Retryable, not the client's fault (O6).
    assert codes(body) == ["SERVICE_UNAVAILABLE"] and body["data"] is None
    assert body["errors"][0]["extensions"]["retryAfter"] == 5
    from tortoise import connections

    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "rate_limit"')
    assert rows[0]["n"] == 0


async def test_a_stranger_s_failures_do_not_lock_the_owner_out(client_at):
    """I7: failures count per (address, client) and per client; a stranger hammering one
    address from one client is stopped there, and refused attempts count nowhere, so the
    address's looser ceiling is never reached and its owner signs in from elsewhere."""
    limits = dict(rate_limit_per_email_client=3, rate_limit_per_client=100, rate_limit_per_email=10)
    stranger = client_at(address="10.9.9.9", **limits)
    await sign_up(stranger, "owner-i7@example.org")
    answers = [codes(await log_in(stranger, "owner-i7@example.org", f"guess {n}")) for n in range(30)]
    assert answers == [[]] * 3 + [["RATE_LIMITED"]] * 27
    owner = client_at(address="10.1.2.3", **limits)
    assert (await log_in(owner, "owner-i7@example.org"))["data"]["logIn"]["userErrors"] == []


async def test_the_per_address_ceiling_holds_across_clients(client_at):
    limits = dict(rate_limit_per_email_client=3, rate_limit_per_client=100, rate_limit_per_email=5)
    for n in range(5):
        await log_in(client_at(address=f"10.7.0.{n}", **limits), "ceiling@example.org", "wrong")
    assert codes(await log_in(client_at(address="10.7.1.1", **limits), "ceiling@example.org")) == ["RATE_LIMITED"]


async def test_successful_sign_ins_do_not_count(client_at):
    api = client_at(rate_limit_per_email_client=2, rate_limit_per_client=2, rate_limit_per_email=2)
    await sign_up(api, "frequent@example.org")
    for _ in range(6):
        assert (await log_in(api, "frequent@example.org"))["data"]["logIn"]["userErrors"] == []
    await log_in(api, "frequent@example.org", "wrong")
    await log_in(api, "frequent@example.org", "wrong")
    assert codes(await log_in(api, "frequent@example.org")) == ["RATE_LIMITED"]


RESET_ASK = """mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok } }"""
VERIFY = """mutation($t: String!) { verifyEmail(input: {token: $t}) { userErrors { code } } }"""
RESET = """mutation($t: String!) { resetPassword(input: {token: $t, newPassword: "a new pass 99"}) { userErrors { code } } }"""


async def test_reset_requests_are_limited_per_address_and_client_with_a_ceiling(client_at):
    """Every request counts (each may mail); registered or not, the answers are alike."""
    limits = dict(mail_per_email_client=2, mail_per_email=3, rate_limit_per_client=100)
    first = client_at(address="10.3.3.3", **limits)
    for email in ("nobody-i7@example.org", "also-nobody@example.org"):
        assert [codes(await first(RESET_ASK, {"e": email})) for _ in range(3)] == [[], [], ["RATE_LIMITED"]]
    second = client_at(address="10.3.3.4", **limits)
    assert codes(await second(RESET_ASK, {"e": "nobody-i7@example.org"})) == []
    assert codes(await second(RESET_ASK, {"e": "nobody-i7@example.org"})) == ["RATE_LIMITED"]  # ceiling 3


async def test_token_doors_are_limited_per_client(client_at):
    api = client_at(rate_limit_per_client=2)
    for query, name in ((VERIFY, "verifyEmail"), (RESET, "resetPassword")):
        other = client_at(rate_limit_per_client=2)
        for _ in range(2):
            assert (await other(query, {"t": "guessed"}))["data"][name]["userErrors"][0]["code"] == "TOKEN_INVALID"
        assert codes(await other(query, {"t": "guessed"})) == ["RATE_LIMITED"]
    assert api is not None


async def test_two_factor_codes_have_their_own_stricter_buckets(client_at):
    from tests.support.identity import LOG_IN_2FA, enrol_two_factor

    limits = dict(two_factor_per_email_client=2, two_factor_per_email=3, rate_limit_per_client=100,
                  rate_limit_per_email_client=100, rate_limit_per_email=100)
    api = client_at(address="10.4.4.4", **limits)
    me = await sign_up(api, "guessed-2fa@example.org")
    await enrol_two_factor(api, me["accessToken"])
    guess = {"e": "guessed-2fa@example.org", "p": PASSWORD, "c": "000000"}
    for _ in range(2):
        assert (await api(LOG_IN_2FA, guess))["data"]["logIn"]["userErrors"][0]["code"] == "TWO_FACTOR_INVALID"
    assert codes(await api(LOG_IN_2FA, guess)) == ["RATE_LIMITED"]
    other = client_at(address="10.4.4.5", **limits)
    assert (await other(LOG_IN_2FA, guess))["data"]["logIn"]["userErrors"][0]["code"] == "TWO_FACTOR_INVALID"
    assert codes(await client_at(address="10.4.4.6", **limits)(LOG_IN_2FA, guess)) == ["RATE_LIMITED"]


@pytest.mark.skipif(not redis_up(), reason="needs Redis at 127.0.0.1:6379")
async def test_with_redis_the_count_lives_in_redis(client_at):
    email = f"redis-{uuid.uuid4().hex[:8]}@example.org"
    first = client_at(rate_limit_per_email=2, rate_limit_per_client=100, redis_url="redis://127.0.0.1:6379/0",
                      rate_limit_window_seconds=3600)
    second = client_at(rate_limit_per_email=2, rate_limit_per_client=100, redis_url="redis://127.0.0.1:6379/0",
                       rate_limit_window_seconds=3600)
    await log_in(first, email, "wrong")
    await log_in(second, email, "wrong")
    assert codes(await log_in(first, email, "wrong")) == ["RATE_LIMITED"]
    from tortoise import connections

    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "rate_limit"')
    assert rows[0]["n"] == 0  # nothing went to the database


def test_windows_are_fixed_and_aligned_to_the_epoch():
    moment = datetime(2026, 5, 1, 12, 0, 42, tzinfo=timezone.utc)
    window = Window.at(moment, 60)
    assert window.start % 60 == 0 and window.start <= moment.timestamp() < window.start + 60
    assert window.retry_after(moment) == 18


@pytest.mark.postgres_only
async def test_a_burst_admits_exactly_the_limit_in_the_database(db, settings):
    """I7 with the database backend: 60 racing attempts, limit 10 per (address, client)."""
    import asyncio

    from auth.rate_limit import POLICIES, RateLimited, admit

    limited = settings.replace(rate_limit_per_email_client=10, rate_limit_per_client=1000,
                      rate_limit_per_email=1000, rate_limit_window_seconds=10**9)
    now = datetime.now(timezone.utc)

    async def attempt() -> bool:
        try:
            await admit(limited, "logIn", POLICIES["password"], address="burst@example.org", client="10.0.0.1",
                        now=now)
            return True
        except RateLimited:
            return False

    assert (await asyncio.gather(*[attempt() for _ in range(60)])).count(True) == 10


@pytest.mark.postgres_only
async def test_concurrent_attempts_are_each_counted_once(db, settings):
    """The upsert is atomic: 30 racing attempts get the counts 1..30, none lost."""
    import asyncio

    from auth.rate_limit import take

    window = Window.at(datetime.now(timezone.utc), settings.rate_limit_window_seconds)
    results = await asyncio.gather(*[take(settings, "logIn:email:race", window) for _ in range(30)])
    assert sorted(results) == list(range(1, 31))


async def test_counting_a_short_window_never_prunes_a_longer_window_still_running(db, settings, monkeypatch):
    """I5, I7: the two-factor (15 minutes) and mail (an hour) counters share the table with
    the one-minute sign-in counters; pruning old rows must keep every window that has not
    ended (an outside probe wiped the two-factor count with ~150 unrelated requests)."""
    from auth import rate_limit

    monkeypatch.setattr(rate_limit, "_PRUNE_CHANCE", 1.0)  # prune on every count
    plain = settings.replace(redis_url="")
    start = datetime(2026, 5, 10, 9, 0, tzinfo=timezone.utc)
    hour = Window.at(start, 3600)
    for _ in range(3):
        await rate_limit.take(plain, "mail:address:x", hour)
    for minute in range(1, 20):  # later minutes of the same hour, each counted and pruned
        moment = start.replace(minute=minute)
        await rate_limit.take(plain, f"logIn:client:{minute}", Window.at(moment, 60))
    assert await rate_limit.take(plain, "mail:address:x", hour) == 4
    from tortoise import connections

    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "rate_limit"')
    assert rows[0]["n"] <= 3  # the ended one-minute windows are gone: the mail row and the last minutes


async def test_strangers_on_many_clients_cannot_lock_the_owner_out_of_a_client_they_signed_in_from(client_at):
    """I7: guesses spread over many clients fill the per-address ceiling; the owner's own
    client (where they signed in before with the right password) is spared the ceiling,
    while a new client still meets it."""
    limits = dict(rate_limit_per_email_client=5, rate_limit_per_client=100, rate_limit_per_email=10)
    home = client_at(address="10.20.0.1", **limits)
    await sign_up(home, "spread@example.org")
    assert codes(await log_in(home, "spread@example.org")) == []  # signed in here once
    for n in range(3):  # 3 strangers × 5 guesses: the ceiling of 10 is reached
        stranger = client_at(address=f"10.21.0.{n}", **limits)
        for _ in range(5):
            await log_in(stranger, "spread@example.org", "a guess")
    assert codes(await log_in(client_at(address="10.22.0.1", **limits), "spread@example.org")) == ["RATE_LIMITED"]
    body = await log_in(home, "spread@example.org")
    assert codes(body) == [] and body["data"]["logIn"]["accessToken"]
    # The spared client still has its own, narrower limit: guessing there stops at 5.
    answers = [codes(await log_in(home, "spread@example.org", "wrong")) for _ in range(6)]
    assert answers == [[]] * 5 + [["RATE_LIMITED"]]


@pytest.mark.skipif(not redis_up(), reason="needs Redis at 127.0.0.1:6379")
async def test_a_recognised_client_is_remembered_in_redis_too(client_at):
    limits = dict(rate_limit_per_email_client=5, rate_limit_per_client=100, rate_limit_per_email=1,
                  redis_url="redis://127.0.0.1:6379/0")
    email = f"redis-home-{uuid.uuid4().hex[:8]}@example.org"
    home = client_at(**limits)
    await sign_up(home, email)
    assert codes(await log_in(home, email)) == []
    await log_in(client_at(**limits), email, "a guess")  # the ceiling of 1 is reached
    assert codes(await log_in(client_at(**limits), email)) == ["RATE_LIMITED"]
    assert codes(await log_in(home, email)) == []


@pytest.mark.parametrize("backend", ["database", "redis"])
async def test_a_recognised_client_stays_recognised_across_a_period_boundary(db, settings, backend):
    """Periods are fixed: a sign-in on the period's last day must still count for 30 days."""
    from auth import rate_limit

    if backend == "redis" and not redis_up():
        pytest.skip("needs Redis at 127.0.0.1:6379")
    chosen = settings.replace(redis_url="redis://127.0.0.1:6379/0" if backend == "redis" else "")
    period = rate_limit.RECOGNISED_DAYS * 86400
    now = datetime.now(timezone.utc)
    end = rate_limit.Window.at(now, period).start + period  # the current period's end
    signed_in = datetime.fromtimestamp(end - 3600, timezone.utc)  # an hour before it
    address, client = f"edge-{uuid.uuid4().hex[:8]}@example.org", "10.30.0.1"
    await rate_limit.recognise(chosen, address, client, signed_in)
    later = datetime.fromtimestamp(end + 20 * 86400, timezone.utc)  # 20 days into the next period
    assert await rate_limit.recognised(chosen, address, client, signed_in)
    assert await rate_limit.recognised(chosen, address, client, later)
    assert not await rate_limit.recognised(chosen, address, "10.30.0.2", later)
