"""sendTestWebhook (API.md "Webhooks", O5): one `webhook.test` delivery to one endpoint,
so a partner can check their receiver and signature check before real events flow. It
rides the same queue, schedule and signing as every other delivery."""
from __future__ import annotations

from datetime import datetime

from domain.audit.service import AuditAction, record
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput, NotFound
from domain.core.ids import global_id
from domain.events import WEBHOOK_TEST, next_sequence
from domain.webhooks.endpoints import managed_account
from domain.webhooks.fanout import encode_body, queue_deliveries
from domain.webhooks.models import PENDING, UNFINISHED, WebhookDelivery, WebhookEndpoint
from domain.webhooks.signing import new_message_id

# Test deliveries an endpoint may have on their way at once: enough to try a fix, too
# few to turn the service into a load generator against someone's server.
MAX_UNFINISHED_TESTS = 5


async def send_test(actor: Actor, endpoint_id: int, *, now: datetime) -> WebhookDelivery:
    account_id = managed_account(actor)
    async with transaction():
        endpoint = await WebhookEndpoint.filter(id=endpoint_id, account_id=account_id).select_for_update().first()
        if endpoint is None:
            raise NotFound("webhook endpoint", field=("endpointId",))
        if not endpoint.enabled:
            raise InvalidInput("The endpoint is disabled: enable it first (updateWebhookEndpoint).",
                               field=("endpointId",))
        waiting = await WebhookDelivery.filter(endpoint_id=endpoint_id, event=WEBHOOK_TEST,
                                               status__in=UNFINISHED).count()
        if waiting >= MAX_UNFINISHED_TESTS:
            raise DomainError(f"{waiting} test deliveries to this endpoint are still on their way; wait for them.",
                              code=ErrorCode.RATE_LIMITED, field=("endpointId",))
        data = {"accountId": global_id("Account", account_id), "endpointId": global_id("WebhookEndpoint", endpoint_id),
                "sequence": await next_sequence(account_id)}
        body = encode_body({"type": WEBHOOK_TEST, "timestamp": now.isoformat(), "data": data})
        delivery = await WebhookDelivery.create(
            account_id=account_id, endpoint_id=endpoint_id, event=WEBHOOK_TEST, message_id=new_message_id(),
            body=body, ordering_key=0, status=PENDING, attempts=0, next_attempt_at=now, created_at=now)
        await queue_deliveries([delivery], now)
        await record(AuditAction.WEBHOOK_TEST_SENT, now=now, account_id=account_id, actor_user_id=actor.user_id,
                     subject=f"webhook_endpoint:{endpoint_id}", detail={"delivery": delivery.id})
    return delivery
