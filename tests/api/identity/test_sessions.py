"""Logging in, refresh rotation and reuse, logging out, switching accounts, revocation
(SPEC P1, P4, T1, T2, G6; API.md Tokens)."""
import jwt

from domain.accounts.models import User
from domain.audit.models import AuditEvent
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.teammates import accept, add_teammate, invitation_token, invite

REFRESH = """
mutation($t: String!) {
  refreshSession(input: {refreshToken: $t}) { accessToken refreshToken viewer { kind account { id } } userErrors { code message } }
}"""
LOG_OUT = "mutation($t: String!) { logOut(input: {refreshToken: $t}) { userErrors { code } } }"
SWITCH = """
mutation($id: ID!) {
  switchAccount(input: {accountId: $id}) { accessToken refreshToken viewer { account { id name } } userErrors { code field } }
}"""
ME = "{ me { kind user { email } account { id } } }"
AUDIT = "{ account { auditLog(first: 50) { edges { node { action subject actorUserId createdAt } } } } }"


def codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def top_code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def refresh(api, token: str) -> dict:
    return (await api.data(REFRESH, {"t": token}))["refreshSession"]


async def test_log_in_returns_a_working_session(api):
    signed_up = await sign_up(api, "login@example.org")
    session = await log_in(api, " LOGIN@example.org ")
    assert session["userErrors"] == []
    assert session["viewer"] == {"kind": "PAID", "account": {"id": signed_up["viewer"]["account"]["id"]}}
    me = (await api.data(ME, token=session["accessToken"]))["me"]
    assert me["user"]["email"] == "login@example.org"


async def test_wrong_password_and_unknown_email_get_the_same_answer(api):
    """P4: sign-in errors never tell whether an email is registered."""
    await sign_up(api, "known@example.org")
    wrong_password = await log_in(api, "known@example.org", "not the password 1")
    unknown_email = await log_in(api, "nobody@example.org", PASSWORD)
    malformed = await log_in(api, "not-an-email", PASSWORD)
    assert wrong_password["userErrors"] == unknown_email["userErrors"] == malformed["userErrors"]
    assert codes(wrong_password) == ["INVALID_CREDENTIALS"]
    assert wrong_password["accessToken"] is None


async def test_refresh_rotates_the_refresh_token(api):
    """T1: every use gives a new pair; the presented token is used up."""
    first = await sign_up(api)
    second = await refresh(api, first["refreshToken"])
    assert second["userErrors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    assert second["viewer"]["account"]["id"] == first["viewer"]["account"]["id"]
    third = await refresh(api, second["refreshToken"])
    assert third["userErrors"] == [] and (await api.data(ME, token=third["accessToken"]))["me"]


async def test_reusing_an_old_refresh_token_revokes_the_whole_chain(api):
    """T1: a used token presented again means it leaked: the newest token dies too, and
    (I4) so do the session's access tokens."""
    first = await sign_up(api, "reused@example.org")
    second = await refresh(api, first["refreshToken"])
    # Past the grace interval for parallel refreshes (O6; tests/api/identity/test_identity_retries.py).
    from tests.api.identity.test_identity_retries import age_use

    await age_use(first["refreshToken"], 3600)
    assert codes(await refresh(api, first["refreshToken"])) == ["INVALID_CREDENTIALS"]
    assert codes(await refresh(api, second["refreshToken"])) == ["INVALID_CREDENTIALS"]
    assert await AuditEvent.filter(action="auth.refresh_reuse").count() == 1
    assert top_code(await api(ME, token=second["accessToken"])) == "UNAUTHENTICATED"
    # Another sign-in is a new chain and unaffected.
    fresh = await log_in(api, "reused@example.org")
    assert (await refresh(api, fresh["refreshToken"]))["userErrors"] == []


async def test_unknown_refresh_tokens_are_refused(api):
    for token in ("nonsense", "", "x" * 1000):
        assert codes(await refresh(api, token)) == ["INVALID_CREDENTIALS"]


async def test_log_out_ends_the_session(api):
    session = await sign_up(api)
    body = await api.data(LOG_OUT, {"t": session["refreshToken"]}, token=session["accessToken"])
    assert body["logOut"]["userErrors"] == []
    assert codes(await refresh(api, session["refreshToken"])) == ["INVALID_CREDENTIALS"]
    assert await AuditEvent.filter(action="auth.log_out").count() == 1
    assert top_code(await api(LOG_OUT, {"t": session["refreshToken"]})) == "UNAUTHENTICATED"


async def test_switch_account_acts_in_another_account_of_the_same_person(api, settings):
    own = await sign_up(api, "two-hats@example.org")
    other_owner = (await sign_up(api, "host@example.org", seats=2))["accessToken"]
    await invite(api, other_owner, "two-hats@example.org")
    joined = await accept(api, invitation_token(settings, "two-hats@example.org"), password=None, name=None,
                          token=own["accessToken"])
    host_account = joined["viewer"]["account"]["id"]
    assert host_account != own["viewer"]["account"]["id"]

    back = (await api.data(SWITCH, {"id": own["viewer"]["account"]["id"]}, token=joined["accessToken"]))["switchAccount"]
    assert back["userErrors"] == [] and back["viewer"]["account"]["id"] == own["viewer"]["account"]["id"]
    me = (await api.data(ME, token=back["accessToken"]))["me"]
    assert me["account"]["id"] == own["viewer"]["account"]["id"]

    stranger_account = (await sign_up(api, "stranger@example.org"))["viewer"]["account"]["id"]
    for account_id in (stranger_account, "garbage"):
        refused = (await api.data(SWITCH, {"id": account_id}, token=back["accessToken"]))["switchAccount"]
        assert codes(refused) == ["NOT_FOUND"] and refused["accessToken"] is None


async def test_bumping_the_token_version_revokes_access_tokens_at_once(api):
    """API.md Tokens `ver`: bumping it revokes every token on the next request."""
    session = await sign_up(api, "bumped@example.org")
    assert (await api.data(ME, token=session["accessToken"]))["me"]
    await User.filter(email="bumped@example.org").update(token_version=2)
    assert top_code(await api(ME, token=session["accessToken"])) == "UNAUTHENTICATED"
    # A fresh sign-in carries the new version.
    assert (await api.data(ME, token=(await log_in(api, "bumped@example.org"))["accessToken"]))["me"]


async def test_forged_access_tokens_are_unauthenticated(api, settings):
    """T3 over HTTP: alg none, a wrong key and a refresh token all fail alike."""
    session = await sign_up(api)
    claims = jwt.decode(session["accessToken"], options={"verify_signature": False})
    forged = [
        jwt.encode(claims, None, algorithm="none", headers={"kid": settings.jwt_key_id}),
        jwt.encode(claims, "another-secret-0123456789abcdef0123456789", algorithm="HS256",
                   headers={"kid": settings.jwt_key_id}),
        session["refreshToken"],
        session["accessToken"] + "x",
    ]
    for token in forged:
        assert top_code(await api(ME, token=token)) == "UNAUTHENTICATED"


async def test_audit_log_shows_sign_ins_and_failed_sign_ins_are_recorded(api):
    """P1: sign-in and failed sign-in are logged; owners read their account's log."""
    owner = await sign_up(api, "audited@example.org")
    await log_in(api, "audited@example.org", "wrong password 99")
    signed_in = await log_in(api, "audited@example.org")
    edges = (await api.data(AUDIT, token=signed_in["accessToken"]))["account"]["auditLog"]["edges"]
    actions = [edge["node"]["action"] for edge in edges]
    assert actions[0] == "auth.sign_in" and "auth.sign_up" in actions
    assert all(edge["node"]["actorUserId"] == owner["viewer"]["user"]["id"] for edge in edges)
    # A failed sign-in belongs to no account (the login may be in several); it is stored
    # with the user it targeted, and unknown emails only by a hash of the address.
    user = await User.get(email="audited@example.org")
    assert await AuditEvent.filter(action="auth.sign_in_failed", actor_user_id=user.id).count() == 1
    await log_in(api, "ghost@example.org")
    ghost = await AuditEvent.filter(action="auth.sign_in_failed", actor_user_id__isnull=True).get()
    assert "ghost" not in (ghost.subject or "")


async def test_audit_log_is_forbidden_to_members(api, settings):
    owner = (await sign_up(api, seats=2))["accessToken"]
    member = (await add_teammate(api, settings, owner, "just-member@example.org"))["accessToken"]
    assert top_code(await api(AUDIT, token=member)) == "FORBIDDEN"
    assert top_code(await api(AUDIT)) == "UNAUTHENTICATED"
