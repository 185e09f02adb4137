"""The share quotas (G1–G5), held by conditional updates of two counter rows, so the
check and the write are one atomic step on PostgreSQL across processes (G4):

* `dossier.share_count` — live (unrevoked) shares of one dossier, at most 1000 (G1);
* `guest_quota.held` — per email, the usable shares counted against G2 while that email
  is not a paid user: always min(live shares, 3) then; ignored (and left alone) while it
  is a paid user (G3). Every change from paid to not paid re-balances it (G5).

Lock order, everywhere, to rule out deadlocks: dossier row, then the email's quota row,
then share rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.accounts.models import Membership
from domain.audit.service import AuditAction, record
from infra.db import dialect, execute
from domain.core.errors import ErrorCode, LiftRequest, LimitReached
from domain.shares.models import ACTIVE, PENDING, SUSPENDED, Share

DOSSIER_SHARE_LIMIT = 1000
GUEST_DOSSIER_LIMIT = 3


def usable_plan(live_count: int, paid: bool) -> list[bool]:
    """G5, for live shares sorted oldest first: all usable for a paid user, else the
    three oldest. Deterministic: the same shares always give the same answer."""
    return [paid or index < GUEST_DOSSIER_LIMIT for index in range(live_count)]


def quota_held(live_count: int, paid: bool) -> int:
    return 0 if paid else min(live_count, GUEST_DOSSIER_LIMIT)


def dossier_share_limit_reached() -> LimitReached:
    return LimitReached(
        ErrorCode.DOSSIER_SHARE_LIMIT_REACHED,
        f"This dossier is shared with {DOSSIER_SHARE_LIMIT} people already, the most it can be. "
        "Revoke a share first.",
        field=("dossierId",),
    )


def guest_dossier_limit_reached(email: str, sharing_account_id: int) -> LimitReached:
    return LimitReached(
        ErrorCode.GUEST_DOSSIER_LIMIT_REACHED,
        f"{email} already has free access to {GUEST_DOSSIER_LIMIT} dossiers, the most a person "
        "without a paid seat can have. Add them to your account as a paid teammate (one more "
        "seat, see the quote): then they can be given any number of dossiers.",
        lift=LiftRequest(account_id=sharing_account_id, seats_delta=1),
        field=("email",),
    )


@dataclass(frozen=True)
class LockedDossier:
    archived: bool


async def lock_dossier(conn, dossier_id: int) -> LockedDossier | None:
    """Lock the dossier row (first in the lock order) and read what sharing depends on
    from it; None when it is gone (erased since it was found: answered like a missing
    one, D4). A concurrent erasure either waits for us or is seen here."""
    lock = " FOR UPDATE" if dialect(conn) == "postgres" else ""
    _, rows = await execute(conn, f"SELECT archived_at FROM dossier WHERE id = $1{lock}", [dossier_id])
    if not rows:
        return None
    return LockedDossier(archived=rows[0]["archived_at"] is not None)


async def take_dossier_slot(conn, dossier_id: int) -> bool:
    """Count one more live share of the dossier, unless it has 1000 (G1). Call with the
    row locked (`lock_dossier`), so no row updated means the limit, never a row gone."""
    changed, _ = await execute(
        conn, "UPDATE dossier SET share_count = share_count + 1 WHERE id = $1 AND share_count < $2",
        [dossier_id, DOSSIER_SHARE_LIMIT])
    return changed == 1


async def release_dossier_slot(conn, dossier_id: int) -> None:
    await execute(conn, "UPDATE dossier SET share_count = share_count - 1 WHERE id = $1 AND share_count > 0",
                  [dossier_id])


async def lock_quota(conn, email: str) -> None:
    """Make sure the email's quota row exists, and hold its lock to the end of the
    transaction: shares to this email and its paid-status changes queue behind it."""
    # One statement: the upsert's no-op update locks the row, new or existing, as an
    # UPDATE would (on SQLite the write transaction holds the database anyway).
    await execute(conn, "INSERT INTO guest_quota (email, held) VALUES ($1, 0) "
                        "ON CONFLICT (email) DO UPDATE SET held = guest_quota.held", [email])


async def take_guest_slot(conn, email: str) -> bool:
    """Count one more usable share for an email that is not a paid user, unless it has 3 (G2)."""
    changed, _ = await execute(
        conn, "UPDATE guest_quota SET held = held + 1 WHERE email = $1 AND held < $2",
        [email, GUEST_DOSSIER_LIMIT])
    return changed == 1


async def is_paid_email(email: str) -> bool:
    """A paid user: the user with this email is a teammate of any account (G3) — and has
    proven the address (I1): a login made with someone else's address buys that address
    nothing."""
    return await Membership.filter(user__email=email, user__email_verified_at__isnull=False).exists()


@dataclass(frozen=True)
class Person:
    """Who holds an address, as sharing to it asks (read under its quota lock)."""
    user_id: int | None  # the login with this address, if any
    signs_in: bool  # that login has a password
    proven: bool  # and has proven the address (I1)
    teammate: bool  # and is a teammate of some account

    @property
    def paid(self) -> bool:
        """What `is_paid_email` answers (G3, I1)."""
        return self.teammate and self.proven


_PERSON = ('SELECT u."id", u."password_hash" IS NOT NULL AS signs_in, u."email_verified_at" IS NOT NULL AS proven, '
           'EXISTS (SELECT 1 FROM "membership" m WHERE m."user_id" = u."id") AS teammate '
           'FROM "user" u WHERE u."email" = $1')


async def person(conn, email: str) -> Person:
    """The login with this address (one at most: addresses are unique) and whether it is
    a paid user, in one statement. Call with the quota row locked (`lock_quota`)."""
    _, rows = await execute(conn, _PERSON, [email])
    if not rows:
        return Person(None, False, False, False)
    row = rows[0]
    return Person(row["id"], bool(row["signs_in"]), bool(row["proven"]), bool(row["teammate"]))


async def has_paid_login(email: str) -> bool:
    """A login with this email is a teammate of some account, proven or not: enough to be
    given CONTRIBUTOR access, which waits (PENDING) until the address is proven (I1)."""
    return await Membership.filter(user__email=email).exists()


async def rebalance(conn, email: str, *, now: datetime, actor_user_id: int | None = None) -> None:
    """Bring one email's shares and quota in line with G5. Call with the quota row locked.
    Nothing is deleted: shares only move between usable and SUSPENDED."""
    paid = await is_paid_email(email)
    live = await Share.filter(email=email, revoked_at__isnull=True).order_by("created_at", "id")
    for share, usable in zip(live, usable_plan(len(live), paid)):
        if usable and share.status == SUSPENDED:
            # Back to ACTIVE for a holder with a login, else PENDING, decided on the row as it is now.
            await execute(conn, "UPDATE share SET status = CASE WHEN user_id IS NULL THEN $1 ELSE $2 END "
                                "WHERE id = $3", [PENDING, ACTIVE, share.id])
            await _audit(AuditAction.SHARE_RESTORED, share, now, actor_user_id)
        elif not usable and share.status != SUSPENDED:
            await execute(conn, "UPDATE share SET status = $1 WHERE id = $2", [SUSPENDED, share.id])
            await _audit(AuditAction.SHARE_SUSPENDED, share, now, actor_user_id)
    await execute(conn, "UPDATE guest_quota SET held = $1 WHERE email = $2",
                  [quota_held(len(live), paid), email])


async def _audit(action: str, share: Share, now: datetime, actor_user_id: int | None) -> None:
    await record(action, now=now, account_id=share.account_id, actor_user_id=actor_user_id,
                 subject=f"share:{share.id}", detail={"dossier": share.dossier_id, "email": share.email})
