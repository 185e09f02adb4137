"""Who manages a dossier's shares (gives, revokes and lists them): the owners and admins
of the dossier's account, and the members assigned to it (D2). Everyone else is answered
as if the dossier did not exist (D4); guests and other accounts never manage shares."""
from __future__ import annotations

from typing import Sequence

from domain.core.actor import Actor
from domain.core.errors import NotFound
from domain.dossiers.models import Dossier, DossierAssignment


def may_manage(actor: Actor, dossier_account_id: int, assigned: bool) -> bool:
    if not actor.is_paid or actor.account_id != dossier_account_id:
        return False
    return actor.manages_account or assigned


async def manages_dossier(actor: Actor, dossier: Dossier) -> bool:
    if not actor.is_paid or actor.account_id != dossier.account_id:
        return False
    if actor.manages_account:
        return True
    return await DossierAssignment.exists(dossier_id=dossier.id, membership_id=actor.membership_id)


async def dossier_to_manage(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """The dossier, when this actor manages its shares; NotFound otherwise (D4)."""
    dossier = await Dossier.get_or_none(id=dossier_id)
    if dossier is None or not await manages_dossier(actor, dossier):
        raise NotFound("dossier", field=(field,))
    return dossier


async def managed_dossier_ids(keys: Sequence[tuple[Actor, int]]) -> list[bool]:
    """DataLoader batch: (actor, dossier id) → does this actor manage the dossier's shares."""
    dossiers = {row.id: row for row in await Dossier.filter(id__in=list({d for _, d in keys}))}
    member_ids = {actor.membership_id for actor, _ in keys if actor.membership_id is not None}
    assigned = set(await DossierAssignment.filter(
        membership_id__in=list(member_ids), dossier_id__in=list(dossiers)).values_list("membership_id", "dossier_id"))
    result = []
    for actor, dossier_id in keys:
        dossier = dossiers.get(dossier_id)
        result.append(dossier is not None and may_manage(
            actor, dossier.account_id, (actor.membership_id, dossier_id) in assigned))
    return result
