"""Email change cannot hand someone's address to another login (issue 28, SPEC I1, I3):
confirming needs the requester's own session and their password or a second factor; a
click by the mailbox's owner, signed in or not, changes nothing; the mail names the login
that asked; shares waiting under the new address stay pending until their invitation."""
from domain.accounts.models import User
from domain.shares.models import Share
from tests.api.shares.test_shares import ACCEPT, owner_with_dossier, share
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.identity import (
    CONFIRM_EMAIL_CHANGE, REQUEST_EMAIL_CHANGE, codes, enrol_two_factor, link_token, mails_to, top_code,
)
from tests.support.shares import mails, token_in

DOSSIER = "query($id: ID!) { dossier(id: $id) { id clientName } }"


async def _ask(api, session: dict, new: str) -> None:
    asked = (await api.data(REQUEST_EMAIL_CHANGE, {"e": new, "p": PASSWORD},
                            token=session["accessToken"]))["requestEmailChange"]
    assert asked["userErrors"] == []


async def test_the_victim_s_click_does_not_move_the_attacker_s_login_to_the_victim_s_address(api, settings):
    practice = await owner_with_dossier(api, "clinic@example.org")
    given = await share(api, practice, "victim@example.net")  # waits for the victim (no login yet)
    assert given["share"]["status"] == "PENDING"
    attacker = await sign_up(api, "attacker@example.org")
    await _ask(api, attacker, "victim@example.net")
    [mail] = [m for m in mails_to(settings, "victim@example.net") if "Confirm" in m["Subject"]]
    assert "attacker@example.org" in mail.get_content()  # the mail says which login asked
    token = link_token(settings, "victim@example.net", "confirm-email")

    # The victim clicks: the link opens the app, with no session, or with their own.
    anonymous = await api(CONFIRM_EMAIL_CHANGE, {"t": token})
    assert top_code(anonymous) == "UNAUTHENTICATED"
    victim = await sign_up(api, "victim-own@example.org")
    refused = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token}, token=victim["accessToken"]))["confirmEmailChange"]
    assert codes(refused) == ["TOKEN_INVALID"]

    assert await User.exists(email="attacker@example.org")
    assert not await User.exists(email="victim@example.net")
    waiting = await Share.get(email="victim@example.net")
    assert (waiting.status, waiting.user_id) == ("PENDING", None)
    hidden = await api(DOSSIER, {"id": practice["dossier_id"]}, token=attacker["accessToken"])
    assert hidden["data"]["dossier"] is None


async def test_the_requester_s_session_alone_is_not_enough(api, settings):
    me = await sign_up(api, "mover@example.org")
    await _ask(api, me, "mover-new@example.org")
    token = link_token(settings, "mover-new@example.org", "confirm-email")
    for password in (None, "", "not my password 1"):
        refused = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token, "p": password},
                                  token=me["accessToken"]))["confirmEmailChange"]
        assert codes(refused) == ["INVALID_CREDENTIALS"], password
    assert await User.exists(email="mover@example.org")
    done = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token}, token=me["accessToken"]))["confirmEmailChange"]
    assert done["userErrors"] == [] and done["viewer"]["user"]["email"] == "mover-new@example.org"


async def test_a_second_factor_can_stand_in_for_the_password(api, settings):
    me = await sign_up(api, "two-factor-mover@example.org")
    _, recovery = await enrol_two_factor(api, me["accessToken"])
    session = (await api.data("""mutation($c: String) { logIn(input: {email: "two-factor-mover@example.org",
      password: "correct horse 42", twoFactorCode: $c}) { accessToken userErrors { code } } }""",
                              {"c": recovery[0]}))["logIn"]
    await _ask(api, session, "two-factor-new@example.org")
    token = link_token(settings, "two-factor-new@example.org", "confirm-email")
    wrong = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token, "p": None, "c": "AAAA-BBBB-CCCC"},
                            token=session["accessToken"]))["confirmEmailChange"]
    assert codes(wrong) == ["TWO_FACTOR_INVALID"]
    done = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": token, "p": None, "c": recovery[1]},
                           token=session["accessToken"]))["confirmEmailChange"]
    assert done["userErrors"] == [] and done["viewer"]["user"]["email"] == "two-factor-new@example.org"


async def test_shares_waiting_under_the_new_address_stay_pending_until_their_invitation(api, settings):
    practice = await owner_with_dossier(api, "clinic2@example.org")
    await share(api, practice, "new-home@example.net")
    [invitation] = [m for m in mails(settings) if "To: new-home@example.net" in m]
    me = await sign_up(api, "old-home@example.org")
    await _ask(api, me, "new-home@example.net")
    done = (await api.data(CONFIRM_EMAIL_CHANGE, {"t": link_token(settings, "new-home@example.net", "confirm-email")},
                           token=me["accessToken"]))["confirmEmailChange"]
    assert done["userErrors"] == []
    waiting = await Share.get(email="new-home@example.net")
    assert (waiting.status, waiting.user_id) == ("PENDING", None)
    session = await log_in(api, "new-home@example.net")
    assert (await api(DOSSIER, {"id": practice["dossier_id"]}, token=session["accessToken"]))["data"]["dossier"] is None
    # The share's own invitation, accepted while signed in, takes it up.
    accepted = (await api.data(ACCEPT, {"input": {"token": token_in(invitation)}},
                               token=session["accessToken"]))["acceptInvitation"]
    assert accepted["userErrors"] == []
    assert (await Share.get(email="new-home@example.net")).status == "ACTIVE"
