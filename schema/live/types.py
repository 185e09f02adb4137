"""`LiveUpdates` (API.md "Live updates"): the root type of subscriptions. An update names
what changed by id; its objects are resolved like `node(id:)` by the subscriber at the
moment of delivery, so it never carries more than a query by them would return."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, AsyncGenerator, Optional

import strawberry

from domain.core.ids import global_id
from domain.live.messages import Announced
from schema.accounts.types import Account
from schema.context import Info
from schema.dossiers.content import Entry, Measurement
from schema.dossiers.types import Dossier, Share
from schema.live.follow import follow
from schema.nodes import resolve_node
from schema.relay import parse_global_id


def _id(event: Announced, name: str) -> Optional[str]:
    found = event.ids.get(name)
    return global_id(*found) if found else None


async def _node(info: Info, node_id: Optional[str]):  # noqa: ANN202
    return await resolve_node(info, node_id) if node_id else None


@strawberry.type(description="Something that happened in one dossier. The objects are as the subscriber may read "
                             "them now: null when gone or not visible to them.")
class DossierUpdate:
    event: str = strawberry.field(description="What happened, by the webhook event name (`entry.added`, "
                                              "`share.revoked`, …).")
    sequence: int = strawberry.field(description="The account's event counter: increasing, so a client can "
                                                 "order updates and notice it missed some (0 when not known).")
    at: datetime = strawberry.field(description="When it happened.")
    dossier_id: strawberry.Private[Optional[str]]
    entry_id: strawberry.Private[Optional[str]]
    measurement_id: strawberry.Private[Optional[str]]
    share_id: strawberry.Private[Optional[str]]

    @classmethod
    def of(cls, event: Announced) -> "DossierUpdate":
        return cls(event=event.name, sequence=event.sequence, at=event.at, dossier_id=_id(event, "dossierId"),
                   entry_id=_id(event, "entryId"), measurement_id=_id(event, "measurementId"),
                   share_id=_id(event, "shareId"))

    @strawberry.field(description="The dossier as it is now; null once deleted.")
    async def dossier(self, info: Info) -> Optional[Dossier]:
        return await _node(info, self.dossier_id)

    @strawberry.field(description="The entry added or revised, as it is now.")
    async def entry(self, info: Info) -> Optional[Entry]:
        return await _node(info, self.entry_id)

    @strawberry.field(description="The measurement recorded.")
    async def measurement(self, info: Info) -> Optional[Measurement]:
        return await _node(info, self.measurement_id)

    @strawberry.field(description="The share given, accepted or revoked; null for whoever may not manage or hold it.")
    async def share(self, info: Info) -> Optional[Share]:
        return await _node(info, self.share_id)


@strawberry.type(description="Something that happened to the subscriber: a share given to them or revoked, one of "
                             "their other sessions ended (`session.ended`), a change of the subscription of the "
                             "account they act in, or its active clients this month reaching 80% of the plan's cap "
                             "and more (`usage.near_cap`: refetch the account's usage).")
class ViewerUpdate:
    event: str = strawberry.field(description="What happened, by the webhook event name (`share.created`, "
                                              "`subscription.changed`, …), or `session.ended`, `usage.near_cap`.")
    sequence: int = strawberry.field(description="The account's event counter (0 when not known).")
    at: datetime = strawberry.field(description="When it happened.")
    share_id: strawberry.Private[Optional[str]]
    account_id: strawberry.Private[Optional[str]]

    @classmethod
    def of(cls, event: Announced) -> "ViewerUpdate":
        return cls(event=event.name, sequence=event.sequence, at=event.at, share_id=_id(event, "shareId"),
                   account_id=global_id("Account", event.account_id) if event.account_id else None)

    @strawberry.field(description="The share given to the subscriber or revoked; null once they may not see it.")
    async def share(self, info: Info) -> Optional[Share]:
        return await _node(info, self.share_id)

    @strawberry.field(description="The account the update is about, as the subscriber may see it (null when they "
                                  "may not).")
    async def account(self, info: Info) -> Optional[Account]:
        return await _node(info, self.account_id)


@strawberry.type(name="LiveUpdates", description="Live updates over the WebSocket at /graphql (graphql-transport-ws; "
                 "the access token in connection_init as {\"Authorization\": \"Bearer …\"}). A stream whose subscriber "
                 "loses access ends with an error naming the reason: FORBIDDEN, UNAUTHENTICATED, TWO_FACTOR_REQUIRED "
                 "(TOKEN_EXPIRED closes the connection: refresh and reconnect). At most once: after a reconnect, "
                 "refetch what you show.")
class LiveUpdates:
    @strawberry.subscription(description="What happens in one dossier the subscriber may read: entries, "
                                         "measurements, shares, assignees, archiving. Ends with FORBIDDEN when the "
                                         "dossier is missing or not (any longer) visible to them.")
    async def dossier_updates(self, info: Info, dossier_id: Annotated[strawberry.ID, strawberry.argument(
            description="The dossier's global id.")]) -> AsyncGenerator[DossierUpdate, None]:
        parsed = parse_global_id(dossier_id)
        key = parsed[1] if parsed is not None and parsed[0] == "Dossier" else -1  # -1: no dossier has it
        async for update in follow(info.context, DossierUpdate.of, dossier_id=key):
            yield update

    @strawberry.subscription(description="Shares given to the subscriber or revoked, their sessions ended, and "
                                         "the subscription and usage near the cap of the account they act in. Ends "
                                         "with UNAUTHENTICATED when this very session ends.")
    async def viewer_updates(self, info: Info) -> AsyncGenerator[ViewerUpdate, None]:
        async for update in follow(info.context, ViewerUpdate.of):
            yield update
