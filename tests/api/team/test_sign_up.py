"""Sign-up and `me` (SPEC §1, P4, T1; API.md signUp)."""
from tests.support.flows import SIGN_UP, PASSWORD, sign_up

ME = "{ me { kind user { email name } account { name timeZone currency subscription { term seats activeClientTier periodStart renewsOn } } memberships { role } } }"


async def test_sign_up_creates_owner_account_and_default_subscription(api):
    payload = await sign_up(api, "Ada@Example.org", now="2026-04-15T09:00:00+02:00")
    me = (await api.data(ME, token=payload["accessToken"], now="2026-04-15T09:01:00+02:00"))["me"]
    assert me["kind"] == "PAID"
    assert me["user"]["email"] == "ada@example.org"
    assert me["memberships"] == [{"role": "OWNER"}]
    assert me["account"]["timeZone"] == "Europe/Amsterdam"
    sub = me["account"]["subscription"]
    assert sub == {"term": "MONTHLY", "seats": 1, "activeClientTier": "UP_TO_10",
                   "periodStart": "2026-04-15", "renewsOn": "2026-05-15"}


async def test_me_without_token_is_unauthenticated(api):
    body = await api(ME)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["extensions"]["requestId"]


async def test_sign_up_refuses_bad_input_and_writes_nothing(api):
    from domain.accounts.models import User

    cases = [
        ({"email": "not-an-email"}, "INVALID_INPUT", ["email"]),
        ({"password": "short"}, "INVALID_INPUT", ["password"]),
        ({"password": "aaaaaaaaaaaa"}, "INVALID_INPUT", ["password"]),
        ({"timeZone": "Mars/Olympus"}, "INVALID_INPUT", ["timeZone"]),
        ({"name": "x" * 201}, "INVALID_INPUT", ["name"]),
        ({"accountName": "  "}, "INVALID_INPUT", ["accountName"]),
        ({"seats": 0}, "INVALID_INPUT", ["seats"]),
        ({"plan": "gold"}, "INVALID_INPUT", ["plan"]),
    ]
    for override, code, field in cases:
        variables = {"input": {"email": "new@example.org", "password": PASSWORD, "name": "N",
                               "accountName": "A", **override}}
        payload = (await api.data(SIGN_UP, variables))["signUp"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], override
        assert payload["accessToken"] is None
    assert await User.all().count() == 0


async def test_sign_up_twice_with_one_email_is_refused(api):
    await sign_up(api, "twice@example.org")
    variables = {"input": {"email": " TWICE@example.org ", "password": PASSWORD, "name": "N", "accountName": "A"}}
    payload = (await api.data(SIGN_UP, variables))["signUp"]
    assert payload["userErrors"][0]["code"] == "ALREADY_EXISTS"


async def test_signing_up_and_signing_in_are_one_unit_of_work(api, monkeypatch):
    """I1, P1: the account, its owner and the first session commit together; when the
    sign-in fails, no login, account or audit entry is left and the address can sign up."""
    from domain.accounts.models import Account, User
    from domain.audit.models import AuditEvent

    async def broken(*args, **kwargs):
        raise RuntimeError("no session today")

    variables = {"input": {"email": "atomic@example.org", "password": PASSWORD, "name": "A", "accountName": "A"}}
    with monkeypatch.context() as patched:
        patched.setattr("domain.team.sign_up.issue_session", broken)
        body = await api(SIGN_UP, variables)
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert not await User.exists(email="atomic@example.org")
    assert await Account.all().count() == 0
    assert await AuditEvent.filter(action="auth.sign_up").count() == 0
    assert (await api.data(SIGN_UP, variables))["signUp"]["userErrors"] == []
