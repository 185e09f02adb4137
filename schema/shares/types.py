"""Share types: free access to one dossier for someone outside its account (SPEC §4).
A share is seen by its holder and by whoever manages the dossier's shares; nobody else."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

import strawberry

from domain.accounts.models import User as UserRow
from domain.shares import queries
from domain.shares.managing import managed_dossier_ids
from domain.shares.models import Share as ShareRow
from schema.accounts.types import Node
from schema.context import Info
from schema.nodes import register_node
from schema.relay import to_global_id

if TYPE_CHECKING:
    from schema.dossiers.types import Dossier


@strawberry.enum(name="ShareAccess")
class ShareAccess(Enum):
    VIEWER = "VIEWER"
    CONTRIBUTOR = "CONTRIBUTOR"


@strawberry.enum(name="ShareStatus")
class ShareStatus(Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


@strawberry.type
class Share(Node):
    row: strawberry.Private[ShareRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Share", self.row.id))

    @strawberry.field
    async def dossier(self, info: Info) -> Optional[Annotated["Dossier", strawberry.lazy("schema.dossiers.types")]]:
        """Null while the viewer may not see the dossier (a pending or suspended share)."""
        from schema.dossiers.types import Dossier

        key = (info.context.actor, self.row.dossier_id)
        row = await info.context.loader(queries.dossiers_visible_to).load(key)
        return Dossier.from_model(row) if row is not None else None

    @strawberry.field
    def email(self) -> str:
        return self.row.email

    @strawberry.field
    def access(self) -> ShareAccess:
        return ShareAccess(self.row.access)

    @strawberry.field
    def status(self) -> ShareStatus:
        return ShareStatus(self.row.status)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @classmethod
    def from_model(cls, row: ShareRow) -> "Share":
        return cls(row=row)


def _holds(info: Info, row: ShareRow) -> bool:
    actor = info.context.actor
    return row.user_id == actor.user_id or (row.user_id is None and row.email == actor.email)


async def shares_of_viewer(info: Info, user_row: UserRow) -> list[Share]:
    """`me.shares`: the live shares given to the viewer, in the order they were given."""
    email = user_row.email if user_row.email_verified else None
    rows = await info.context.loader(queries.shares_held_by).load((user_row.id, email))
    return [Share.from_model(row) for row in rows]


async def shares_of_dossier(info: Info, dossier_id: int) -> list[Share]:
    """`Dossier.shares`: only for those who manage the dossier's shares; [] for others."""
    if not await info.context.loader(managed_dossier_ids).load((info.context.actor, dossier_id)):
        return []
    rows = await info.context.loader(queries.shares_by_dossier).load(dossier_id)
    return [Share.from_model(row) for row in rows]


async def _share_node(info: Info, pk: int) -> Optional[Share]:
    row = await info.context.loader(queries.shares_by_id).load(pk)
    if row is None:
        return None
    if _holds(info, row) or await info.context.loader(managed_dossier_ids).load(
            (info.context.actor, row.dossier_id)):
        return Share.from_model(row)
    return None


register_node("Share", _share_node)
