"""The schema, composed from one Query and one Mutation class per area."""
from __future__ import annotations

import copy
from typing import Annotated, Any, Optional

import strawberry
from strawberry.schema.config import StrawberryConfig

from auth.permissions import requires
from schema.accounts.identity import IdentityMutation
from schema.accounts.machines import MachineMutation
from schema.accounts.queries import AccountQuery
from schema.accounts.sessions import SessionMutation, SessionQuery
from schema.accounts.teammates import TeammateMutation
from schema.accounts.test_clock import TestClockMutation
from schema.nodes import Node
from schema.billing.mutations import BillingMutation
from schema.billing.queries import BillingQuery
from schema.context import Info
from schema.dossiers.mutations import DossierMutation
from schema.dossiers.content import Entry, Measurement
from schema.dossiers.queries import DossierQuery
from schema.dossiers.types import Dossier, Share
from schema.compiled import executor_class
from schema.direct import install_direct_resolvers
from schema.exports.mutations import ExportMutation
from schema.exports.queries import ExportQuery
from schema.live.types import LiveUpdates
from schema.invoices import queries as invoice_nodes  # noqa: F401  (registers the Invoice node type)
from schema.invoices.mutations import InvoiceMutation
from schema.invoices.types import Invoice
from schema.lifecycle import LifecycleRunner
from schema.names import RememberingNameConverter
from schema.nodes import resolve_node
from schema.scalars import SCALARS
from schema.shares.mutations import ShareMutation
from schema.two_factor_gate import gate_every_mutation
from schema.webhooks import queries as webhook_nodes  # noqa: F401  (registers the webhook node types)
from schema.webhooks.mutations import WebhookMutation


@strawberry.type
class NodeQuery:
    @strawberry.field(extensions=requires(), description="Any object by its global id (Relay); null when it does "
                                                         "not exist or the principal may not see it, "
                                                         "alike.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="A global id, from any `id` field.")]) -> Optional[Node]:
        return await resolve_node(info, id)


@strawberry.type(description="What can be read. Without a token only the fields whose description says "
                             "\"Public\" answer; everything else is a top-level UNAUTHENTICATED.")
class Query(SessionQuery, AccountQuery, DossierQuery, BillingQuery, NodeQuery, ExportQuery):
    pass


@strawberry.type(description="What can be changed. Every mutation answers a payload whose `userErrors` say "
                             "what the caller can fix; a refused mutation changes nothing. Without a "
                             "token only the mutations whose description says \"Public\" answer.")
class Mutation(SessionMutation, TeammateMutation, MachineMutation, ShareMutation, DossierMutation, BillingMutation,
               WebhookMutation, ExportMutation, IdentityMutation, TestClockMutation, InvoiceMutation):
    pass


gate_every_mutation(Mutation)  # I5: the account's two-factor policy, for every mutation


class CasebookSchema(strawberry.Schema):
    def create_extensions_runner(self, execution_context: Any, extensions: list) -> LifecycleRunner:
        return LifecycleRunner(execution_context=execution_context, extensions=extensions)


def build_schema(*, extensions: list | None = None, compiled: bool = True) -> strawberry.Schema:
    """`compiled=False` runs every request through the standard completion and
    strawberry's own resolvers (the differential test compares the two)."""
    built = CasebookSchema(
        query=Query,
        mutation=Mutation,
        subscription=LiveUpdates,
        extensions=extensions or [],
        types=[Dossier, Entry, Measurement, Share, Invoice],  # also reachable through `node` alone
        config=StrawberryConfig(disable_field_suggestions=True, name_converter=RememberingNameConverter()),
        scalar_overrides=SCALARS,
        execution_context_class=executor_class(compiled),
    )
    if compiled:
        install_direct_resolvers(built)
    return built


schema = build_schema()
_standard = None


def schema_with(extensions: list, *, compiled: bool = True) -> strawberry.Schema:
    """The schema with these extensions, for one app. Converting the types to GraphQL is
    most of the cost of building a schema (about 0.1 s) and the same for every app of a
    process, so it is done once per executor; each app gets a shallow copy that carries
    its own extensions (and, api/deadline.py, its own executor class)."""
    global _standard
    if not compiled and _standard is None:
        _standard = build_schema(compiled=False)
    own = copy.copy(schema if compiled else _standard)
    own.extensions = tuple(extensions)
    return own
