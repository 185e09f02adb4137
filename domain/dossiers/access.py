"""Who may see, write and manage which dossier (D2, D3, D4, D6, P2, P3) — the one place
this rule lives.

Teammates: owners and admins of the dossier's account (and its machine credentials, T4)
see and write all of its dossiers; members only those they are assigned to, and they
manage those dossiers' shares. Outsiders: a live ACTIVE share gives VIEWER (read) or
CONTRIBUTOR (read and write, but only while the holder is a paid user: a guest writes
nothing, ever). Operators see no dossier at all (P3).

A dossier the actor may not see is answered exactly like a missing one (D4), and costs
the same: one statement reads the dossier together with the actor's assignment and
share, whether it exists, is foreign or is visible, so timing tells nothing either.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Sequence

from tortoise import connections

from domain.core.actor import Actor
from domain.core.db import Row, fetch_rows
from domain.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from domain.dossiers.models import Dossier

READ = "READ"
WRITE = "WRITE"
VIEWER = "VIEWER"
CONTRIBUTOR = "CONTRIBUTOR"
ACTIVE = "ACTIVE"

DOSSIER_COLUMNS = ("id", "account_id", "client_name", "reference", "date_of_birth", "free_fields",
                   "archived_at", "share_count", "created_at", "updated_at")
_SELECT_DOSSIER = ", ".join(f"d.{column}" for column in DOSSIER_COLUMNS)
_CONVERT = {"datetimes": ("archived_at", "created_at", "updated_at"), "dates": ("date_of_birth",),
            "json_columns": ("free_fields",)}


class DossierArchived(DomainError):
    code = ErrorCode.DOSSIER_ARCHIVED

    def __init__(self, message: str = "This dossier is archived; it can be read but not changed.") -> None:
        super().__init__(message, field=("dossierId",))


@dataclass(frozen=True)
class DossierAccess:
    """A dossier as one actor may use it."""

    # The dossier's columns (DOSSIER_COLUMNS), as read.
    row: Row
    # READ or WRITE (D2, D3).
    level: str
    # The actor works in the dossier's own account (a teammate or its machine credential).
    own_account: bool
    # A member assigned to it (owners and admins need no assignment).
    assigned: bool
    # Owners and admins of the dossier's account acting in it.
    manages_account: bool

    @cached_property
    def dossier(self) -> Dossier:
        """The dossier as a model, for services that change it (reads use `row`)."""
        return Dossier._init_from_db(**{column: getattr(self.row, column) for column in DOSSIER_COLUMNS})

    @property
    def can_write(self) -> bool:
        return self.level == WRITE

    @property
    def manages_shares(self) -> bool:
        """Who gives, revokes and lists a dossier's shares: its account's owners and admins
        and the members assigned to it; never a share holder from outside (D2, D3)."""
        return self.own_account and (self.manages_account or self.assigned)

    @property
    def sees_team(self) -> bool:
        """Who is assigned is the account's own business: outsiders see no assignees."""
        return self.own_account

    @property
    def reads_access_log(self) -> bool:
        """P2's log of readers: owners and admins of the dossier's account."""
        return self.own_account and self.manages_account


def _own(actor: Actor, account_id: int) -> bool:
    return actor.is_paid and actor.account_id == account_id


def _level(actor: Actor, account_id: int, assigned: bool, shared: str | None) -> str | None:
    """The rule itself, for one dossier: None when the actor may not see it."""
    if not (actor.is_paid or actor.is_guest):
        return None  # operators: never (P3)
    if _own(actor, account_id) and (actor.manages_account or assigned):
        return WRITE
    if shared is not None:
        return WRITE if shared == CONTRIBUTOR and actor.is_paid and not actor.machine else READ
    return None


def access_from_row(actor: Actor, row: Row) -> DossierAccess | None:
    """Build the access from a row of the dossier's columns plus `assigned` and `shared`
    (`_access_columns`); None when the actor may not see it."""
    assigned = bool(row.assigned)
    level = _level(actor, row.account_id, assigned, row.shared)
    if level is None:
        return None
    own = _own(actor, row.account_id)
    return DossierAccess(row, level, own, assigned, own and actor.manages_account)


def _access_columns(first_param: int) -> tuple[str, int]:
    """SQL for the actor's assignment and share of each dossier `d`; uses two parameters
    (membership id, user id) numbered from `first_param`."""
    m, u = first_param, first_param + 1
    sql = (f"EXISTS (SELECT 1 FROM dossier_assignment a WHERE a.dossier_id = d.id AND a.membership_id = ${m}) "
           f"AS assigned, (SELECT s.access FROM share s WHERE s.dossier_id = d.id AND s.user_id = ${u} "
           f"AND s.status = '{ACTIVE}' AND s.revoked_at IS NULL ORDER BY s.id LIMIT 1) AS shared")
    return sql, u + 1


def _actor_params(actor: Actor) -> list[Any]:
    # -1 matches no row: guests and machines have no membership to be assigned with.
    return [actor.membership_id if actor.membership_id is not None else -1, actor.user_id]


async def accesses(keys: Sequence[tuple[Actor, int]]) -> list[DossierAccess | None]:
    """DataLoader batch: (actor, dossier id) → what the actor may do with it, or None when
    it is missing or not visible (D4). One statement per actor in the batch."""
    found: dict[tuple[Actor, int], DossierAccess] = {}
    conn = connections.get("default")
    for actor in {actor for actor, _ in keys}:
        ids = sorted({dossier_id for who, dossier_id in keys if who == actor})
        if not (actor.is_paid or actor.is_guest) or not ids:
            continue
        columns, next_param = _access_columns(1)
        placeholders = ", ".join(f"${n}" for n in range(next_param, next_param + len(ids)))
        rows = await fetch_rows(conn, f"SELECT {_SELECT_DOSSIER}, {columns} FROM dossier d "
                                      f"WHERE d.id IN ({placeholders})", [*_actor_params(actor), *ids], **_CONVERT)
        for row in rows:
            access = access_from_row(actor, row)
            if access is not None:
                found[(actor, access.row.id)] = access
    return [found.get((actor, dossier_id)) for actor, dossier_id in keys]


async def dossier_access(actor: Actor, dossier_id: int) -> DossierAccess | None:
    return (await accesses([(actor, dossier_id)]))[0]


async def visible_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> DossierAccess:
    """The dossier with what this actor may do with it; NotFound when not visible (D4)."""
    access = await dossier_access(actor, dossier_id)
    if access is None:
        raise NotFound("dossier", field=(field,))
    return access


async def writable_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """A dossier this actor may change: visible, writable, and not archived (D3, D6)."""
    access = await visible_dossier(actor, dossier_id, field=field)
    if not access.can_write:
        raise Forbidden("You may read this dossier but not change it.")
    if access.dossier.archived_at is not None:
        raise DossierArchived()
    return access.dossier


async def writable_entry_dossier(actor: Actor, entry_id: int) -> Dossier:
    """The dossier of an entry this actor may revise; NotFound("entry") when the entry is
    missing or its dossier not visible — one statement either way, like `accesses`."""
    columns, next_param = _access_columns(1)
    rows = await fetch_rows(connections.get("default"),
                            f"SELECT {_SELECT_DOSSIER}, {columns} FROM entry e JOIN dossier d ON d.id = e.dossier_id "
                            f"WHERE e.id = ${next_param}", [*_actor_params(actor), entry_id], **_CONVERT)
    access = access_from_row(actor, rows[0]) if rows and (actor.is_paid or actor.is_guest) else None
    if access is None:
        raise NotFound("entry", field=("entryId",))
    if not access.can_write:
        raise Forbidden("You may read this dossier but not change it.")
    if access.dossier.archived_at is not None:
        raise DossierArchived()
    return access.dossier


async def managed_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """A dossier of the account the actor manages (owner or admin acting in it)."""
    access = await visible_dossier(actor, dossier_id, field=field)
    if not access.manages_account:
        raise Forbidden("Only owners and admins of the dossier's account may do this.")
    return access.dossier


async def dossier_for_shares(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """The dossier, when this actor manages its shares; NotFound otherwise (D4: share
    holders and other accounts are answered as if it did not exist)."""
    access = await dossier_access(actor, dossier_id)
    if access is None or not access.manages_shares:
        raise NotFound("dossier", field=(field,))
    return access.dossier


async def visible_dossiers(actor: Actor, *, include_archived: bool, first: int,
                           after: tuple[str, int] | None) -> tuple[list[DossierAccess], bool]:
    """The `dossiers` list: the own account's visible dossiers plus those shared with the
    actor, by client name then id (keyset pagination; `after` = (name, id)), in one
    statement. Each half reads its own index and stops at the page size, so the cost of
    a page does not grow with the account's dossiers. Returns (page, has_next_page)."""
    if not (actor.is_paid or actor.is_guest):
        return [], False
    params: list[Any] = _actor_params(actor)
    columns, _ = _access_columns(1)
    conditions = []
    if not include_archived:
        conditions.append("d.archived_at IS NULL")
    if after is not None:
        params += [after[0], after[0], after[1]]
        n = len(params)
        conditions.append(f"(d.client_name > ${n - 2} OR (d.client_name = ${n - 1} AND d.id > ${n}))")
    params.append(first + 1)
    limit = f"${len(params)}"
    extra = "".join(f" AND {condition}" for condition in conditions)
    halves = []
    if actor.is_paid and actor.account_id is not None:
        params.append(actor.account_id)
        own_account = f"${len(params)}"
        assigned_only = "" if actor.manages_account else " AND EXISTS (SELECT 1 FROM dossier_assignment a2 " \
                                                         "WHERE a2.dossier_id = d.id AND a2.membership_id = $1)"
        halves.append(f"SELECT * FROM (SELECT {_SELECT_DOSSIER}, {columns} FROM dossier d "
                      f"WHERE d.account_id = {own_account}{assigned_only}{extra} "
                      f"ORDER BY d.client_name, d.id LIMIT {limit}) own_half")
        not_own = (f" AND NOT (d.account_id = {own_account}" +
                   ("" if not assigned_only else assigned_only.replace("a2", "a3")) + ")")
        if actor.manages_account:
            not_own = f" AND d.account_id <> {own_account}"
    else:
        not_own = ""
    halves.append(f"SELECT * FROM (SELECT {_SELECT_DOSSIER}, {columns} FROM dossier d "
                  f"JOIN share s2 ON s2.dossier_id = d.id WHERE s2.user_id = $2 AND s2.status = '{ACTIVE}' "
                  f"AND s2.revoked_at IS NULL{not_own}{extra} ORDER BY d.client_name, d.id LIMIT {limit}) shared_half")
    sql = f"SELECT * FROM ({' UNION ALL '.join(halves)}) page ORDER BY client_name, id LIMIT {limit}"
    rows = await fetch_rows(connections.get("default"), sql, params, **_CONVERT)
    page = [access for access in (access_from_row(actor, row) for row in rows) if access is not None]
    return page[:first], len(rows) > first

