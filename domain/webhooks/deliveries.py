"""Reading and replaying deliveries (T5). A delivery is visible to whoever manages its
account's webhooks, and to no one else (D4: another account's delivery is missing)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Sequence

from tortoise import connections

from domain.audit.service import AuditAction, record
from domain.core.actor import Actor
from infra.db import execute, transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput, NotFound
from domain.core.paging import Slice, counts_by, id_bounds, in_order
from domain.webhooks.endpoints import managed_account
from domain.webhooks.fanout import queue_deliveries
from domain.webhooks.models import FAILED, PENDING, SUCCEEDED, UNFINISHED, WebhookDelivery, WebhookEndpoint

# (endpoint id, the slice of its deliveries a page asks for)
DeliveryPageKey = tuple[int, Slice]


async def replay(actor: Actor, delivery_id: int, *, now: datetime) -> WebhookDelivery:
    """Send a finished delivery again: a new delivery with the same `webhook-id` and
    body (the receiver can tell it is the same event), signed afresh when it is sent.
    Its schedule runs on the account's business time `now` (O4)."""
    account_id = managed_account(actor)
    async with transaction():
        original = await WebhookDelivery.filter(id=delivery_id, account_id=account_id).first()
        if original is None:
            raise NotFound("webhook delivery", field=("deliveryId",))
        endpoint = await WebhookEndpoint.get(id=original.endpoint_id)
        if not endpoint.enabled:
            raise InvalidInput("The endpoint is disabled: enable it first (updateWebhookEndpoint).",
                               field=("deliveryId",))
        if original.status in UNFINISHED:
            raise InvalidInput("This delivery is still being delivered; replay it once it succeeded or failed.",
                               field=("deliveryId",))
        again = await _again(original, now)
        await record(AuditAction.WEBHOOK_DELIVERY_REPLAYED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"webhook_endpoint:{endpoint.id}",
                     detail={"delivery": original.id, "replay": again.id, "event": original.event})
        return again


async def _again(original: WebhookDelivery, now: datetime) -> WebhookDelivery:
    again = await WebhookDelivery.create(
        account_id=original.account_id, endpoint_id=original.endpoint_id, event=original.event,
        message_id=original.message_id, body=original.body, ordering_key=original.ordering_key, status=PENDING,
        attempts=0, next_attempt_at=now, replay_of_id=original.id, created_at=now)
    await queue_deliveries([again], now)
    return again


# A replay of "everything since" is bounded, oldest first: a partner that needs more
# asks again with the last replayed delivery's time as `since`.
MAX_REPLAY = 1000
FINISHED = (SUCCEEDED, FAILED)


async def replay_since(actor: Actor, endpoint_id: int, *, since: datetime, statuses: Sequence[str],
                       now: datetime) -> int:
    """replayWebhookDeliveries: send again every finished delivery of the endpoint made
    at or after `since` with one of `statuses` (oldest first, at most MAX_REPLAY); the
    number queued. Unfinished deliveries are on their way already and are refused."""
    account_id = managed_account(actor)
    wanted = list(dict.fromkeys(statuses))
    if not wanted:
        raise InvalidInput("Name at least one status to replay.", field=("statuses",))
    if any(status not in FINISHED for status in wanted):
        raise InvalidInput("Only SUCCEEDED and FAILED deliveries can be replayed; the others are still "
                           "being delivered.", field=("statuses",))
    async with transaction():
        # Locked: concurrent replays of one endpoint count each other's replays.
        endpoint = await WebhookEndpoint.filter(id=endpoint_id, account_id=account_id).select_for_update().first()
        if endpoint is None:
            raise NotFound("webhook endpoint", field=("endpointId",))
        if not endpoint.enabled:
            raise InvalidInput("The endpoint is disabled: enable it first (updateWebhookEndpoint).",
                               field=("endpointId",))
        # Like test events: replays still on their way are bounded per endpoint, so calling
        # again and again cannot turn the service into a load generator against a server.
        waiting = await WebhookDelivery.filter(endpoint_id=endpoint_id, replay_of_id__isnull=False,
                                               status__in=UNFINISHED).count()
        if waiting >= MAX_REPLAY:
            raise DomainError(f"{waiting} replayed deliveries to this endpoint are still on their way; wait for "
                              "them.", code=ErrorCode.RATE_LIMITED, field=("endpointId",))
        originals = await WebhookDelivery.filter(endpoint_id=endpoint_id, created_at__gte=since,
                                                 status__in=wanted).order_by("id").limit(MAX_REPLAY - waiting)
        for original in originals:
            await _again(original, now)
        await record(AuditAction.WEBHOOK_DELIVERY_REPLAYED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"webhook_endpoint:{endpoint_id}",
                     detail={"since": since.isoformat(), "statuses": wanted, "count": len(originals)})
    return len(originals)


async def visible_delivery(account_id: int, delivery_id: int) -> WebhookDelivery | None:
    return await WebhookDelivery.filter(id=delivery_id, account_id=account_id).first()


async def delivery_pages(keys: Sequence[DeliveryPageKey]) -> list[tuple[list[WebhookDelivery], bool]]:
    """Newest first: one page of deliveries per endpoint, as (deliveries, whether more
    lie beyond the page in the direction of travel). One query per distinct slice serves
    every endpoint of the request, with ROW_NUMBER() OVER (PARTITION BY endpoint_id)
    along the (endpoint_id, id) index."""
    groups: dict[Slice, list[int]] = defaultdict(list)
    for endpoint_id, page in keys:
        groups[page].append(endpoint_id)
    pages: dict[DeliveryPageKey, tuple[list[WebhookDelivery], bool]] = {}
    conn = connections.get("default")
    for page, endpoint_ids in groups.items():
        ids = sorted(set(endpoint_ids))
        params: list = list(ids)
        cursor_sql, direction = id_bounds(page, params, newest_first=True)
        params.append(page.size + 1)
        placeholders = ", ".join(f"${n}" for n in range(1, len(ids) + 1))
        sql = (f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY id {direction}) "
               f"AS rn FROM webhook_delivery WHERE endpoint_id IN ({placeholders}){cursor_sql}) AS page "
               f"WHERE rn <= ${len(params)}")
        _, rows = await execute(conn, sql, params)
        found: dict[int, list[WebhookDelivery]] = defaultdict(list)
        if rows:
            order = "-id" if direction == "DESC" else "id"
            for delivery in await WebhookDelivery.filter(id__in=[row["id"] for row in rows]).order_by(order):
                found[delivery.endpoint_id].append(delivery)
        for endpoint_id in ids:
            pages[(endpoint_id, page)] = in_order(found.get(endpoint_id, []), page)
    return [pages[key] for key in keys]


async def delivery_counts(endpoint_ids: Sequence[int]) -> list[int]:
    """How many deliveries each endpoint has: one statement along (endpoint_id, id)."""
    return await counts_by("webhook_delivery", "endpoint_id", endpoint_ids)
