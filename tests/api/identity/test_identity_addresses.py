"""Proven addresses (SPEC I1): the sign-up mail, verifyEmail, resendEmailVerification,
shares that wait for the proof, G2/G3 trusting only proven addresses, and squatting on
someone else's address, end to end."""
from datetime import datetime, timedelta, timezone

from domain.accounts.models import User
from domain.identity.models import IdentityToken
from domain.audit.models import AuditEvent
from domain.shares.models import Share
from tests.api.shares.test_shares import MY_SHARES, owner_with_dossier, share
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.identity import (
    ME, REQUEST_EMAIL_CHANGE, REQUEST_RESET, RESEND, RESET, VERIFY, codes, link_token, mails_to, top_code,
)
from tests.support.shares import mails, token_in
from tests.support.teammates import accept

DOSSIER = "query($id: ID!) { dossier(id: $id) { id clientName } }"


async def test_sign_up_mails_a_link_that_proves_the_address(api, settings):
    signed_up = await sign_up(api, "new@example.org", verified=False)
    me = (await api.data(ME, token=signed_up["accessToken"]))["me"]
    assert me["user"] == {"email": "new@example.org", "emailVerified": False, "twoFactorEnabled": False}
    [mail] = mails_to(settings, "new@example.org")
    assert "/verify-email?token=" in mail.get_content()
    token = link_token(settings, "new@example.org", "verify-email")
    stored = await IdentityToken.get(user__email="new@example.org")
    assert token not in stored.token_hash and len(stored.token_hash) == 64  # only a hash is kept

    proven = (await api.data(VERIFY, {"t": token}, token=signed_up["accessToken"]))["verifyEmail"]
    assert proven["userErrors"] == [] and proven["viewer"]["user"]["emailVerified"] is True
    assert proven["accessToken"] is None  # a mailed token signs no one in
    assert await AuditEvent.filter(action="auth.email_verified").count() == 1
    # Single use.
    again = (await api.data(VERIFY, {"t": token}))["verifyEmail"]
    assert codes(again) == ["TOKEN_INVALID"] and again["viewer"] is None


async def test_verifying_without_being_signed_in_proves_but_shows_nothing(api, settings):
    await sign_up(api, "phone@example.org", verified=False)
    done = (await api.data(VERIFY, {"t": link_token(settings, "phone@example.org", "verify-email")}))["verifyEmail"]
    assert done["userErrors"] == [] and done["viewer"] is None
    assert (await User.get(email="phone@example.org")).email_verified


async def test_unknown_expired_and_replaced_verification_tokens_are_refused(api, settings):
    signed_up = await sign_up(api, "slow@example.org", verified=False)
    first = link_token(settings, "slow@example.org", "verify-email")
    resent = (await api.data(RESEND, token=signed_up["accessToken"]))["resendEmailVerification"]
    assert resent == {"ok": True, "userErrors": []}
    second = link_token(settings, "slow@example.org", "verify-email")
    assert second != first
    for token in ("nonsense", "", "x" * 500, first):  # the resend replaced the first link
        assert codes((await api.data(VERIFY, {"t": token}))["verifyEmail"]) == ["TOKEN_INVALID"]
    await IdentityToken.filter(user__email="slow@example.org", used_at__isnull=True).update(
        expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert codes((await api.data(VERIFY, {"t": second}))["verifyEmail"]) == ["TOKEN_INVALID"]
    assert not (await User.get(email="slow@example.org")).email_verified


async def test_resending_to_a_proven_address_mails_nothing(api, settings):
    signed_up = await sign_up(api, "done@example.org")
    before = len(mails(settings))
    assert (await api.data(RESEND, token=signed_up["accessToken"]))["resendEmailVerification"]["ok"] is True
    assert len(mails(settings)) == before
    assert top_code(await api(RESEND)) == "UNAUTHENTICATED"


async def test_a_share_to_an_unproven_login_waits_for_the_proof(api, settings):
    """I1: PENDING with an invitation mail; usable once the address is proven."""
    owner = await owner_with_dossier(api, "practice@example.org")
    holder = await sign_up(api, "unproven@example.org", verified=False)
    given = await share(api, owner, "unproven@example.org")
    assert given["share"]["status"] == "PENDING"
    assert any("accept-invitation" in m.get_content() for m in mails_to(settings, "unproven@example.org"))
    assert (await api.data(DOSSIER, {"id": owner["dossier_id"]}, token=holder["accessToken"]))["dossier"] is None
    assert (await api.data(MY_SHARES, token=holder["accessToken"]))["me"]["shares"] == []

    token = link_token(settings, "unproven@example.org", "verify-email")
    await api.data(VERIFY, {"t": token}, token=holder["accessToken"])
    assert (await Share.get(email="unproven@example.org")).status == "ACTIVE"
    seen = (await api.data(DOSSIER, {"id": owner["dossier_id"]}, token=holder["accessToken"]))["dossier"]
    assert seen["clientName"] == "Anna Client"


async def test_a_share_to_a_proven_login_is_active_at_once(api):
    owner = await owner_with_dossier(api, "practice2@example.org")
    await sign_up(api, "proven@example.org")
    assert (await share(api, owner, "proven@example.org"))["share"]["status"] == "ACTIVE"


async def test_a_contributor_share_to_an_unproven_paid_user_waits_until_the_address_is_proven(api, settings):
    """I1 (issue 28): G3 trusts a paid status only for a proven address, but a CONTRIBUTOR
    share to an unproven paid user is no longer refused: it is created PENDING, the
    unproven login cannot use it, and proving the address makes it usable."""
    owner = await owner_with_dossier(api, "practice3@example.org")
    unproven = await sign_up(api, "squat-paid@example.org", verified=False)  # owner of a fresh account
    given = await share(api, owner, "squat-paid@example.org", "CONTRIBUTOR")
    assert given["userErrors"] == []
    assert (given["share"]["access"], given["share"]["status"]) == ("CONTRIBUTOR", "PENDING")
    hidden = await api(DOSSIER, {"id": owner["dossier_id"]}, token=unproven["accessToken"])
    assert hidden["data"]["dossier"] is None, hidden
    proved = (await api.data(VERIFY, {"t": link_token(settings, "squat-paid@example.org", "verify-email")}))
    assert proved["verifyEmail"]["userErrors"] == []
    assert (await Share.get(email="squat-paid@example.org")).status == "ACTIVE"
    session = await log_in(api, "squat-paid@example.org")
    seen = (await api.data(DOSSIER, {"id": owner["dossier_id"]}, token=session["accessToken"]))["dossier"]
    assert seen == {"id": owner["dossier_id"], "clientName": "Anna Client"}


async def test_contributor_access_still_needs_a_paid_user(api):
    owner = await owner_with_dossier(api, "practice4@example.org")
    refused = await share(api, owner, "nobody-paid@example.org", "CONTRIBUTOR")
    assert codes(refused) == ["INVALID_INPUT"] and refused["share"] is None


async def test_squatting_someone_else_s_address_gets_the_squatter_nothing(api, settings):
    """A stranger signs up with the victim's address; a
    practice shares a dossier with that address; the squatter sees nothing of it. The
    owner of the address resets the password through the mail, which proves the address,
    ends the squatter's sessions, and the share reaches its real owner."""
    squatter = await sign_up(api, "victim@example.org", verified=False)
    owner = await owner_with_dossier(api, "care@example.org")
    given = await share(api, owner, "victim@example.org")
    assert given["share"]["status"] == "PENDING"
    token = squatter["accessToken"]
    assert (await api.data(DOSSIER, {"id": owner["dossier_id"]}, token=token))["dossier"] is None
    assert (await api.data(MY_SHARES, token=token))["me"]["shares"] == []
    # The invitation link is in the victim's mailbox, not the squatter's; it cannot be
    # taken up without signing in to the login with that address.
    invitation = token_in([m for m in mails(settings) if "accept-invitation" in m][-1])
    assert codes(await accept(api, invitation, password="another pass 77", name="Squatter")) == ["INVITATION_INVALID"]

    # The real owner asks for a reset and follows the mailed link.
    assert (await api.data(REQUEST_RESET, {"e": "victim@example.org"}))["requestPasswordReset"]["ok"] is True
    reset = (await api.data(RESET, {"t": link_token(settings, "victim@example.org", "reset-password"),
                                    "p": "mine for real 42"}))["resetPassword"]
    assert reset["userErrors"] == [] and reset["viewer"]["user"]["emailVerified"] is True
    assert top_code(await api(ME, token=token)) == "UNAUTHENTICATED"
    assert codes(await log_in(api, "victim@example.org", PASSWORD)) == ["INVALID_CREDENTIALS"]
    owned = (await api.data(MY_SHARES, token=reset["accessToken"]))["me"]["shares"]
    assert [s["status"] for s in owned] == ["ACTIVE"]
    seen = (await api.data(DOSSIER, {"id": owner["dossier_id"]}, token=reset["accessToken"]))["dossier"]
    assert seen["clientName"] == "Anna Client"


async def test_accepting_an_invitation_proves_the_address(api, settings):
    owner = await owner_with_dossier(api, "inviter@example.org")
    await share(api, owner, "fresh-guest@example.org")
    invitation = token_in([m for m in mails(settings) if "To: fresh-guest@example.org" in m][-1])
    accepted = await accept(api, invitation)
    assert accepted["userErrors"] == []
    assert (await User.get(email="fresh-guest@example.org")).email_verified


async def test_sign_up_refusals_mail_nothing(api, settings):
    await sign_up(api, "taken@example.org")
    before = len(mails(settings))
    for email in ("taken@example.org", "p\u0430ypal@example.org", "x@machines.casebook.invalid"):
        body = await api("""mutation($e: String!) { signUp(input: {email: $e, password: "correct horse 42",
            name: "N", accountName: "A"}) { userErrors { code } } }""", {"e": email})
        assert body["data"]["signUp"]["userErrors"], email
    assert len(mails(settings)) == before


LOOK_ALIKES = ["p\u0430ypal@example.org", "anna@p\u0430ypal.com", "\u03bflga@example.org", "anna\u200b@example.org",
               "\u202eanna@example.org", "anna@xn--pypal-4ve.com", "bot@MACHINES.casebook.invalid.",
               "bot@\uff4d\uff41\uff43\uff48\uff49\uff4e\uff45\uff53.casebook.invalid"]


async def test_every_door_for_an_address_refuses_look_alikes(api):
    """I6 where an address enters: signUp, inviteTeammate, shareDossier (email change and
    create-operator share the same rule, tested in their own files and in unit tests)."""
    from domain.accounts.models import Invitation
    from tests.support.teammates import invite

    owner = await owner_with_dossier(api, "doors@example.org", seats=3)
    for email in LOOK_ALIKES:
        signed = await api("""mutation($e: String!) { signUp(input: {email: $e, password: "correct horse 42",
            name: "N", accountName: "A"}) { userErrors { code field } } }""", {"e": email})
        assert signed["data"]["signUp"]["userErrors"] == [{"code": "INVALID_INPUT", "field": ["email"]}], email
        invited = await invite(api, owner["token"], email)
        assert [e["code"] for e in invited["userErrors"]] == ["INVALID_INPUT"], email
        shared = await share(api, owner, email)
        assert [e["code"] for e in shared["userErrors"]] == ["INVALID_INPUT"], email
    assert await Invitation.all().count() == 0 and await Share.all().count() == 0
    assert await User.all().count() == 1


RESERVED_SPELLINGS = ["x@mach\u0131nes.casebook.invalid", "x@MACH\u0130NES.casebook.invalid",
                      "x@[machines.casebook.invalid]", "x@machines%2ecasebook.invalid", "no-reply@casebook.invalid",
                      "x@xn--machnes-ufb.casebook.invalid", "x@\u0441asebook.invalid"]


async def test_no_spelling_of_the_service_s_own_domain_can_be_taken(api, settings):
    """I6 (review F9): look-alikes of the machine domain, a domain literal, a
    percent-escape and the sender address (MAIL_FROM) are refused at signUp and at
    requestEmailChange, naming the field; nothing is written or mailed."""
    assert settings.mail_from.endswith("<no-reply@casebook.invalid>")
    me = await sign_up(api, "mover@example.org")
    before = len(mails(settings))
    for n, email in enumerate(RESERVED_SPELLINGS):
        signed = await api("""mutation($e: String!) { signUp(input: {email: $e, password: "correct horse 42",
            name: "N", accountName: "A"}) { accessToken userErrors { code field } } }""", {"e": email})
        assert signed["data"]["signUp"] == {"accessToken": None, "userErrors": [
            {"code": "INVALID_INPUT", "field": ["email"]}]}, email
    for email in RESERVED_SPELLINGS[:3]:  # the change is throttled per person (I7)
        moved = (await api.data(REQUEST_EMAIL_CHANGE, {"e": email, "p": PASSWORD}, token=me["accessToken"]))
        assert [(e["code"], e["field"]) for e in moved["requestEmailChange"]["userErrors"]] == [
            ("INVALID_INPUT", ["newEmail"])], email
    assert await User.all().count() == 1 and len(mails(settings)) == before
    assert (await User.get()).email == "mover@example.org"


async def test_a_login_stored_before_a_stricter_address_rule_still_signs_in_and_resets(api, settings):
    """I6 tightened what a new address may look like; addresses already stored (here an
    underscore domain, now refused at sign-up) are looked up, not re-checked, so their
    owners can still sign in and reset their password."""
    await sign_up(api, "legacy@example.org")
    await User.filter(email="legacy@example.org").update(email="legacy@mail_host.example.org")
    refused = await api.data(
        "mutation { signUp(input: {email: \"new@mail_host.example.org\", password: \"correct horse 42\", "
        "name: \"New\", accountName: \"New\"}) { userErrors { code } } }")
    assert codes(refused["signUp"]) == ["INVALID_INPUT"]
    signed_in = await log_in(api, "Legacy@Mail_Host.example.org ")
    assert signed_in["userErrors"] == [] and signed_in["accessToken"]
    assert (await api.data(REQUEST_RESET, {"e": "legacy@mail_host.example.org"}))["requestPasswordReset"]["ok"]
    assert link_token(settings, "legacy@mail_host.example.org", "reset-password")
