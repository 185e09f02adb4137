"""Teammates: invitations by mail, accepting, roles, removal (SPEC §1, D2, S6, G6, P1)."""
import asyncio

import pytest

from domain.accounts.models import Invitation, Membership, User
from domain.audit.models import AuditEvent
from domain.billing.models import Subscription
from tests.support.flows import PASSWORD, log_in, sign_up
from tests.support.teammates import (
    ACCEPT, CHANGE_ROLE, INVITE, REMOVE, accept, add_teammate, invitation_token, invite, mails, teammates,
)

APRIL_10 = "2026-04-10T10:00:00+02:00"
APRIL_18 = "2026-04-18T10:00:00+02:00"
TEAMMATES_QUERY = "{ account { id } }"
INVITE_NO_TOKEN = 'mutation { inviteTeammate(input: {email: "a@b.org", role: MEMBER}) { userErrors { code } } }'


async def owner_with_seats(api, seats: int = 5, email: str | None = None) -> str:
    return (await sign_up(api, email, seats=seats))["accessToken"]


def codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def top_code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


def invitation_mails(settings) -> list:
    """Mails other than the sign-up's verification mail (I1)."""
    return [m for m in mails(settings) if "/verify-email?" not in m.get_content()]


async def test_invitation_mail_carries_a_token_link_and_the_invitation_is_audited(api, settings):
    """API.md Transport: one .eml per message in MAIL_URL's directory, link with ?token=."""
    owner = await owner_with_seats(api)
    sent = await invite(api, owner, " New.Person@Example.org ", "ADMIN", now=APRIL_10)
    assert sent["userErrors"] == [] and sent["quote"] is None
    assert sent["invitation"]["email"] == "new.person@example.org"
    assert sent["invitation"]["role"] == "ADMIN"
    assert sent["invitation"]["expiresAt"].startswith("2026-04-17T08:00:00")
    [message] = invitation_mails(settings)
    assert message["To"] == "new.person@example.org" and message["Subject"]
    assert "/accept-invitation?token=" in message.get_content()
    token = invitation_token(settings, "new.person@example.org")
    stored = await Invitation.get(email="new.person@example.org")
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only the hash is kept
    assert await AuditEvent.filter(action="teammate.invited").count() == 1


async def test_a_new_person_accepts_sets_a_password_and_acts_in_the_account(api, settings):
    owner = await owner_with_seats(api, email="boss@example.org")
    boss = (await teammates(api, owner))["boss@example.org"]
    await invite(api, owner, "tom@example.org")
    accepted = await accept(api, invitation_token(settings, "tom@example.org"), name="Tom")
    assert accepted["userErrors"] == []
    viewer = accepted["viewer"]
    assert viewer["kind"] == "PAID"
    assert (viewer["user"]["email"], viewer["user"]["name"]) == ("tom@example.org", "Tom")
    assert [m["role"] for m in viewer["memberships"]] == ["MEMBER"]
    team = await teammates(api, accepted["accessToken"])
    assert set(team) == {"boss@example.org", "tom@example.org"}
    assert team["boss@example.org"] == boss  # the new session acts in the inviting account
    assert team["tom@example.org"]["role"] == "MEMBER"
    assert (await log_in(api, "tom@example.org"))["userErrors"] == []
    assert await AuditEvent.filter(action="teammate.added").count() == 1


async def test_a_new_person_must_choose_a_valid_password_and_the_invitation_stays_usable(api, settings):
    owner = await owner_with_seats(api)
    await invite(api, owner, "weak@example.org")
    token = invitation_token(settings, "weak@example.org")
    for password, name in [(None, "W"), ("short", "W"), (PASSWORD, "  ")]:
        refused = await accept(api, token, password=password, name=name)
        assert codes(refused) == ["INVALID_INPUT"] and refused["accessToken"] is None
    assert (await accept(api, token))["userErrors"] == []


async def test_accepting_and_signing_in_are_one_unit_of_work(api, settings, monkeypatch):
    """The invitation used up, the login made and the session opened commit together:
    when the sign-in fails, nothing of the acceptance is left and the link still works."""
    owner = await owner_with_seats(api)
    await invite(api, owner, "atomic@example.org")
    token = invitation_token(settings, "atomic@example.org")

    async def broken(*args, **kwargs):
        raise RuntimeError("no session today")

    with monkeypatch.context() as patched:
        patched.setattr("domain.team.invitations.issue_session", broken)
        body = await api(ACCEPT, {"input": {"token": token, "password": PASSWORD, "name": "A"}})
    assert top_code(body) == "INTERNAL_SERVER_ERROR"
    assert not await User.exists(email="atomic@example.org")
    assert (await Invitation.get(email="atomic@example.org")).accepted_at is None
    assert await AuditEvent.filter(action="teammate.added").count() == 0
    assert (await accept(api, token))["userErrors"] == []


async def test_a_person_with_a_login_must_be_signed_in_to_accept(api, settings):
    """API.md: a person who already has a login signs in first and sends the token."""
    owner = await owner_with_seats(api, email="a-owner@example.org")
    other = await sign_up(api, "has-login@example.org")
    await invite(api, owner, "has-login@example.org", "ADMIN")
    token = invitation_token(settings, "has-login@example.org")

    anonymous = await accept(api, token, password=PASSWORD, name="Imposter")
    assert codes(anonymous) == ["INVITATION_INVALID"] and "sign in" in anonymous["userErrors"][0]["message"]

    stranger = await sign_up(api, "stranger@example.org")
    wrong_person = await accept(api, token, password=None, name=None, token=stranger["accessToken"])
    assert codes(wrong_person) == ["INVITATION_INVALID"]

    accepted = await accept(api, token, password=None, name=None, token=other["accessToken"])
    assert accepted["userErrors"] == []
    owners_account = (await teammates(api, owner))["a-owner@example.org"]
    assert len(accepted["viewer"]["memberships"]) == 2
    # The new session acts in the account just joined, with the invited role.
    team = await teammates(api, accepted["accessToken"])
    assert team["a-owner@example.org"]["id"] == owners_account["id"]
    assert team["has-login@example.org"]["role"] == "ADMIN"


async def test_expired_invitation_is_refused_and_can_be_replaced(api, settings):
    owner = await owner_with_seats(api)
    await invite(api, owner, "late@example.org", now=APRIL_10)
    old = invitation_token(settings, "late@example.org")
    refused = await accept(api, old, now=APRIL_18)
    assert codes(refused) == ["INVITATION_INVALID"] and refused["accessToken"] is None
    assert await Membership.all().count() == 1
    again = await invite(api, owner, "late@example.org", now=APRIL_18)
    assert again["userErrors"] == []
    assert codes(await accept(api, old, now=APRIL_18)) == ["INVITATION_INVALID"]  # the old one stays dead
    assert (await accept(api, invitation_token(settings, "late@example.org"), now=APRIL_18))["userErrors"] == []


async def test_reused_or_unknown_token_is_refused(api, settings):
    owner = await owner_with_seats(api)
    await invite(api, owner, "once@example.org")
    token = invitation_token(settings, "once@example.org")
    assert (await accept(api, token))["userErrors"] == []
    assert codes(await accept(api, token)) == ["INVITATION_INVALID"]
    assert codes(await accept(api, token, password="weak")) == ["INVITATION_INVALID"]  # the link speaks first
    assert codes(await accept(api, "not-a-token")) == ["INVITATION_INVALID"]
    assert codes(await accept(api, "x" * 5000)) == ["INVITATION_INVALID"]
    assert await Membership.all().count() == 2


async def test_duplicate_invitation_is_refused_and_writes_nothing(api, settings):
    owner = await owner_with_seats(api)
    await invite(api, owner, "twice@example.org")
    again = await invite(api, owner, "TWICE@example.org")
    assert codes(again) == ["ALREADY_EXISTS"] and again["invitation"] is None
    assert await Invitation.all().count() == 1 and len(invitation_mails(settings)) == 1


async def test_inviting_someone_who_is_already_a_teammate_says_so(api, settings):
    owner = await owner_with_seats(api, email="me@example.org")
    await add_teammate(api, settings, owner, "mate@example.org")
    for email in ("mate@example.org", "me@example.org"):
        refused = await invite(api, owner, email)
        assert codes(refused) == ["ALREADY_EXISTS"]
        assert "already a teammate" in refused["userErrors"][0]["message"]


async def test_malformed_email_is_refused(api, settings):
    owner = await owner_with_seats(api)
    for email in ("no-at-sign", "two@@example.org", "a b@example.org", "x@" + "y" * 260 + ".org", ""):
        refused = await invite(api, owner, email)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_INPUT", ["email"])]
    assert await Invitation.all().count() == 0 and invitation_mails(settings) == []


async def test_seat_limit_refuses_an_invitation_past_the_paid_seats(api, settings):
    """S6: the owner holds the only seat; inviting is refused (with a quote once billing lands)."""
    owner = await owner_with_seats(api, seats=1)
    refused = await invite(api, owner, "no-seat@example.org")
    assert codes(refused) == ["SEAT_LIMIT_REACHED"] and refused["quote"] is not None
    assert await Invitation.all().count() == 0 and invitation_mails(settings) == []


async def test_pending_invitations_hold_seats_until_they_expire(api, settings):
    owner = await owner_with_seats(api, seats=2)
    assert (await invite(api, owner, "first@example.org", now=APRIL_10))["userErrors"] == []
    assert codes(await invite(api, owner, "second@example.org", now=APRIL_10)) == ["SEAT_LIMIT_REACHED"]
    assert (await invite(api, owner, "second@example.org", now=APRIL_18))["userErrors"] == []


async def test_acceptance_rechecks_the_seats(api, settings):
    """Seats cut below teammates + pending invitations: the invitation no longer fits."""
    owner = await owner_with_seats(api, seats=2)
    await invite(api, owner, "squeezed@example.org")
    await Subscription.all().update(seats=1)
    refused = await accept(api, invitation_token(settings, "squeezed@example.org"))
    assert codes(refused) == ["SEAT_LIMIT_REACHED"]
    assert await Membership.all().count() == 1
    assert await Invitation.filter(accepted_at__isnull=True).count() == 1  # still usable later


async def test_change_role_and_the_rules_of_owners(api, settings):
    owner = await owner_with_seats(api, email="own@example.org")
    admin = (await add_teammate(api, settings, owner, "adm@example.org", "ADMIN"))["accessToken"]
    await add_teammate(api, settings, owner, "mem@example.org")
    team = await teammates(api, owner)

    promoted = (await api.data(CHANGE_ROLE, {"input": {"teammateId": team["mem@example.org"]["id"], "role": "ADMIN"}},
                               token=admin))["changeTeammateRole"]
    assert promoted["userErrors"] == [] and promoted["teammate"]["role"] == "ADMIN"

    # Only an owner makes owners, or demotes them.
    for target, role in (("mem@example.org", "OWNER"), ("own@example.org", "MEMBER")):
        body = await api(CHANGE_ROLE, {"input": {"teammateId": team[target]["id"], "role": role}}, token=admin)
        assert top_code(body) == "FORBIDDEN"
    body = await api(INVITE, {"input": {"email": "boss2@example.org", "role": "OWNER"}}, token=admin)
    assert top_code(body) == "FORBIDDEN"

    last = (await api.data(CHANGE_ROLE, {"input": {"teammateId": team["own@example.org"]["id"], "role": "ADMIN"}},
                           token=owner))["changeTeammateRole"]
    assert codes(last) == ["LAST_OWNER"]
    assert (await teammates(api, owner))["own@example.org"]["role"] == "OWNER"

    # With a second owner, the first may step down.
    second = (await api.data(CHANGE_ROLE, {"input": {"teammateId": team["adm@example.org"]["id"], "role": "OWNER"}},
                             token=owner))["changeTeammateRole"]
    assert second["userErrors"] == []
    stepped = (await api.data(CHANGE_ROLE, {"input": {"teammateId": team["own@example.org"]["id"], "role": "MEMBER"}},
                              token=owner))["changeTeammateRole"]
    assert stepped["userErrors"] == []
    assert await AuditEvent.filter(action="teammate.role_changed").count() == 3


async def test_the_last_owner_cannot_be_removed(api, settings):
    owner = await owner_with_seats(api, email="solo@example.org")
    me = (await teammates(api, owner))["solo@example.org"]
    refused = (await api.data(REMOVE, {"input": {"teammateId": me["id"]}}, token=owner))["removeTeammate"]
    assert codes(refused) == ["LAST_OWNER"] and refused["removedTeammateId"] is None
    assert await Membership.all().count() == 1


async def test_admin_cannot_remove_an_owner_and_unknown_teammates_are_not_found(api, settings):
    owner = await owner_with_seats(api, email="o@example.org")
    admin = (await add_teammate(api, settings, owner, "a@example.org", "ADMIN"))["accessToken"]
    team = await teammates(api, owner)
    assert top_code(await api(REMOVE, {"input": {"teammateId": team["o@example.org"]["id"]}}, token=admin)) == "FORBIDDEN"
    elsewhere = await owner_with_seats(api, email="other@example.org")
    foreign = (await teammates(api, elsewhere))["other@example.org"]["id"]
    for teammate_id in (foreign, "bogus"):
        refused = (await api.data(REMOVE, {"input": {"teammateId": teammate_id}}, token=owner))["removeTeammate"]
        assert codes(refused) == ["NOT_FOUND"]
    assert await Membership.all().count() == 3


async def test_a_removed_teammate_loses_access_on_the_next_request(api, settings):
    """G6: the old access token fails at once; the refresh tokens for the account die too."""
    owner = await owner_with_seats(api, email="keeper@example.org")
    removed = await add_teammate(api, settings, owner, "gone@example.org")
    assert (await api.data(TEAMMATES_QUERY, token=removed["accessToken"]))["account"]
    team = await teammates(api, owner)
    done = (await api.data(REMOVE, {"input": {"teammateId": team["gone@example.org"]["id"]}}, token=owner))["removeTeammate"]
    assert done == {"removedTeammateId": team["gone@example.org"]["id"], "userErrors": []}
    assert top_code(await api(TEAMMATES_QUERY, token=removed["accessToken"])) == "UNAUTHENTICATED"
    refresh = await api.data("mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { userErrors { code } } }",
                             {"t": removed["refreshToken"]})
    assert [e["code"] for e in refresh["refreshSession"]["userErrors"]] == ["INVALID_CREDENTIALS"]
    assert set(await teammates(api, owner)) == {"keeper@example.org"}
    assert await AuditEvent.filter(action="teammate.removed").count() == 1


async def test_a_member_cannot_manage_teammates(api, settings):
    owner = await owner_with_seats(api)
    member = (await add_teammate(api, settings, owner, "plain@example.org"))["accessToken"]
    body = await api(INVITE, {"input": {"email": "x@example.org", "role": "MEMBER"}}, token=member)
    assert top_code(body) == "FORBIDDEN"
    team = await teammates(api, member)  # members see who is on the team
    assert len(team) == 2
    some_id = next(iter(team.values()))["id"]
    assert top_code(await api(REMOVE, {"input": {"teammateId": some_id}}, token=member)) == "FORBIDDEN"
    assert top_code(await api(INVITE_NO_TOKEN, {})) == "UNAUTHENTICATED"


async def test_invitation_is_delivered_over_smtp(api, settings):
    """MAIL_URL smtp://host:port hands the message to an SMTP server."""
    from api.app import create_app
    from tests.conftest import Api

    received: list[bytes] = []
    server = await asyncio.start_server(lambda r, w: _fake_smtp(r, w, received), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    owner = await owner_with_seats(api)
    smtp_api = Api(create_app(settings.replace(mail_url=f"smtp://127.0.0.1:{port}"), manage_db=False))
    try:
        sent = await invite(smtp_api, owner, "smtp@example.org")
    finally:
        await smtp_api.http.aclose()
        server.close()
    assert sent["userErrors"] == []
    assert len(received) == 1 and b"accept-invitation?token=" in received[0]
    assert b"To: smtp@example.org" in received[0]


async def _fake_smtp(reader, writer, received):
    """Just enough SMTP (RFC 5321) to take one message."""
    writer.write(b"220 fake ESMTP\r\n")
    while line := await reader.readline():
        verb = line.strip().upper()
        if verb.startswith((b"EHLO", b"HELO")):
            writer.write(b"250 fake\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go on\r\n")
            await writer.drain()
            data = b""
            while (chunk := await reader.readline()) != b".\r\n":
                data += chunk
            received.append(data)
            writer.write(b"250 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()


@pytest.mark.postgres_only
async def test_concurrent_invitations_never_pass_the_seats(api, settings):
    """S6 under concurrency: five invitations race for two free seats."""
    owner = await owner_with_seats(api, seats=3)
    results = await asyncio.gather(*(invite(api, owner, f"racer{i}@example.org") for i in range(5)))
    assert sorted(tuple(codes(r)) for r in results) == [()] * 2 + [("SEAT_LIMIT_REACHED",)] * 3
    assert await Invitation.filter(accepted_at__isnull=True, revoked_at__isnull=True).count() == 2


@pytest.mark.postgres_only
async def test_concurrent_acceptances_race_for_the_last_seat(api, settings):
    """Two invitations, then the seats are cut to one free seat: exactly one acceptance wins."""
    owner = await owner_with_seats(api, seats=3)
    for email in ("left@example.org", "right@example.org"):
        await invite(api, owner, email)
    await Subscription.all().update(seats=2)
    tokens = [invitation_token(settings, e) for e in ("left@example.org", "right@example.org")]
    results = await asyncio.gather(*(accept(api, token) for token in tokens))
    assert sorted(tuple(codes(r)) for r in results) == [(), ("SEAT_LIMIT_REACHED",)]
    assert await Membership.all().count() == 2
