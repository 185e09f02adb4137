"""Giving and revoking free access to a dossier (SPEC §4, D3). Who may: the owners and
admins of the dossier's account and the members assigned to it; guests never."""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, AsyncIterator

from tortoise.exceptions import IntegrityError

from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog
from domain.billing.terms import quotes_lift, writable_terms
from domain.core.actor import Actor
from infra.db import dialect, execute, returning, transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput, NotFound
from infra.settings import Settings
from domain.core.validation import normalize_email
from domain.dossiers.access import DossierArchived, dossier_access, dossier_for_shares
from domain.dossiers.models import Dossier
from domain import events
from domain.shares import quotas
from domain.shares.invitations import SHARING_ACCOUNT, ShareInvitation, invitation_insert, invitation_params, \
    mail_share, new_share_invitation, store_share_invitation, withdraw_share_invitation
from domain.shares.models import ACCESS_LEVELS, ACTIVE, CONTRIBUTOR, PENDING, Share


class AlreadyShared(DomainError):
    code = ErrorCode.ALREADY_EXISTS

    def __init__(self, email: str) -> None:
        super().__init__(f"This dossier is shared with {email} already.", field=("email",))


def contributor_needs_paid_user(email: str) -> InvalidInput:
    return InvalidInput(
        f"{email} is not a paid user, so they can only be given "
        "VIEWER access. CONTRIBUTOR (read and write) is for teammates of a Casebook account.", field=("access",))


def check_share_request(actor: Actor, email: str, access: str) -> str:
    """Input rules that need no database; returns the normalised email."""
    address = normalize_email(email)
    if access not in ACCESS_LEVELS:
        raise InvalidInput("Access must be VIEWER or CONTRIBUTOR.", field=("access",))
    if address == actor.email.lower():
        raise InvalidInput("You cannot share a dossier with yourself.", field=("email",))
    return address


@quotes_lift
async def share_dossier(actor: Actor, dossier_id: int, email: str, access: str, *, now: datetime,
                        catalog: Catalog, settings: Settings) -> Share:
    """Give `email` VIEWER or CONTRIBUTOR access. A person with a login has it at once
    (ACTIVE); anyone else gets an invitation mail and a PENDING share. Limits G1–G4."""
    address = check_share_request(actor, email, access)
    try:
        async with transaction() as conn:
            dossier = await dossier_for_shares(actor, dossier_id)
            # S9: a cancelled account gives no access.
            await writable_terms(dossier.account_id, now=now, catalog=catalog)
            # Archived or erased since it was read: decided on the row under its lock.
            locked = await quotas.lock_dossier(conn, dossier.id)
            if locked is None:
                raise NotFound("dossier", field=("dossierId",))
            if locked.archived:
                raise DossierArchived("This dossier is archived: it cannot be shared.")
            sharing = await _refuse_needless(conn, dossier, address, access)
            if not await quotas.take_dossier_slot(conn, dossier.id):
                raise quotas.dossier_share_limit_reached()
            await quotas.lock_quota(conn, address)
            # Read under the quota lock: a paid-status change of this person waits for us,
            # or we see its result.
            holder = await quotas.person(conn, address)
            if not holder.paid:
                # A paid user who has not proven this address yet (I1) counts as a guest
                # until they do; a CONTRIBUTOR share to them waits (PENDING) meanwhile.
                if access == CONTRIBUTOR and not holder.teammate:
                    raise contributor_needs_paid_user(address)
                if not await quotas.take_guest_slot(conn, address):
                    raise quotas.guest_dossier_limit_reached(address, dossier.account_id)
            # I1: only a login that has proven this address receives the share at once;
            # anyone else gets it through the mailed invitation (or by proving the address).
            has_login = holder.signs_in and holder.proven
            invitation = None if has_login else new_share_invitation(settings, now)
            share = await _new_share(conn, dossier, address, holder.user_id if has_login else None, access,
                                     ACTIVE if has_login else PENDING, actor, now, invitation)
            await record(AuditAction.SHARE_GIVEN, now=now, account_id=dossier.account_id,
                         actor_user_id=actor.user_id, subject=f"share:{share.id}",
                         detail={"dossier": dossier.id, "email": address, "access": access,
                                 "status": share.status})
            await mail_share(settings, share, invitation, sharing)
            # The share's holder: its login, or the login that proved the address (I1).
            await events.announce(events.SHARE_CREATED, account_id=dossier.account_id, now=now,
                                  addressed_to=(holder.user_id,) if holder.proven else (),
                                  dossierId=("Dossier", dossier.id), shareId=("Share", share.id))
    except IntegrityError:
        # A concurrent share of this dossier to this email won the unique index.
        raise AlreadyShared(address) from None
    return share


# Is the address a teammate of this account already, is the dossier shared with it, is
# it a paid user's login (for CONTRIBUTOR): one statement, read before the quota lock,
# which also reads the sharing account as the mail names it (SHARING_ACCOUNT).
_NEEDLESS = ('SELECT EXISTS (SELECT 1 FROM "membership" m JOIN "user" u ON u."id" = m."user_id" '
             'WHERE m."account_id" = $1 AND u."email" = $3) AS teammate, '
             'EXISTS (SELECT 1 FROM "share" s WHERE s."dossier_id" = $2 AND s."email" = $3 '
             'AND s."revoked_at" IS NULL) AS shared, '
             'EXISTS (SELECT 1 FROM "membership" m JOIN "user" u ON u."id" = m."user_id" '
             f'WHERE u."email" = $3) AS paid_login, {SHARING_ACCOUNT} FROM "account" a WHERE a."id" = $1')


async def _refuse_needless(conn, dossier: Dossier, address: str, access: str) -> dict[str, Any]:
    """Refuse a share the address has no need of; else the sharing account for the mail."""
    _, rows = await execute(conn, _NEEDLESS, [dossier.account_id, dossier.id, address])
    found = rows[0]
    if found["teammate"]:
        raise DomainError(f"{address} is a teammate of this account: they have access already as a "
                          "teammate (assign a member to the dossier instead of sharing it).",
                          code=ErrorCode.ALREADY_EXISTS, field=("email",))
    if found["shared"]:
        raise AlreadyShared(address)
    if access == CONTRIBUTOR and not found["paid_login"]:
        raise contributor_needs_paid_user(address)
    return found


# Plain SQL: sharing is a hot write, and building tortoise's insert cost more than running it.
_INSERT_SHARE = ('INSERT INTO "share" ("account_id", "dossier_id", "email", "user_id", "access", "status", '
                 '"created_by_user_id", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING "id"')
# On PostgreSQL a PENDING share and its invitation are one statement.
_INSERT_INVITED_SHARE = (
    f'WITH s AS ({_INSERT_SHARE}), i AS ('
    + invitation_insert(account_id="$1", email="$3", share_id='(SELECT "id" FROM s)', invited_by="$7",
                        created_at="$8", token_hash="$9", expires_at="$10")
    + ') SELECT "id" FROM s')


async def _new_share(conn, dossier: Dossier, address: str, user_id: int | None, access: str, status: str,
                     actor: Actor, now: datetime, invitation: ShareInvitation | None) -> Share:
    """The share row (a concurrent one to the same address loses on the unique index),
    with its invitation when one is given."""
    params = [dossier.account_id, dossier.id, address, user_id, access, status, actor.user_id, now]
    invited_with_it = invitation is not None and dialect(conn) == "postgres"
    if invited_with_it:
        rows = await returning(conn, _INSERT_INVITED_SHARE, [*params, *invitation_params(invitation)])
    else:
        rows = await returning(conn, _INSERT_SHARE, params)
    # As the ORM reads a stored row back (a later save updates it), without checking each
    # value again: they are the values just inserted.
    share = Share._init_from_db(id=rows[0]["id"], account_id=dossier.account_id, dossier_id=dossier.id,
                                email=address, user_id=user_id, access=access, status=status,
                                created_by_user_id=actor.user_id, created_at=now, revoked_at=None)
    if invitation is not None and not invited_with_it:
        await store_share_invitation(share, invitation, invited_by=actor.user_id, now=now)
    return share


async def revoke_share(actor: Actor, share_id: int, *, now: datetime) -> int:
    """End a share at once (G6: the holder's next request no longer sees the dossier).
    The email's other shares are re-balanced: a suspended one may come back (G5).
    Allowed after cancellation too (S9): taking access away protects the client."""
    async with transaction() as conn:
        share = await Share.get_or_none(id=share_id, revoked_at__isnull=True)
        access = await dossier_access(actor, share.dossier_id) if share else None
        if share is None or access is None or not access.manages_shares:
            raise NotFound("share", field=("shareId",))
        dossier = access.dossier
        await quotas.release_dossier_slot(conn, dossier.id)
        await quotas.lock_quota(conn, share.email)
        await withdraw_share_invitation(share.id, now)
        if await Share.filter(id=share.id, revoked_at__isnull=True).update(revoked_at=now) != 1:
            raise NotFound("share", field=("shareId",))  # revoked concurrently
        await record(AuditAction.SHARE_REVOKED, now=now, account_id=dossier.account_id,
                     actor_user_id=actor.user_id, subject=f"share:{share.id}",
                     detail={"dossier": dossier.id, "email": share.email, "access": share.access})
        await quotas.rebalance(conn, share.email, now=now, actor_user_id=actor.user_id)
        await events.announce(events.SHARE_REVOKED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id), shareId=("Share", share.id))
        return share.id


@contextlib.asynccontextmanager
async def ending_with_dossier(conn, dossier_id: int, now: datetime,
                              actor_user_id: int | None) -> AsyncIterator[dict[str, Any]]:
    """Around erasing a dossier (D6): its live shares end — their holders' quota rows
    locked in address order, their invitations withdrawn — and, once the dossier is gone,
    each holder's free access is re-counted, so a suspended share elsewhere may come back
    (G2, G5). Yields what the erasure's audit event says about shares."""
    shares = await Share.filter(dossier_id=dossier_id, revoked_at__isnull=True)
    emails = sorted({share.email for share in shares})
    for email in emails:
        await quotas.lock_quota(conn, email)
    for share in shares:
        await withdraw_share_invitation(share.id, now)
    yield {"sharesEnded": len(shares)}
    for email in emails:
        await quotas.rebalance(conn, email, now=now, actor_user_id=actor_user_id)
