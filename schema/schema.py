"""The schema, composed from one Query and one Mutation class per area."""
from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.schema.config import StrawberryConfig

from auth.permissions import requires
from schema.accounts.machines import MachineMutation
from schema.accounts.queries import AccountQuery
from schema.accounts.sessions import SessionMutation, SessionQuery
from schema.accounts.teammates import TeammateMutation
from schema.accounts.types import Node
from schema.billing.mutations import BillingMutation
from schema.billing.queries import BillingQuery
from schema.context import Info
from schema.dossiers.mutations import DossierMutation
from schema.dossiers.queries import DossierQuery
from schema.exports.mutations import ExportMutation
from schema.exports.queries import ExportQuery
from schema.nodes import resolve_node
from schema.shares.mutations import ShareMutation


@strawberry.type
class NodeQuery:
    @strawberry.field(extensions=requires())
    async def node(self, info: Info, id: strawberry.ID) -> Optional[Node]:
        return await resolve_node(info, id)


@strawberry.type
class Query(SessionQuery, AccountQuery, DossierQuery, BillingQuery, NodeQuery, ExportQuery):
    pass


@strawberry.type
class Mutation(SessionMutation, TeammateMutation, MachineMutation, ShareMutation, DossierMutation, BillingMutation,
               ExportMutation):
    pass


def build_schema(*, extensions: list | None = None) -> strawberry.Schema:
    from schema.dossiers.types import Dossier  # noqa: F401  (types reachable only via node)

    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions or [],
        config=StrawberryConfig(disable_field_suggestions=True),
    )


schema = build_schema()
