"""Two-factor sign-in (SPEC I5): enrolment, confirmation with ten recovery codes, logIn
with TWO_FACTOR_REQUIRED / TWO_FACTOR_INVALID, replay refused (RFC 6238 §5.2), recovery
codes single use, secrets encrypted at rest, disableTwoFactor; updateAccount and the
account's requireTwoFactor policy."""
import asyncio
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from domain.identity import two_factor
from domain.identity.models import RecoveryCode
from domain.accounts.models import Account, User
from domain.audit.models import AuditEvent
from domain.billing.models import Subscription
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.identity import (
    CONFIRM_2FA, DISABLE_2FA, LOG_IN_2FA, LOG_OUT, ME, START_2FA, UPDATE_ACCOUNT, codes, enrol_two_factor,
    next_code, top_code,
)
from tests.support.teammates import add_teammate

DOSSIERS = "{ dossiers(first: 5) { edges { node { id } } } }"
CREATE = """mutation { createDossier(input: {clientName: "Blocked"}) { dossier { id } userErrors { code message } } }"""
TEAM = "{ account { teammates { id } } }"


async def _log_in(api, email: str, code: str | None = None, password: str = PASSWORD) -> dict:
    return (await api.data(LOG_IN_2FA, {"e": email, "p": password, "c": code}))["logIn"]


async def test_enrolment_gives_a_secret_and_ten_recovery_codes_stored_hashed_and_encrypted(api):
    me = await sign_up(api, "enrol@example.org")
    started = (await api.data(START_2FA, token=me["accessToken"]))["startTwoFactorEnrollment"]
    uri = urlsplit(started["otpauthUri"])
    assert uri.scheme == "otpauth" and parse_qs(uri.query)["secret"] == [started["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["Casebook"]
    user = await User.get(email="enrol@example.org")
    assert started["secret"] not in (user.totp_pending_secret or "") and not user.two_factor_enabled

    wrong = (await api.data(CONFIRM_2FA, {"c": "000000"}, token=me["accessToken"]))["confirmTwoFactorEnrollment"]
    assert codes(wrong) == ["TWO_FACTOR_INVALID"] and wrong["recoveryCodes"] is None
    done = (await api.data(CONFIRM_2FA, {"c": pyotp.TOTP(started["secret"]).now()},
                           token=me["accessToken"]))["confirmTwoFactorEnrollment"]
    assert done["userErrors"] == [] and len(set(done["recoveryCodes"])) == 10
    user = await User.get(email="enrol@example.org")
    assert user.two_factor_enabled and started["secret"] not in user.totp_secret
    assert two_factor.decrypt_secret(user.id, user.totp_secret) == started["secret"]
    assert two_factor.decrypt_secret(user.id + 1, user.totp_secret) is None  # bound to its user
    stored = await RecoveryCode.filter(user_id=user.id).values_list("code_hash", flat=True)
    assert len(stored) == 10 and not set(stored) & set(done["recoveryCodes"])
    assert (await api.data(ME, token=me["accessToken"]))["me"]["user"]["twoFactorEnabled"] is True
    actions = await AuditEvent.filter(action__startswith="auth.two_factor").values_list("action", flat=True)
    assert set(actions) == {"auth.two_factor_enrollment_started", "auth.two_factor_enabled"}


async def test_enrolment_needs_a_proven_address(api):
    """Otherwise someone who signed up with another person's address could lock its
    owner out even after a password reset."""
    me = await sign_up(api, "unproven-2fa@example.org", verified=False)
    refused = (await api.data(START_2FA, token=me["accessToken"]))["startTwoFactorEnrollment"]
    assert codes(refused) == ["EMAIL_NOT_VERIFIED"] and refused["secret"] is None


async def test_log_in_asks_for_the_second_factor_and_refuses_a_replayed_code(api):
    me = await sign_up(api, "totp@example.org")
    totp, _ = await enrol_two_factor(api, me["accessToken"])
    without = await _log_in(api, "totp@example.org")
    assert codes(without) == ["TWO_FACTOR_REQUIRED"] and without["accessToken"] is None
    assert codes(await _log_in(api, "totp@example.org", "123456")) == ["TWO_FACTOR_INVALID"]
    code = next_code(totp)
    assert (await _log_in(api, "totp@example.org", code))["userErrors"] == []
    replayed = await _log_in(api, "totp@example.org", code)
    assert codes(replayed) == ["TWO_FACTOR_INVALID"] and replayed["accessToken"] is None
    # A wrong password with a right code still says only INVALID_CREDENTIALS.
    assert codes(await _log_in(api, "totp@example.org", totp.now(), "wrong password 1")) == ["INVALID_CREDENTIALS"]


async def test_the_confirming_code_cannot_sign_in_again(api):
    me = await sign_up(api, "confirm-replay@example.org")
    started = (await api.data(START_2FA, token=me["accessToken"]))["startTwoFactorEnrollment"]
    code = pyotp.TOTP(started["secret"]).now()
    await api.data(CONFIRM_2FA, {"c": code}, token=me["accessToken"])
    assert codes(await _log_in(api, "confirm-replay@example.org", code)) == ["TWO_FACTOR_INVALID"]


async def test_a_recovery_code_works_once(api):
    me = await sign_up(api, "recover@example.org")
    _, recovery = await enrol_two_factor(api, me["accessToken"])
    assert (await _log_in(api, "recover@example.org", recovery[0].upper().replace("-", " ")))["userErrors"] == []
    assert codes(await _log_in(api, "recover@example.org", recovery[0])) == ["TWO_FACTOR_INVALID"]
    assert (await _log_in(api, "recover@example.org", recovery[1]))["userErrors"] == []
    assert await RecoveryCode.filter(used_at__isnull=False).count() == 2
    assert await AuditEvent.filter(action="auth.recovery_code_used").count() == 2


@pytest.mark.postgres_only
async def test_one_code_racing_in_several_requests_is_accepted_once(db):
    """RFC 6238 §5.2 across processes: the step is claimed by one conditional UPDATE."""
    from domain.identity.passwords import hash_password

    user = await User.create(email="race-2fa@example.org", name="R", password_hash=hash_password(PASSWORD),
                             created_at=datetime.now(timezone.utc), email_verified_at=datetime.now(timezone.utc))
    secret = pyotp.random_base32()
    await User.filter(id=user.id).update(totp_secret=two_factor.encrypt_secret(user.id, secret),
                                         totp_enabled_at=datetime.now(timezone.utc))
    user = await User.get(id=user.id)
    moment = datetime.now(timezone.utc)
    code = pyotp.TOTP(secret).at(moment)
    results = await asyncio.gather(*[two_factor.verify_second_factor(user, code, now=moment, security_now=moment)
                                     for _ in range(12)])
    assert results.count(True) == 1


async def test_disabling_needs_the_password_and_a_code(api):
    me = await sign_up(api, "disable@example.org")
    totp, recovery = await enrol_two_factor(api, me["accessToken"])
    token = me["accessToken"]
    wrong_password = (await api.data(DISABLE_2FA, {"p": "nope nope 12", "c": next_code(totp)}, token=token))
    assert codes(wrong_password["disableTwoFactor"]) == ["INVALID_CREDENTIALS"]
    wrong_code = (await api.data(DISABLE_2FA, {"p": PASSWORD, "c": "111111"}, token=token))["disableTwoFactor"]
    assert codes(wrong_code) == ["TWO_FACTOR_INVALID"]
    assert (await User.get(email="disable@example.org")).two_factor_enabled
    done = (await api.data(DISABLE_2FA, {"p": PASSWORD, "c": recovery[3]}, token=token))["disableTwoFactor"]
    assert done == {"ok": True, "userErrors": []}
    assert not (await User.get(email="disable@example.org")).two_factor_enabled
    assert await RecoveryCode.all().count() == 0
    assert (await log_in(api, "disable@example.org"))["userErrors"] == []
    assert await AuditEvent.filter(action="auth.two_factor_disabled").count() == 1


async def test_a_reset_does_not_bypass_the_second_factor(api, settings):
    from tests.support.identity import REQUEST_RESET, RESET, link_token

    me = await sign_up(api, "reset-2fa@example.org")
    totp, _ = await enrol_two_factor(api, me["accessToken"])
    await api.data(REQUEST_RESET, {"e": "reset-2fa@example.org"})
    token = link_token(settings, "reset-2fa@example.org", "reset-password")
    refused = (await api.data(RESET, {"t": token, "p": "fresh pass 909"}))["resetPassword"]
    assert codes(refused) == ["TWO_FACTOR_REQUIRED"]
    assert (await api.data(ME, token=me["accessToken"]))["me"]  # nothing happened
    done = (await api.data(RESET, {"t": token, "p": "fresh pass 909", "c": next_code(totp)}))["resetPassword"]
    assert done["userErrors"] == []


async def test_update_account_owners_change_everything_admins_only_the_name(api, settings):
    owner = (await sign_up(api, "acc-owner@example.org", seats=3))["accessToken"]
    changed = (await api.data(UPDATE_ACCOUNT, {"input": {"name": "Renamed", "timeZone": "America/New_York"}},
                              token=owner))["updateAccount"]
    assert changed == {"account": {"name": "Renamed", "timeZone": "America/New_York", "requireTwoFactor": False},
                       "userErrors": []}
    admin = (await add_teammate(api, settings, owner, "acc-admin@example.org", "ADMIN"))["accessToken"]
    assert (await api.data(UPDATE_ACCOUNT, {"input": {"name": "By admin"}}, token=admin))["updateAccount"]["userErrors"] == []
    assert top_code(await api(UPDATE_ACCOUNT, {"input": {"timeZone": "Europe/Berlin"}}, token=admin)) == "FORBIDDEN"
    member = (await add_teammate(api, settings, owner, "acc-member@example.org"))["accessToken"]
    assert top_code(await api(UPDATE_ACCOUNT, {"input": {"name": "x"}}, token=member)) == "FORBIDDEN"
    for bad in ({"timeZone": "localtime"}, {"timeZone": "Factory"}, {"timeZone": "US/Eastern"},
                {"name": "\u200b"}, {"name": "two\nlines"}, {}):
        refused = (await api.data(UPDATE_ACCOUNT, {"input": bad}, token=owner))["updateAccount"]
        assert codes(refused) == ["INVALID_INPUT"], bad
    assert (await Account.get(name="By admin")).time_zone == "America/New_York"
    assert await AuditEvent.filter(action="account.updated").count() == 2


async def test_a_time_zone_change_makes_open_quotes_stale_and_rewrites_nothing(api):
    owner = await sign_up(api, "tz@example.org")
    before = await Subscription.get()
    await api.data(UPDATE_ACCOUNT, {"input": {"timeZone": "Pacific/Auckland"}}, token=owner["accessToken"])
    after = await Subscription.get()
    assert after.version == before.version + 1
    assert (after.period_start, after.renews_on) == (before.period_start, before.renews_on)


async def test_requiring_two_factor_blocks_a_teammate_without_it_until_they_enrol(api, settings):
    owner = (await sign_up(api, "policy-owner@example.org", seats=2))["accessToken"]
    member = (await add_teammate(api, settings, owner, "policy-member@example.org"))["accessToken"]
    refused = (await api.data(UPDATE_ACCOUNT, {"input": {"requireTwoFactor": True}}, token=owner))["updateAccount"]
    assert codes(refused) == ["TWO_FACTOR_REQUIRED"]  # the owner first, or they lock themselves out
    totp, _ = await enrol_two_factor(api, owner)
    required = (await api.data(UPDATE_ACCOUNT, {"input": {"requireTwoFactor": True}}, token=owner))["updateAccount"]
    assert required["account"]["requireTwoFactor"] is True
    assert await AuditEvent.filter(action="account.two_factor_policy_changed").count() == 1

    # The member can do nothing in the account: queries top-level, mutations a userError.
    assert top_code(await api(DOSSIERS, token=member)) == "TWO_FACTOR_REQUIRED"
    assert top_code(await api(TEAM, token=member)) == "TWO_FACTOR_REQUIRED"
    assert top_code(await api("{ me { account { teammates { id } } } }", token=member)) == "TWO_FACTOR_REQUIRED"
    blocked = (await api.data(CREATE, token=member))["createDossier"]
    assert codes(blocked) == ["TWO_FACTOR_REQUIRED"] and blocked["dossier"] is None
    from domain.dossiers.models import Dossier

    assert await Dossier.all().count() == 0
    # …but read `me`, enrol, and log out.
    assert (await api.data(ME, token=member))["me"]["user"]["email"] == "policy-member@example.org"
    member_totp, _ = await enrol_two_factor(api, member)
    # Enrolled: the same token works at once (the principal is re-read every request).
    assert (await api.data(DOSSIERS, token=member))["dossiers"] == {"edges": []}
    assert (await api.data(CREATE, token=member))["createDossier"]["userErrors"] == []
    assert (await api.data(LOG_OUT, {}, token=member))["logOut"]["userErrors"] == []


async def test_machine_credentials_are_not_affected_by_the_policy(api):
    from tests.api.auth.test_machine_credentials import CREATE as CREATE_CREDENTIAL, ISSUE

    owner = (await sign_up(api, "policy-machine@example.org"))["accessToken"]
    await enrol_two_factor(api, owner)
    await api.data(UPDATE_ACCOUNT, {"input": {"requireTwoFactor": True}}, token=owner)
    created = (await api.data(CREATE_CREDENTIAL, {"input": {"name": "Partner", "scopes": ["dossiers:read"]}},
                              token=owner))["createMachineCredential"]
    issued = (await api.data(ISSUE, {"id": created["credential"]["clientId"],
                                     "secret": created["clientSecret"]}))["issueMachineToken"]
    assert (await api.data(DOSSIERS, token=issued["accessToken"]))["dossiers"] == {"edges": []}


def test_every_mutation_carries_the_two_factor_gate():
    """I5 cannot be forgotten by a new mutation: the gate is added when the schema is built."""
    from schema.schema import Mutation
    from schema.two_factor_gate import TwoFactorGate

    ungated = [f.python_name for f in Mutation.__strawberry_definition__.fields
               if not any(isinstance(e, TwoFactorGate) for e in f.extensions)]
    assert ungated == []


SHARE_TO = """mutation($d: ID!, $e: String!) { shareDossier(input: {dossierId: $d, email: $e, access: CONTRIBUTOR}) {
  share { status } userErrors { code } } }"""
READ = "query($id: ID!) { dossier(id: $id) { clientName } }"
ADD = """mutation($id: ID!) { addEntry(input: {dossierId: $id, kind: NOTE, body: "via the share"}) {
  entry { id } userErrors { code } } }"""


async def test_a_teammate_without_two_factor_cannot_work_in_the_account_through_an_older_share(api):
    """I5: "a teammate without it can do nothing in that account but enrol" — also not
    through a share given to their address before they joined, while acting elsewhere."""
    from datetime import datetime, timezone

    from domain.accounts.models import Membership
    from tests.support.dossiers import create_ok, pk

    owner = (await sign_up(api, "strict-owner@example.org", seats=2))["accessToken"]
    joined = await sign_up(api, "two-hats@example.org")
    outsider = joined["accessToken"]  # acting in their own practice
    dossier = await create_ok(api, owner, "Strict client")
    shared = (await api.data(SHARE_TO, {"d": dossier, "e": "two-hats@example.org"}, token=owner))["shareDossier"]
    assert shared["share"]["status"] == "ACTIVE"
    assert (await api.data(READ, {"id": dossier}, token=outsider))["dossier"] == {"clientName": "Strict client"}

    user = await User.get(email="two-hats@example.org")
    owner_account = await Membership.get(user__email="strict-owner@example.org")
    await Membership.create(user_id=user.id, account_id=owner_account.account_id, role="MEMBER",
                            created_at=datetime.now(timezone.utc))
    await enrol_two_factor(api, owner)
    required = (await api.data(UPDATE_ACCOUNT, {"input": {"requireTwoFactor": True}}, token=owner))["updateAccount"]
    assert required["account"]["requireTwoFactor"] is True

    assert (await api.data(READ, {"id": dossier}, token=outsider))["dossier"] is None
    assert pk(dossier) not in [pk(e["node"]["id"]) for e in (await api.data(DOSSIERS, token=outsider))["dossiers"]["edges"]]
    assert codes((await api.data(ADD, {"id": dossier}, token=outsider))["addEntry"]) == ["NOT_FOUND"]

    await enrol_two_factor(api, outsider)  # enrolled: the share works again, on the next request
    assert (await api.data(READ, {"id": dossier}, token=outsider))["dossier"] == {"clientName": "Strict client"}
    assert (await api.data(ADD, {"id": dossier}, token=outsider))["addEntry"]["userErrors"] == []
