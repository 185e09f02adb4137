"""Teammates of an account: seats (S6), roles, removal, and the last owner (SPEC §1, D2, G5, G6).

Every change to an account's team first takes billing's team lock (the account's
subscription row, `domain.billing.terms.lock_team`), so seat counts and last-owner checks
hold when several processes race (PostgreSQL `FOR UPDATE`; on SQLite one process
serialises everything anyway)."""
from __future__ import annotations

from datetime import datetime

from auth import policy
from domain.accounts import person_hooks
from domain.accounts.models import Invitation, Membership
from domain import events
from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog
from domain.billing.terms import lock_team
from domain.core.actor import Actor, Role
from domain.identity import sessions
from infra.db import transaction
from domain.core.errors import (
    DomainError, ErrorCode, LiftRequest, LimitReached, NotFound,
)

TEAMMATE = "teammate"


class LastOwner(DomainError):
    code = ErrorCode.LAST_OWNER

    def __init__(self, message: str) -> None:
        super().__init__(message, field=("teammateId",))


async def pending_invitations(account_id: int, now: datetime) -> int:
    """Teammate invitations still waiting for an answer: each holds a seat until it expires."""
    return await Invitation.filter(account_id=account_id, kind=TEAMMATE, accepted_at__isnull=True,
                                   revoked_at__isnull=True, expires_at__gt=now).count()


async def seats_in_use(account_id: int, now: datetime) -> int:
    """Teammates plus pending teammate invitations (S6)."""
    return await Membership.filter(account_id=account_id).count() + await pending_invitations(account_id, now)


def seat_limit_reached(account_id: int, seats: int) -> LimitReached:
    return LimitReached(
        ErrorCode.SEAT_LIMIT_REACHED,
        f"Every paid seat of this account is taken ({seats} of {seats}); "
        "add a seat to the subscription first.",
        lift=LiftRequest(account_id, seats_delta=1),
    )


def require_manager(actor: Actor) -> int:
    """Owners and admins manage the team of the account they act in."""
    return policy.acting_account(actor, "team", "manage")


async def _teammate(account_id: int, membership_id: int) -> Membership:
    membership = await Membership.get_or_none(id=membership_id, account_id=account_id)
    if membership is None:
        raise NotFound("teammate", field=("teammateId",))
    return membership


async def _owners(account_id: int) -> int:
    return await Membership.filter(account_id=account_id, role=Role.OWNER.value).count()


async def change_teammate_role(actor: Actor, membership_id: int, role: Role, *, now: datetime,
                               catalog: Catalog) -> Membership:
    """Owners and admins change roles; only an owner makes or unmakes owners; the last
    owner stays an owner."""
    account_id = require_manager(actor)
    async with transaction():
        await lock_team(account_id, now=now, catalog=catalog)
        membership = await _teammate(account_id, membership_id)
        current = Role(membership.role)
        if current is role:
            await membership.fetch_related("user")
            return membership
        policy.ensure_roles(actor, (current, role), account_id)
        if current is Role.OWNER and await _owners(account_id) <= 1:
            raise LastOwner("An account always has an owner: make someone else owner first.")
        membership.role = role.value
        await membership.save(update_fields=["role"])
        await record(AuditAction.TEAMMATE_ROLE_CHANGED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"user:{membership.user_id}",
                     detail={"membership": membership.id, "from": current.value, "to": role.value})
        await membership.fetch_related("user")
        return membership


async def remove_teammate(actor: Actor, membership_id: int, *, now: datetime, catalog: Catalog) -> int:
    """Delete the membership (its dossier assignments go with it). Access ends on the very
    next request, since every request re-reads the membership (G6); the person's refresh
    tokens for this account are revoked too. Returns the removed membership's id."""
    account_id = require_manager(actor)
    async with transaction():
        # Allowed after cancellation too: it only takes access away.
        await lock_team(account_id, now=now, catalog=catalog, writable=False)
        membership = await _teammate(account_id, membership_id)
        policy.ensure_roles(actor, (Role(membership.role),), account_id)
        if membership.role == Role.OWNER.value:
            if await _owners(account_id) <= 1:
                raise LastOwner("An account always has an owner: make someone else owner first.")
        user_id = membership.user_id
        await Membership.filter(id=membership.id).delete()
        await sessions.revoke_in_account(user_id, account_id, at=now)
        await record(AuditAction.TEAMMATE_REMOVED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"user:{user_id}",
                     detail={"membership": membership.id, "role": membership.role})
        await events.announce(events.TEAMMATE_REMOVED, account_id=account_id, now=now,
                              teammateId=("Teammate", membership.id))
        # They may have stopped being a paid user (G5).
        await person_hooks.paid_status_may_have_changed(user_id, now)
        return membership.id
