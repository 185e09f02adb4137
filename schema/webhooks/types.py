"""GraphQL types of webhooks (T5). Endpoints and deliveries name no person: no user, no
email address, only what the partner system configured and what its endpoint answered."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.webhooks import deliveries as delivery_queries
from domain.webhooks import endpoints as endpoint_service
from domain.webhooks.models import WebhookDelivery as DeliveryRow
from domain.webhooks.models import WebhookEndpoint as EndpointRow
from schema.accounts.types import Node
from schema.context import Info
from schema.relay import Connection, decode_cursor, encode_cursor, page_size, to_global_id


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Not tried yet, or being sent right now.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="The endpoint answered 2xx.")
    FAILING = strawberry.enum_value("failing", description="The last attempt failed; it will be tried again "
                                                           "(see nextAttemptAt).")
    FAILED = strawberry.enum_value("failed", description="Retried for a day without success, or its endpoint "
                                                         "was disabled; it can be replayed.")


@strawberry.type(description="One event sent to one endpoint, with what its attempts found.")
class WebhookDelivery(Node):
    row: strawberry.Private[DeliveryRow]

    @strawberry.field(description="The delivery's global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("WebhookDelivery", self.row.id))

    @strawberry.field(description="The event name, e.g. dossier.created.")
    def event(self) -> str:
        return self.row.event

    @strawberry.field(description="Where the delivery stands.")
    def status(self) -> WebhookDeliveryStatus:
        return WebhookDeliveryStatus(self.row.status)

    @strawberry.field(description="Attempts made so far.")
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(description="When it was last sent.")
    def last_attempt_at(self) -> Optional[datetime]:
        return self.row.last_attempt_at

    @strawberry.field(description="When it will be sent next (null once it succeeded or failed for good).")
    def next_attempt_at(self) -> Optional[datetime]:
        return self.row.next_attempt_at

    @strawberry.field(description="The HTTP status the endpoint last answered (null: no answer).")
    def response_status(self) -> Optional[int]:
        return self.row.response_status

    @strawberry.field(description="When the event was queued for this endpoint.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="The webhook-id header: the same on every retry and replay of the event.")
    def webhook_id(self) -> str:
        return self.row.message_id

    @strawberry.field(description="The start of the endpoint's last answer (at most 512 bytes; nothing more "
                                  "is kept).")
    def response_excerpt(self) -> Optional[str]:
        return self.row.response_excerpt

    @strawberry.field(description="Why the last attempt failed (timeout, redirect, HTTP status, refused "
                                  "address); null after a success.")
    def last_error(self) -> Optional[str]:
        return self.row.last_error

    @strawberry.field(description="The delivery this one replays, if it is a replay.")
    def replay_of(self) -> Optional[strawberry.ID]:
        return strawberry.ID(to_global_id("WebhookDelivery", self.row.replay_of_id)) if self.row.replay_of_id else None

    @classmethod
    def from_model(cls, row: DeliveryRow) -> "WebhookDelivery":
        return cls(row=row)


@strawberry.type(description="A URL of a partner system that receives the account's events, signed per "
                             "Standard Webhooks.")
class WebhookEndpoint(Node):
    row: strawberry.Private[EndpointRow]

    @strawberry.field(description="The endpoint's global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("WebhookEndpoint", self.row.id))

    @strawberry.field(description="Where deliveries are POSTed.")
    def url(self) -> str:
        return self.row.url

    @strawberry.field(description="The event names it receives; [\"*\"] for every event.")
    def events(self) -> list[str]:
        return self.row.event_names

    @strawberry.field(description="False when switched off by the account, or by the service after failing "
                                  "past the threshold (see disabledReason).")
    def enabled(self) -> bool:
        return self.row.enabled

    @strawberry.field(description="When it was created.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="When it was switched off; null while enabled.")
    def disabled_at(self) -> Optional[datetime]:
        return self.row.disabled_at

    @strawberry.field(description="Why it is off: \"manual\" (the account) or \"failing\" (the service, after "
                                  "failing past the threshold); null while enabled.")
    def disabled_reason(self) -> Optional[str]:
        return self.row.disabled_reason

    @strawberry.field(description="Since when every attempt has failed; null after a success.")
    def failing_since(self) -> Optional[datetime]:
        return self.row.failing_since

    @strawberry.field(description="Until when the secret replaced by the last rotation still signs (beside "
                                  "the new one).")
    def previous_secret_expires_at(self) -> Optional[datetime]:
        return self.row.previous_secret_expires_at if self.row.previous_secret_encrypted else None

    @strawberry.field(extensions=requires(Scope.WEBHOOKS_MANAGE), description="Its deliveries, newest first.")
    async def deliveries(
        self, info: Info,
        first: Annotated[Optional[int], strawberry.argument(description="Page size (default 20, at most 100).")] = None,
        after: Annotated[Optional[str], strawberry.argument(description="The endCursor of the page before.")] = None,
    ) -> Connection[WebhookDelivery]:
        cursor = decode_cursor(after)
        before_id = int(cursor[0]) if cursor and cursor[0].isdigit() else None
        key = (self.row.id, page_size(first), before_id)
        rows, has_next = await info.context.loader(delivery_queries.delivery_pages).load(key)
        return Connection.build([WebhookDelivery.from_model(row) for row in rows],
                                [encode_cursor(row.id) for row in rows], has_next)

    @classmethod
    def from_model(cls, row: EndpointRow) -> "WebhookEndpoint":
        return cls(row=row)


async def endpoints_of(info: Info, account_id: int) -> list[WebhookEndpoint]:
    """The caller holds webhooks:manage and acts in `account_id` (checked on the field)."""
    return [WebhookEndpoint.from_model(row) for row in await endpoint_service.endpoints_of(account_id)]
