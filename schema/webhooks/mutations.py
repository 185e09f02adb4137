"""Webhook endpoints (T5): create, update, rotate the secret, delete; replay a delivery or
all since a time, send a test event (O5).
Owners, admins, and machine credentials holding `webhooks:manage`."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.webhooks import deliveries, endpoints
from schema.context import Info
from schema.errors import UserError, mutate
from schema.payloads import OkPayload
from schema.relay import from_global_id
from schema.webhooks.types import WebhookDeliveryStatus, WebhookEndpoint

# Who may call every mutation here (T5), as their descriptions say it.
MANAGERS = "Owners and admins, and machine credentials holding webhooks:manage. Audited."


@strawberry.input(description="A new endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="Where to POST deliveries: https in production, a public address (no "
                                            "private, loopback or internal one), no user name, password or "
                                            "#fragment.")
    events: list[str] = strawberry.field(description="Event names to receive (dossier.created, entry.added, "
                                                     "share.revoked…, as listed in the webhooks documentation), or [\"*\"] for every event, also "
                                                     "those added later.")


@strawberry.input(description="Changes to an endpoint; fields left out stay as they are.")
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint to change.")
    url: Optional[str] = strawberry.field(default=strawberry.UNSET, description="A new URL.")
    events: Optional[list[str]] = strawberry.field(default=strawberry.UNSET, description="A new list of events.")
    enabled: Optional[bool] = strawberry.field(
        default=strawberry.UNSET, description="Switch it off (queued deliveries fail) or on again (its failure "
                                              "count starts afresh).")


@strawberry.input(description="One endpoint.")
class WebhookEndpointIdInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's id.")


@strawberry.input(description="A delivery to send again.")
class ReplayWebhookDeliveryInput:
    delivery_id: strawberry.ID = strawberry.field(description="A delivery that succeeded or failed.")


@strawberry.input(description="Which deliveries of an endpoint to send again.")
class ReplayWebhookDeliveriesInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    since: datetime = strawberry.field(description="Deliveries made at or after this time (the account's business "
                                                   "time, see Account.testClock).")
    statuses: Optional[list[WebhookDeliveryStatus]] = strawberry.field(
        default_factory=lambda: [WebhookDeliveryStatus.FAILED],
        description="Which finished deliveries: FAILED (the default), SUCCEEDED or both. PENDING and FAILING ones "
                    "are still on their way and are refused.")


@strawberry.type(description="How many deliveries were queued again.")
class ReplayPayload:
    count: int = strawberry.field(default=0, description="Deliveries queued again (at most 1000 per call, oldest "
                                                         "first; ask again from the last one's time for more).")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


@strawberry.type(description="An endpoint, and its signing secret when it was just made or rotated.")
class WebhookEndpointPayload:
    endpoint: Optional[WebhookEndpoint] = strawberry.field(default=None, description="The endpoint.")
    secret: Optional[str] = strawberry.field(
        default=None, description="The signing secret (whsec_…), shown once: at creation and rotation only.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="What the caller can fix; empty on success.")


def _keep(value: Any) -> Any:
    return endpoints.KEEP if value is strawberry.UNSET else value


def _with_secret(issued: endpoints.EndpointWithSecret) -> dict:
    return {"endpoint": WebhookEndpoint.from_model(issued.endpoint), "secret": issued.secret}


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(extensions=requires(Scope.WEBHOOKS_MANAGE), description=(
        "Subscribe a URL to the account's events; the payload shows its signing secret once. Deliveries are "
        "signed per Standard Webhooks, carry ids but never dossier content, and are retried for at least a day. "
        "At most 20 endpoints an account. " + MANAGERS + " userErrors: INVALID_INPUT (url, events)."))
    async def create_webhook_endpoint(self, info: Info, input: Annotated[
            CreateWebhookEndpointInput, strawberry.argument(description="The URL and the events.")]
            ) -> WebhookEndpointPayload:
        ctx = info.context
        return await mutate(info, WebhookEndpointPayload, lambda: endpoints.create_endpoint(
            ctx.actor, input.url, input.events, settings=ctx.settings, now=ctx.now), _with_secret)

    @strawberry.mutation(extensions=requires(Scope.WEBHOOKS_MANAGE), description=(
        "Change an endpoint's URL or events, or switch it off and on; a new URL or switching on starts its "
        "failure count afresh. " + MANAGERS + " userErrors: NOT_FOUND (endpointId), INVALID_INPUT (url, events)."))
    async def update_webhook_endpoint(self, info: Info, input: Annotated[
            UpdateWebhookEndpointInput, strawberry.argument(description="The endpoint and its changes.")]
            ) -> WebhookEndpointPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.endpoint_id, "WebhookEndpoint", field="endpointId")
            return await endpoints.update_endpoint(
                ctx.actor, pk, url=_keep(input.url), events=_keep(input.events), enabled=_keep(input.enabled),
                settings=ctx.settings, now=ctx.now, security_now=ctx.security_now)

        return await mutate(info, WebhookEndpointPayload, call, lambda row: {"endpoint": WebhookEndpoint.from_model(row)})

    @strawberry.mutation(extensions=requires(Scope.WEBHOOKS_MANAGE), description=(
        "A new signing secret, shown once; the old one keeps signing beside it for 24 hours. " + MANAGERS +
        " userErrors: NOT_FOUND (endpointId)."))
    async def rotate_webhook_secret(self, info: Info, input: Annotated[
            WebhookEndpointIdInput, strawberry.argument(description="The endpoint.")]) -> WebhookEndpointPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.endpoint_id, "WebhookEndpoint", field="endpointId")
            return await endpoints.rotate_secret(ctx.actor, pk, settings=ctx.settings, now=ctx.now,
                                                 security_now=ctx.security_now)

        return await mutate(info, WebhookEndpointPayload, call, _with_secret)

    @strawberry.mutation(extensions=requires(Scope.WEBHOOKS_MANAGE), description=(
        "Delete an endpoint and its deliveries; the audit log keeps that it existed. " + MANAGERS +
        " userErrors: NOT_FOUND (endpointId)."))
    async def delete_webhook_endpoint(self, info: Info, input: Annotated[
            WebhookEndpointIdInput, strawberry.argument(description="The endpoint.")]) -> OkPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.endpoint_id, "WebhookEndpoint", field="endpointId")
            return await endpoints.delete_endpoint(ctx.actor, pk, now=ctx.now)

        return await mutate(info, OkPayload, call, lambda _: {"ok": True})

    @strawberry.mutation(extensions=requires(Scope.WEBHOOKS_MANAGE), description=(
        "Send the event webhook.test to one endpoint, signed like every delivery, to check a receiver and its "
        "signature check; it is retried like any delivery and listed among the endpoint's deliveries. " + MANAGERS
        + " userErrors: NOT_FOUND (endpointId), INVALID_INPUT (the endpoint is disabled), RATE_LIMITED (five test "
        "deliveries are still on their way)."))
    async def send_test_webhook(self, info: Info, input: Annotated[
            WebhookEndpointIdInput, strawberry.argument(description="The endpoint.")]) -> OkPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.endpoint_id, "WebhookEndpoint", field="endpointId")
            return await deliveries.send_test(ctx.actor, pk, now=ctx.now)

        return await mutate(info, OkPayload, call, lambda _: {"ok": True})

    @strawberry.mutation(extensions=requires(Scope.WEBHOOKS_MANAGE), description=(
        "Send again every delivery of an endpoint made since a time, by status (FAILED by default): new deliveries "
        "with the same webhook-id and body, so a receiver can tell repeats. " + MANAGERS + " userErrors: NOT_FOUND "
        "(endpointId), INVALID_INPUT (the endpoint is disabled, no status, or PENDING or FAILING asked for), "
        "RATE_LIMITED (1000 replayed deliveries to the endpoint are still on their way)."))
    async def replay_webhook_deliveries(self, info: Info, input: Annotated[
            ReplayWebhookDeliveriesInput, strawberry.argument(description="The endpoint and what to replay.")]
            ) -> ReplayPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.endpoint_id, "WebhookEndpoint", field="endpointId")
            statuses = [WebhookDeliveryStatus.FAILED] if input.statuses is None else input.statuses
            return await deliveries.replay_since(ctx.actor, pk, since=input.since,
                                                 statuses=[status.value for status in statuses], now=ctx.now)

        return await mutate(info, ReplayPayload, call, lambda count: {"count": count})

    @strawberry.mutation(extensions=requires(Scope.WEBHOOKS_MANAGE), description=(
        "Send a delivery that succeeded or failed again: a new delivery with the same webhook-id and body, "
        "signed afresh. " + MANAGERS + " userErrors: NOT_FOUND (deliveryId), INVALID_INPUT (the endpoint is "
        "disabled, or the delivery is still under way)."))
    async def replay_webhook_delivery(self, info: Info, input: Annotated[
            ReplayWebhookDeliveryInput, strawberry.argument(description="The delivery.")]) -> OkPayload:
        ctx = info.context

        async def call():
            pk = from_global_id(input.delivery_id, "WebhookDelivery", field="deliveryId")
            return await deliveries.replay(ctx.actor, pk, now=ctx.now)

        return await mutate(info, OkPayload, call, lambda _: {"ok": True})
