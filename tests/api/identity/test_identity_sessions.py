"""Sessions (SPEC I4): access tokens carry their session; logOut ends that session's
access tokens on the next request, logOut(everywhere) all of them, endSession one;
me.sessions shows start, last use and client; refresh-token reuse ends the session's
access tokens too. The principal stays one SQL statement per request."""
import jwt

from domain.identity.models import UserSession
from domain.audit.models import AuditEvent
from schema.relay import to_global_id
from tests.support.flows import LOG_IN, PASSWORD, log_in, sign_up
from tests.support.identity import END_SESSION, LOG_OUT, ME, SESSIONS, codes, top_code
from tests.support.statements import statements_of

REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  accessToken refreshToken userErrors { code } } }"""
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0"


async def test_access_tokens_carry_their_session(api):
    session = await sign_up(api, "carrier@example.org")
    claims = jwt.decode(session["accessToken"], options={"verify_signature": False})
    assert int(claims["sid"]) == (await UserSession.get(user__email="carrier@example.org")).id


async def test_log_out_ends_that_session_s_access_token_at_once(api):
    here = await sign_up(api, "leaver@example.org")
    other = await log_in(api, "leaver@example.org")
    assert (await api.data(LOG_OUT, {}, token=here["accessToken"]))["logOut"]["userErrors"] == []
    assert top_code(await api(ME, token=here["accessToken"])) == "UNAUTHENTICATED"
    assert codes((await api.data(REFRESH, {"t": here["refreshToken"]}))["refreshSession"]) == ["INVALID_CREDENTIALS"]
    assert (await api.data(ME, token=other["accessToken"]))["me"]  # another sign-in goes on
    # Audited in the account the session acted in, where its owners read the log (P1).
    assert await AuditEvent.filter(action="auth.log_out", account_id__isnull=False).count() == 1


async def test_log_out_everywhere_ends_every_session(api):
    sessions = [await sign_up(api, "everywhere@example.org")] + [await log_in(api, "everywhere@example.org")
                                                                 for _ in range(2)]
    await api.data(LOG_OUT, {"all": True}, token=sessions[1]["accessToken"])
    for session in sessions:
        assert top_code(await api(ME, token=session["accessToken"])) == "UNAUTHENTICATED"
        assert codes((await api.data(REFRESH, {"t": session["refreshToken"]}))["refreshSession"]) == ["INVALID_CREDENTIALS"]
    assert (await log_in(api, "everywhere@example.org"))["userErrors"] == []


async def test_me_sessions_lists_sign_ins_and_end_session_ends_one(api):
    first = await sign_up(api, "lister@example.org")
    second = (await api.data(LOG_IN, {"input": {"email": "lister@example.org", "password": PASSWORD}},
                             headers={"user-agent": FIREFOX}))["logIn"]
    listed = (await api.data(SESSIONS, token=second["accessToken"]))["me"]["sessions"]
    assert len(listed) == 2
    assert [s["current"] for s in listed] == [True, False]
    assert listed[0]["client"] == "Firefox 126 on Windows"
    assert listed[0]["createdAt"] and listed[0]["lastUsedAt"] >= listed[0]["createdAt"]

    ended = (await api.data(END_SESSION, {"id": listed[1]["id"]}, token=second["accessToken"]))["endSession"]
    assert ended == {"ok": True, "userErrors": []}
    assert top_code(await api(ME, token=first["accessToken"])) == "UNAUTHENTICATED"
    assert len((await api.data(SESSIONS, token=second["accessToken"]))["me"]["sessions"]) == 1
    assert await AuditEvent.filter(action="auth.session_ended").count() == 1


async def test_nobody_ends_another_person_s_session(api):
    victim = await sign_up(api, "target@example.org")
    stranger = await sign_up(api, "stranger-sessions@example.org")
    victim_session = (await api.data(SESSIONS, token=victim["accessToken"]))["me"]["sessions"][0]["id"]
    for session_id in (victim_session, "garbage", to_global_id("Dossier", 1)):
        refused = (await api.data(END_SESSION, {"id": session_id}, token=stranger["accessToken"]))["endSession"]
        assert codes(refused) == ["NOT_FOUND"] and refused["ok"] is False
    assert (await api.data(ME, token=victim["accessToken"]))["me"]


async def test_refreshing_records_the_last_use_and_keeps_the_session(api):
    session = await sign_up(api, "refresher@example.org")
    before = await UserSession.get(user__email="refresher@example.org")
    renewed = (await api.data(REFRESH, {"t": session["refreshToken"]}))["refreshSession"]
    after = await UserSession.get(user__email="refresher@example.org")
    assert after.id == before.id and after.last_used_at >= before.last_used_at
    assert await UserSession.filter(user__email="refresher@example.org").count() == 1
    assert (await api.data(ME, token=renewed["accessToken"]))["me"]


async def test_an_ordinary_request_writes_nothing_and_reads_the_principal_in_one_statement(api):
    """I4 made cheap: the session check is joined into the one principal read, and last
    use is not written per request."""
    session = await sign_up(api, "cheap@example.org")
    api.deliver = False  # the test's outbox delivery is no part of the request
    sent = await statements_of(api, "{ __typename }", token=session["accessToken"])
    assert len(sent) == 1 and "user_session" in sent[0], sent


async def test_tokens_from_before_sessions_are_refused(api, settings):
    """Access tokens without a session id (issued before migration 0008) fail; the
    client refreshes, and its refresh token's family became a session."""
    session = await sign_up(api, "old-token@example.org")
    claims = jwt.decode(session["accessToken"], options={"verify_signature": False})
    claims.pop("sid")
    old = jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers={"kid": settings.jwt_key_id})
    assert top_code(await api(ME, token=old)) == "UNAUTHENTICATED"
