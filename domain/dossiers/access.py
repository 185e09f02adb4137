"""Who may see and write which dossier (D2, D3, D4, P3).

Teammates: owners and admins of the dossier's account see and write all of its dossiers;
members only those they are assigned to. Outsiders: a live share gives VIEWER (read) or
CONTRIBUTOR (read and write, but only while the holder is a paid user: a guest writes
nothing, ever). Operators see no dossier content at all. A dossier the actor may not
see is answered exactly like a missing one (NotFound), so existence never leaks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from domain.core.actor import Actor
from domain.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from domain.dossiers.models import Dossier, DossierAssignment
from domain.shares.access import CONTRIBUTOR, shared_access

READ = "READ"
WRITE = "WRITE"


class DossierArchived(DomainError):
    code = ErrorCode.DOSSIER_ARCHIVED

    def __init__(self) -> None:
        super().__init__("This dossier is archived; it can be read but not changed.")


@dataclass(frozen=True)
class DossierAccess:
    dossier: Dossier
    can_write: bool
    # True when the actor is a teammate of the dossier's account (not a share holder).
    own_account: bool


def sees_team_of(actor: Actor, account_id: int) -> bool:
    """Who is assigned to a dossier is the account's own business: share holders from
    outside see no assignees (D3)."""
    return actor.is_paid and actor.account_id == account_id


async def access_levels(actor: Actor, dossiers: Sequence[Dossier]) -> dict[int, str]:
    """dossier id → READ or WRITE, for the given dossiers this actor may see at all."""
    if not (actor.is_paid or actor.is_guest) or not dossiers:
        return {}  # operators: never (P3)
    levels: dict[int, str] = {}
    own = [d.id for d in dossiers if actor.is_paid and d.account_id == actor.account_id]
    if own:
        if actor.manages_account:
            levels.update({dossier_id: WRITE for dossier_id in own})
        else:
            assigned = await DossierAssignment.filter(
                membership_id=actor.membership_id, dossier_id__in=own).values_list("dossier_id", flat=True)
            levels.update({dossier_id: WRITE for dossier_id in assigned})
    others = [d.id for d in dossiers if d.id not in levels]
    if others:
        for dossier_id, access in (await shared_access(actor.user_id, others)).items():
            levels[dossier_id] = WRITE if access == CONTRIBUTOR and actor.is_paid else READ
    return levels


async def visible_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> DossierAccess:
    """The dossier with what this actor may do with it; NotFound when not visible (D4)."""
    dossier = await Dossier.get_or_none(id=dossier_id)
    if dossier is None:
        raise NotFound("dossier", field=(field,))
    level = (await access_levels(actor, [dossier])).get(dossier.id)
    if level is None:
        raise NotFound("dossier", field=(field,))
    own = actor.is_paid and actor.account_id == dossier.account_id
    return DossierAccess(dossier, level == WRITE, own)


async def writable_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """A dossier this actor may change: visible, writable, and not archived (D3, D6)."""
    access = await visible_dossier(actor, dossier_id, field=field)
    if not access.can_write:
        raise Forbidden("You may read this dossier but not change it.")
    if access.dossier.archived_at is not None:
        raise DossierArchived()
    return access.dossier


async def managed_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """A dossier of the account the actor manages (owner or admin acting in it)."""
    access = await visible_dossier(actor, dossier_id, field=field)
    if not (access.own_account and actor.manages_account):
        raise Forbidden("Only owners and admins of the dossier's account may do this.")
    return access.dossier


async def visible_dossiers(actor: Actor, *, include_archived: bool, first: int,
                           after: tuple[str, int] | None) -> tuple[list[Dossier], bool]:
    """The `dossiers` list: the own account's visible dossiers plus those shared with the
    actor, by client name then id (keyset pagination; `after` = (name, id)).
    Returns (page, has_next_page)."""
    query = await _visible_query(actor)
    if query is None:
        return [], False
    if not include_archived:
        query = query.filter(archived_at__isnull=True)
    if after is not None:
        name, last_id = after
        query = query.filter(Q(client_name__gt=name) | Q(client_name=name, id__gt=last_id))
    rows = await query.order_by("client_name", "id").limit(first + 1)
    return rows[:first], len(rows) > first


async def _visible_query(actor: Actor) -> QuerySet[Dossier] | None:
    if not (actor.is_paid or actor.is_guest):
        return None
    conditions: list[Q] = []
    if actor.is_paid and actor.account_id is not None:
        own = Q(account_id=actor.account_id)
        if not actor.manages_account:
            assigned = DossierAssignment.filter(membership_id=actor.membership_id).values("dossier_id")
            own &= Q(id__in=Subquery(assigned))
        conditions.append(own)
    shared = list(await shared_access(actor.user_id))
    if shared:
        conditions.append(Q(id__in=shared))
    if not conditions:
        return None
    return Dossier.filter(Q(*conditions, join_type=Q.OR))


async def accesses(keys: Sequence[tuple[Actor, int]]) -> list[DossierAccess | None]:
    """DataLoader batch: (actor, dossier id) → what the actor may do with it, or None
    when it is missing or not visible (D4)."""
    found: dict[tuple[Actor, int], DossierAccess] = {}
    for actor in {actor for actor, _ in keys}:
        ids = [dossier_id for who, dossier_id in keys if who == actor]
        dossiers = await Dossier.filter(id__in=ids)
        levels = await access_levels(actor, dossiers)
        for dossier in dossiers:
            if dossier.id in levels:
                own = actor.is_paid and actor.account_id == dossier.account_id
                found[(actor, dossier.id)] = DossierAccess(dossier, levels[dossier.id] == WRITE, own)
    return [found.get(tuple(key)) for key in keys]
