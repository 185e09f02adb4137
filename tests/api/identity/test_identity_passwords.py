"""changePassword, requestPasswordReset, resetPassword (SPEC I2, P1): other sessions and
older access tokens end on the very next request; a reset is single use, expires within
the hour, is stored hashed, and asking for one tells nothing about the address."""
import statistics
import time
from datetime import datetime, timedelta, timezone

import pytest

from domain.accounts.models import User
from domain.identity.models import IdentityToken
from domain.audit.models import AuditEvent
from tests.conftest import deliver_outbox
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.identity import (
    CHANGE_PASSWORD, ME, REQUEST_RESET, RESET, codes, link_token, mails_to, top_code,
)
from tests.support.teammates import mails

REFRESH = "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken userErrors { code } } }"
NEW = "brand new pass 31"


async def test_changing_the_password_ends_every_other_session_on_the_next_request(api, settings):
    here = await sign_up(api, "changer@example.org")
    elsewhere = await log_in(api, "changer@example.org")
    changed = (await api.data(CHANGE_PASSWORD, {"c": PASSWORD, "n": NEW}, token=here["accessToken"]))["changePassword"]
    assert changed["userErrors"] == [] and changed["accessToken"]
    # The other session and every access token from before are over.
    assert top_code(await api(ME, token=elsewhere["accessToken"])) == "UNAUTHENTICATED"
    assert top_code(await api(ME, token=here["accessToken"])) == "UNAUTHENTICATED"
    assert codes((await api.data(REFRESH, {"t": elsewhere["refreshToken"]}))["refreshSession"]) == ["INVALID_CREDENTIALS"]
    assert codes((await api.data(REFRESH, {"t": here["refreshToken"]}))["refreshSession"]) == ["INVALID_CREDENTIALS"]
    # The session it was made in goes on with its new tokens.
    assert (await api.data(ME, token=changed["accessToken"]))["me"]["user"]["email"] == "changer@example.org"
    assert (await api.data(REFRESH, {"t": changed["refreshToken"]}))["refreshSession"]["userErrors"] == []
    assert codes(await log_in(api, "changer@example.org")) == ["INVALID_CREDENTIALS"]
    assert (await log_in(api, "changer@example.org", NEW))["userErrors"] == []
    assert await AuditEvent.filter(action="auth.password_changed").count() == 1
    assert any("password was changed" in m["Subject"] for m in mails_to(settings, "changer@example.org"))


async def test_a_refused_change_writes_nothing(api):
    me = await sign_up(api, "careful@example.org")
    user = await User.get(email="careful@example.org")
    for current, new, code in ((PASSWORD + "x", NEW, "INVALID_CREDENTIALS"), (PASSWORD, "short", "INVALID_INPUT"),
                               (PASSWORD, PASSWORD, "INVALID_INPUT"), ("", NEW, "INVALID_CREDENTIALS")):
        refused = (await api.data(CHANGE_PASSWORD, {"c": current, "n": new}, token=me["accessToken"]))["changePassword"]
        assert codes(refused) == [code] and refused["accessToken"] is None
    after = await User.get(email="careful@example.org")
    assert (after.password_hash, after.token_version) == (user.password_hash, user.token_version)
    assert (await api.data(ME, token=me["accessToken"]))["me"]
    assert top_code(await api(CHANGE_PASSWORD, {"c": PASSWORD, "n": NEW})) == "UNAUTHENTICATED"


async def test_a_reset_mails_a_single_use_link_and_ends_every_session(api, settings):
    session = await sign_up(api, "forgetful@example.org")
    ok = (await api.data(REQUEST_RESET, {"e": " Forgetful@Example.org "}))["requestPasswordReset"]
    assert ok == {"ok": True, "userErrors": []}
    token = link_token(settings, "forgetful@example.org", "reset-password")
    stored = await IdentityToken.get(purpose="reset")
    assert stored.expires_at - stored.created_at <= timedelta(hours=1) and token not in stored.token_hash

    reset = (await api.data(RESET, {"t": token, "p": NEW}))["resetPassword"]
    assert reset["userErrors"] == [] and reset["accessToken"]
    assert top_code(await api(ME, token=session["accessToken"])) == "UNAUTHENTICATED"
    assert codes((await api.data(REFRESH, {"t": session["refreshToken"]}))["refreshSession"]) == ["INVALID_CREDENTIALS"]
    assert (await log_in(api, "forgetful@example.org", NEW))["userErrors"] == []
    again = (await api.data(RESET, {"t": token, "p": "yet another 55"}))["resetPassword"]
    assert codes(again) == ["TOKEN_INVALID"] and again["accessToken"] is None
    assert await AuditEvent.filter(action="auth.password_reset").count() == 1


async def test_reset_refusals_write_nothing(api, settings):
    await sign_up(api, "refusals@example.org")
    await api.data(REQUEST_RESET, {"e": "refusals@example.org"})
    token = link_token(settings, "refusals@example.org", "reset-password")
    before = await User.get(email="refusals@example.org")
    mailed = len(mails(settings))
    weak = (await api.data(RESET, {"t": token, "p": "short"}))["resetPassword"]
    assert codes(weak) == ["INVALID_INPUT"]
    for bad in ("nonsense", "", "y" * 300):
        assert codes((await api.data(RESET, {"t": bad, "p": NEW}))["resetPassword"]) == ["TOKEN_INVALID"]
    await IdentityToken.filter(purpose="reset").update(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert codes((await api.data(RESET, {"t": token, "p": NEW}))["resetPassword"]) == ["TOKEN_INVALID"]
    after = await User.get(email="refusals@example.org")
    assert (after.password_hash, after.token_version) == (before.password_hash, before.token_version)
    assert len(mails(settings)) == mailed


async def test_a_newer_reset_link_replaces_the_older_one(api, settings):
    await sign_up(api, "twice-reset@example.org")
    await api.data(REQUEST_RESET, {"e": "twice-reset@example.org"})
    first = link_token(settings, "twice-reset@example.org", "reset-password")
    await api.data(REQUEST_RESET, {"e": "twice-reset@example.org"})
    assert codes((await api.data(RESET, {"t": first, "p": NEW}))["resetPassword"]) == ["TOKEN_INVALID"]


@pytest.mark.serial
async def test_asking_for_a_reset_tells_nothing_about_the_address(api, settings):
    """The same answer for a registered, an unknown and a malformed address; a mail only
    to the registered one; and the timing does not tell them apart."""
    await sign_up(api, "known-reset@example.org")
    before = len(mails(settings))
    answers, timings = {}, {}
    for email in ("known-reset@example.org", "nobody-here@example.org", "not an address"):
        durations = []
        for _ in range(3):
            started = time.perf_counter()
            response = await api.http.post("/graphql", json={"query": REQUEST_RESET, "variables": {"e": email}})
            durations.append(time.perf_counter() - started)
            answers.setdefault(email, response.json()["data"])
        timings[email] = statistics.median(durations)
    assert len({str(answer) for answer in answers.values()}) == 1
    await deliver_outbox(settings)
    assert len(mails(settings)) == before + 3
    assert {m["To"] for m in mails(settings)[before:]} == {"known-reset@example.org"}
    floor = settings.identity_response_floor_seconds
    assert all(floor <= t < floor + 0.2 for t in timings.values()), timings
    assert max(timings.values()) - min(timings.values()) < 0.05, timings


async def test_a_reset_proves_the_address(api, settings):
    await sign_up(api, "unproven-reset@example.org", verified=False)
    await api.data(REQUEST_RESET, {"e": "unproven-reset@example.org"})
    reset = (await api.data(RESET, {"t": link_token(settings, "unproven-reset@example.org", "reset-password"),
                                    "p": NEW}))["resetPassword"]
    assert reset["viewer"]["user"]["emailVerified"] is True


async def test_i2_a_reset_or_sign_in_for_an_address_with_a_nul_byte_answers_like_any_other(api):
    """PostgreSQL refuses a NUL in a statement: such an address is looked up as no address
    (found by the bounded fuzz run through PgBouncer), never an internal error."""
    body = await api("""mutation { requestPasswordReset(input: {email: "a\\u0000b@example.org"}) {
        ok userErrors { code } } }""")
    assert "errors" not in body and body["data"]["requestPasswordReset"]["userErrors"] == []
    body = await api("""mutation { logIn(input: {email: "a\\u0000b@example.org", password: "some password 1"}) {
        accessToken userErrors { code } } }""")
    assert "errors" not in body
    assert [e["code"] for e in body["data"]["logIn"]["userErrors"]] == ["INVALID_CREDENTIALS"]
