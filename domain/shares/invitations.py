"""Share invitations: the mail that tells a person about a share, taking the share up
through `acceptInvitation` (the accounts area claims the token, then hands it here through
its person hooks), and shares following their holder's address."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from tortoise import connections

from domain import events
from domain.accounts.models import Invitation, User
from infra.clock import utc_now
from infra.db import aware_datetime, execute, transaction
from domain.core.errors import DomainError, ErrorCode
from domain.core.links import invitation_link
from domain.core.secrets import new_token, token_hash
from infra.settings import Settings
from domain.mails import sharing as letters
from domain.mails.letter import post
from domain.shares.models import ACTIVE, PENDING, Share
from domain.shares.quotas import lock_quota, rebalance

SHARE = "share"


@dataclass(frozen=True)
class ShareInvitation:
    """A share's invitation as its mail tells it: the token travels once, in the mail."""
    token: str
    expires_at: datetime


def invitation_insert(*, account_id: str, email: str, share_id: str, token_hash: str, invited_by: str,
                      expires_at: str, created_at: str) -> str:
    """The insert of a share's invitation, given an SQL expression for each value: plain
    SQL (sharing with someone new is a hot write, and building tortoise's insert cost more
    than running it), which the share's own insert may carry as a CTE on PostgreSQL."""
    return (f'INSERT INTO "invitation" ("account_id", "kind", "email", "share_id", "token_hash", "invited_by_id", '
            f'"expires_at", "created_at") VALUES ({account_id}, \'{SHARE}\', {email}, {share_id}, {token_hash}, '
            f'{invited_by}, {expires_at}, {created_at})')


_INSERT_INVITATION = invitation_insert(account_id="$1", email="$2", share_id="$3", invited_by="$4", created_at="$5",
                                       token_hash="$6", expires_at="$7")


def new_share_invitation(settings: Settings, now: datetime) -> ShareInvitation:
    """The token of a PENDING share's invitation, which travels once, in the mail; the
    invitation stores its hash (`invitation_params`)."""
    return ShareInvitation(new_token(), now + timedelta(seconds=settings.invitation_ttl_seconds))


def invitation_params(invitation: ShareInvitation) -> list[Any]:
    """The token's hash and the expiry, as the invitation stores them."""
    return [token_hash(invitation.token), invitation.expires_at]


async def store_share_invitation(share: Share, invitation: ShareInvitation, *, invited_by: int,
                                 now: datetime) -> None:
    """Store the invitation of a PENDING share, inside the transaction that created it."""
    await execute(connections.get("default"), _INSERT_INVITATION,
                  [share.account_id, share.email, share.id, invited_by, now, *invitation_params(invitation)])


async def withdraw_share_invitation(share_id: int, now: datetime) -> None:
    await Invitation.filter(kind=SHARE, share_id=share_id, accepted_at__isnull=True,
                            revoked_at__isnull=True).update(revoked_at=now)


async def accept_share_invitation(invitation: Invitation, user: User, now: datetime) -> None:
    """The invited person (now with a login) takes up the share: it becomes theirs, and
    ACTIVE unless G5 keeps it SUSPENDED. Called inside the transaction that claimed the
    invitation; a withdrawn share refuses, which rolls the claim back."""
    async with transaction() as conn:
        # One statement, so a concurrent suspension (G5) is never overwritten.
        changed, _ = await execute(
            conn, "UPDATE share SET user_id = $1, status = CASE WHEN status = $2 THEN $3 ELSE status END "
                  "WHERE id = $4 AND email = $5 AND revoked_at IS NULL",
            [user.id, PENDING, ACTIVE, invitation.share_id, user.email])
        if changed != 1:
            raise DomainError("This share was withdrawn; ask for a new one.",
                              code=ErrorCode.INVITATION_INVALID, field=("token",))
        share = await Share.get(id=invitation.share_id)
        await events.announce(events.SHARE_ACCEPTED, account_id=share.account_id, now=now,
                              dossierId=("Dossier", share.dossier_id), shareId=("Share", share.id))


# What the mail needs of the sharing account, and its test clock (O4) for the queue.
# The sharing account's columns the mail needs (of account `a`), read by the share's
# own checks in the same statement as they ask theirs.
SHARING_ACCOUNT = 'a."name", a."locale", a."time_zone", a."test_clock"'


async def mail_share(settings: Settings, share: Share, invitation: ShareInvitation | None,
                     account: Mapping[str, Any]) -> None:
    """Queued with the share (O1). The client's name stays out of the mail (it is health
    data); the sharing account's name tells the person who it is from, in its language (L1).
    `account`: the sharing account's SHARING_ACCOUNT columns."""
    if invitation is not None:
        mail = letters.share_invitation(account["locale"], practice=account["name"], access=share.access,
                                        link=invitation_link(settings, invitation.token),
                                        expires_at=invitation.expires_at, time_zone=account["time_zone"])
    else:
        mail = letters.share_notice(account["locale"], practice=account["name"], access=share.access,
                                    app_url=settings.public_app_url)
    # The account's business time, read with it: the queue need not read it again.
    business_now = aware_datetime(account["test_clock"]) or utc_now()
    await post(share.email, mail, account_id=share.account_id, now=business_now)


async def take_up_shares(user: User, now: datetime) -> None:
    """I1: the person has just proven their address, so what was given to it and is
    still waiting becomes theirs — ACTIVE, unless G5 keeps it SUSPENDED — and its
    invitation mails are used up. Their paid status may count now (G3), so their shares
    are re-balanced (G5). Call inside the transaction that proved the address."""
    async with transaction() as conn:
        await lock_quota(conn, user.email)
        waiting = await Share.filter(email=user.email, user_id__isnull=True, revoked_at__isnull=True)
        for share in waiting:
            changed, _ = await execute(
                conn, "UPDATE share SET user_id = $1, status = CASE WHEN status = $2 THEN $3 ELSE status END "
                      "WHERE id = $4 AND user_id IS NULL AND revoked_at IS NULL",
                [user.id, PENDING, ACTIVE, share.id])
            if changed == 1:
                await events.announce(events.SHARE_ACCEPTED, account_id=share.account_id, now=now,
                                      dossierId=("Dossier", share.dossier_id), shareId=("Share", share.id))
        if waiting:
            await Invitation.filter(kind=SHARE, share_id__in=[share.id for share in waiting],
                                    accepted_at__isnull=True, revoked_at__isnull=True).update(accepted_at=now)
        await rebalance(conn, user.email, now=now)


async def follow_address_change(conn, user_id: int, old: str, new: str, now: datetime) -> None:
    """Shares held by the login follow it to the new address; G2 is re-counted for both
    addresses. Quota rows are locked in address order, the same everywhere, so two changes
    cannot deadlock. A share of the same dossier already given to the new address keeps
    its place, and the person's old one stays under the old address."""
    for email in sorted((old, new)):
        await lock_quota(conn, email)
    await execute(conn, "UPDATE share SET email = $1 WHERE user_id = $2 AND email = $3 AND revoked_at IS NULL "
                        "AND dossier_id NOT IN (SELECT dossier_id FROM share WHERE email = $4 AND revoked_at IS NULL)",
                  [new, user_id, old, new])
    for email in sorted((old, new)):
        await rebalance(conn, email, now=now)
