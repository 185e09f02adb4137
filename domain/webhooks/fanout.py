"""From an event to deliveries (T5, O1), inside the transaction of the write that caused
it: one delivery per enabled endpoint of the account that subscribes to the event.

Fanning out here, not later in the worker, is deliberate:
* the endpoints that get an event are the ones subscribed when it happened: one created
  a moment later never receives earlier events, one deleted or disabled before gets none;
* the event's per-account `sequence` is taken in the write's transaction, so a receiver
  can order what it gets; deliveries never wait for one another (O5);
* it costs the write one indexed read of the account's endpoints (the same one statement
  the outbox message it replaces cost) and one multi-row insert when some subscribe. No
  network: a slow or failing endpoint never slows or fails the write.
A rolled-back write takes its deliveries with it, so nothing is sent for it."""
from __future__ import annotations

import json
from typing import Any

from datetime import datetime

from tortoise import connections

from infra.db import execute
from domain.events import Event
from domain.outbox.models import OutboxMessage
from domain.webhooks.models import PENDING, WebhookDelivery
from domain.webhooks.signing import new_message_id

ALL_EVENTS = "*"
# The outbox kind of webhook deliveries (O5: one queue with mail and archives).
WEBHOOK = "webhook"
_ENDPOINTS = 'SELECT "id", "events" FROM "webhook_endpoint" WHERE "account_id" = $1 AND "enabled" = $2'


def subscribes(events: str, event: str) -> bool:
    names = events.split()
    return ALL_EVENTS in names or event in names


def encode_body(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent, on every attempt."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


async def fan_out(event: str, payload: dict[str, Any], *, account_id: int, ordering_key: int,
                  now: datetime) -> int:
    """Queue `payload` for every endpoint of the account subscribed to `event`; the
    number of deliveries made. Call inside the announcing write's transaction."""
    # Plain SQL: every write reads this, and building the ORM's query cost more than running it.
    _, endpoints = await execute(connections.get("default"), _ENDPOINTS, [account_id, True])
    targets = [endpoint["id"] for endpoint in endpoints if subscribes(endpoint["events"], event)]
    if not targets:
        return 0
    # `now` is the event's business time: its retries follow the account's clock (O4).
    await new_deliveries(targets, account_id=account_id, event=event, message_id=new_message_id(),
                         body=encode_body(payload), ordering_key=ordering_key, now=now)
    return len(targets)


async def new_deliveries(endpoint_ids: list[int], *, account_id: int, event: str, message_id: str, body: str,
                         ordering_key: int, now: datetime, replay_of_id: int | None = None) -> list[WebhookDelivery]:
    """The one way a delivery comes to be — an event's, a test event's, a replay's: one
    per endpoint, pending, on the queue, due at `now` (the account's business time)."""
    deliveries = [await WebhookDelivery.create(
        account_id=account_id, endpoint_id=endpoint_id, event=event, message_id=message_id, body=body,
        ordering_key=ordering_key, status=PENDING, attempts=0, next_attempt_at=now, replay_of_id=replay_of_id,
        created_at=now) for endpoint_id in endpoint_ids]
    await queue_deliveries(deliveries, now)
    return deliveries


async def queue_deliveries(deliveries: list[WebhookDelivery], now: datetime) -> None:
    """Put new deliveries on the one queue (O5), in the same transaction: one message
    each, in its endpoint's lane, due at `now` (the account's business time)."""
    if deliveries:
        await OutboxMessage.bulk_create([
            OutboxMessage(kind=WEBHOOK, account_id=d.account_id, payload={"delivery": d.id}, status=PENDING,
                          attempts=0, available_at=now, created_at=now, lane=f"endpoint:{d.endpoint_id}")
            for d in deliveries])


async def on_event(event: Event) -> None:
    """The webhook subscriber of domain events (wired in api/wiring.py). Deliveries do
    not wait for one another (O5): `data.sequence` orders them for the receiver."""
    await fan_out(event.name, {"type": event.name, "timestamp": event.at.isoformat(), "data": event.data()},
                  account_id=event.account_id, ordering_key=event.dossier_key or 0, now=event.at)
