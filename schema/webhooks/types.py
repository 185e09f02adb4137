"""GraphQL types of webhooks (T5). Endpoints and deliveries name no person: no user, no
email address, only what the partner system configured and what its endpoint answered.
Reached through `Account.webhookEndpoints`, `node` and the webhook mutations, each of
which admits only who manages the webhooks of the account the token acts in."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.webhooks import deliveries as delivery_queries
from domain.webhooks import endpoints as endpoint_service
from domain.webhooks.models import WebhookDelivery as DeliveryRow
from domain.webhooks.models import WebhookEndpoint as EndpointRow
from schema.context import Info
from schema.nodes import Node
from schema.relay import After, Before, Connection, First, Last, encode_cursor, page_slice, to_global_id


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
    id: strawberry.ID = strawberry.field(description="The delivery's global id.")
    event: str = strawberry.field(description="The event name, e.g. dossier.created.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    last_attempt_at: Optional[datetime] = strawberry.field(description="When it was last sent.")
    next_attempt_at: Optional[datetime] = strawberry.field(
        description="When it will be sent next (null once it succeeded or failed for good).")
    response_status: Optional[int] = strawberry.field(
        description="The HTTP status the endpoint last answered (null: no answer).")
    created_at: datetime = strawberry.field(description="When the event was queued for this endpoint.")
    webhook_id: str = strawberry.field(
        description="The webhook-id header: the same on every retry and replay of the event.")
    response_excerpt: Optional[str] = strawberry.field(
        description="The start of the endpoint's last answer (at most 512 bytes; nothing more is kept).")
    last_error: Optional[str] = strawberry.field(
        description="Why the last attempt failed (timeout, redirect, HTTP status, refused address); null after a "
                    "success.")
    replay_of: Optional[strawberry.ID] = strawberry.field(description="The delivery this one replays, if it is a "
                                                                      "replay.")
    account_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: DeliveryRow) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", row.id)), event=row.event,
            status=WebhookDeliveryStatus(row.status), attempts=row.attempts, last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at, response_status=row.response_status, created_at=row.created_at,
            webhook_id=row.message_id, response_excerpt=row.response_excerpt, last_error=row.last_error,
            replay_of=strawberry.ID(to_global_id("WebhookDelivery", row.replay_of_id)) if row.replay_of_id else None,
            account_id=row.account_id)


@strawberry.type(description="A URL of a partner system that receives the account's events, signed per "
                             "Standard Webhooks.")
class WebhookEndpoint(Node):
    id: strawberry.ID = strawberry.field(description="The endpoint's global id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    events: list[str] = strawberry.field(description="The event names it receives; [\"*\"] for every event.")
    enabled: bool = strawberry.field(description="False when switched off by the account, or by the service after "
                                                 "failing past the threshold (see disabledReason).")
    created_at: datetime = strawberry.field(description="When it was created.")
    disabled_at: Optional[datetime] = strawberry.field(description="When it was switched off; null while enabled.")
    disabled_reason: Optional[str] = strawberry.field(
        description="Why it is off: \"manual\" (the account) or \"failing\" (the service, after failing past the "
                    "threshold); null while enabled.")
    failing_since: Optional[datetime] = strawberry.field(
        description="Since when every attempt has failed; null after a success.")
    previous_secret_expires_at: Optional[datetime] = strawberry.field(
        description="Until when the secret replaced by the last rotation still signs (beside the new one).")
    pk: strawberry.Private[int]
    account_id: strawberry.Private[int]

    @strawberry.field(extensions=requires(Scope.WEBHOOKS_MANAGE), description="Its deliveries, newest first.")
    async def deliveries(self, info: Info, first: First = None, after: After = None, last: Last = None,
                         before: Before = None) -> Connection[WebhookDelivery]:
        page = page_slice(first, after, last, before)
        rows, more = await info.context.loader(delivery_queries.delivery_pages).load((self.pk, page))

        async def count() -> int:
            return await info.context.loader(delivery_queries.delivery_counts).load(self.pk)

        return Connection.of([WebhookDelivery.from_model(row) for row in rows],
                             [encode_cursor(row.id) for row in rows], page, more, count)

    @classmethod
    def from_model(cls, row: EndpointRow) -> "WebhookEndpoint":
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", row.id)), url=row.url, events=row.event_names,
            enabled=row.enabled, created_at=row.created_at, disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason, failing_since=row.failing_since,
            previous_secret_expires_at=row.previous_secret_expires_at if row.previous_secret_encrypted else None,
            pk=row.id, account_id=row.account_id)


async def endpoints_of(info: Info, account_id: int) -> list[WebhookEndpoint]:
    """The caller holds webhooks:manage and acts in `account_id` (checked on the field)."""
    return [WebhookEndpoint.from_model(row) for row in await endpoint_service.endpoints_of(account_id)]
