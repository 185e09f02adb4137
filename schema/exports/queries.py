"""`export(id)` and the Export node: null for an export the principal may not see (D4)."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from auth import policy
from auth.permissions import requires
from auth.scopes import Scope
from domain.exports.service import visible_export
from schema.context import Info
from schema.exports.types import Export
from schema.nodes import register_node
from schema.relay import parse_global_id


async def _export_node(info: Info, pk: int) -> Optional[Export]:
    if not policy.admits(info.context.principal, "export", "download"):
        return None
    row = await visible_export(info.context.actor, pk)
    return Export.from_model(row) if row is not None else None


register_node("Export", _export_node)


@strawberry.type
class ExportQuery:
    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ),
                      description="An export the principal asked for; null for any other.")
    async def export(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The export's global id.")]) -> Optional[Export]:
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] != "Export":
            return None
        return await _export_node(info, parsed[1])
