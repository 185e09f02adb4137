"""Given-steps for teammates: inviting, reading the invitation mail, accepting."""
from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from adapters.mail import mail_directory
from tests.support.flows import PASSWORD

INVITE = """
mutation($input: InviteTeammateInput!) {
  inviteTeammate(input: $input) {
    invitation { id email role expiresAt }
    userErrors { code message field }
    quote { id }
  }
}"""

ACCEPT = """
mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    accessToken refreshToken
    viewer { kind user { id email name } account { id } memberships { role account { id } } }
    userErrors { code message field }
  }
}"""

CHANGE_ROLE = """
mutation($input: ChangeTeammateRoleInput!) {
  changeTeammateRole(input: $input) {
    teammate { id role user { email } }
    userErrors { code message field }
  }
}"""

REMOVE = """
mutation($input: RemoveTeammateInput!) {
  removeTeammate(input: $input) { removedTeammateId userErrors { code message field } }
}"""

TEAMMATES = "{ account { id teammates { id role addedAt user { email } } } }"

_LINK = re.compile(r"https?://\S+/accept-invitation\?token=([A-Za-z0-9_\-]+)")


async def invite(api, token: str, email: str, role: str = "MEMBER", *, now: str | None = None) -> dict:
    body = await api.data(INVITE, {"input": {"email": email, "role": role}}, token=token, now=now)
    return body["inviteTeammate"]


def mails(settings) -> list:
    """Every message written to the file mail directory, oldest first."""
    directory = mail_directory(settings.mail_url)
    files = sorted(Path(directory).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if directory.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(path.read_bytes()) for path in files]


def invitation_token(settings, email: str) -> str:
    """The token in the newest invitation mail sent to `email`."""
    for message in reversed(mails(settings)):
        if message["To"] == email:
            found = _LINK.search(message.get_content())
            assert found, message.get_content()
            return found.group(1)
    raise AssertionError(f"no invitation mail to {email}")


async def accept(api, invitation: str, *, password: str | None = PASSWORD, name: str | None = "Tom Teammate",
                 token: str | None = None, now: str | None = None) -> dict:
    variables = {"input": {"token": invitation, "password": password, "name": name}}
    return (await api.data(ACCEPT, variables, token=token, now=now))["acceptInvitation"]


async def add_teammate(api, settings, owner_token: str, email: str, role: str = "MEMBER") -> dict:
    """Invite and accept as a new person; returns the acceptInvitation payload."""
    sent = await invite(api, owner_token, email, role)
    assert sent["userErrors"] == [], sent["userErrors"]
    accepted = await accept(api, invitation_token(settings, email))
    assert accepted["userErrors"] == [], accepted["userErrors"]
    return accepted


async def teammates(api, token: str) -> dict[str, dict]:
    """email → teammate of the account the token acts in."""
    account = (await api.data(TEAMMATES, token=token))["account"]
    return {t["user"]["email"]: t for t in account["teammates"]}
