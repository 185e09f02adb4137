"""Deliveries a manager asks for — a test event (sendTestWebhook), a replay of one or of
all since a time — and reading deliveries (T5, O5). They ride the same queue, schedule and
signing as an event's deliveries (domain/webhooks/fanout.py `new_deliveries`). A delivery
is visible to whoever manages its account's webhooks, and to no one else (D4: another
account's delivery is missing)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Sequence

from tortoise import connections

from domain.audit.service import AuditAction, record
from domain.core.actor import Actor
from infra.db import execute, placeholders, transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput, NotFound
from domain.core.ids import global_id
from domain.core.paging import Slice, counts_by, id_bounds, in_order
from domain.events import WEBHOOK_TEST, next_sequence
from domain.webhooks.endpoints import managed_account
from domain.webhooks.fanout import encode_body, new_deliveries
from domain.webhooks.models import FAILED, SUCCEEDED, UNFINISHED, WebhookDelivery, WebhookEndpoint
from domain.webhooks.signing import new_message_id

# (endpoint id, the slice of its deliveries a page asks for)
DeliveryPageKey = tuple[int, Slice]

# Test deliveries an endpoint may have on their way at once: enough to try a fix, too
# few to turn the service into a load generator against someone's server.
MAX_UNFINISHED_TESTS = 5
# A replay of "everything since" is bounded, oldest first: a partner that needs more
# asks again with the last replayed delivery's time as `since`.
MAX_REPLAY = 1000
FINISHED = (SUCCEEDED, FAILED)


def _ensure_enabled(endpoint: WebhookEndpoint, field: str) -> None:
    if not endpoint.enabled:
        raise InvalidInput("The endpoint is disabled: enable it first (updateWebhookEndpoint).", field=(field,))


async def _endpoint_to_send_to(account_id: int, endpoint_id: int) -> WebhookEndpoint:
    """The account's endpoint, enabled; locked, so concurrent requests for one endpoint
    count each other's deliveries."""
    endpoint = await WebhookEndpoint.filter(id=endpoint_id, account_id=account_id).select_for_update().first()
    if endpoint is None:
        raise NotFound("webhook endpoint", field=("endpointId",))
    _ensure_enabled(endpoint, "endpointId")
    return endpoint


def _room_on_the_way(waiting: int, limit: int, what: str) -> None:
    """Asked-for deliveries still on their way are bounded per endpoint, so calling again
    and again cannot turn the service into a load generator against a server."""
    if waiting >= limit:
        raise DomainError(f"{waiting} {what} to this endpoint are still on their way; wait for them.",
                          code=ErrorCode.RATE_LIMITED, field=("endpointId",))


async def send_test(actor: Actor, endpoint_id: int, *, now: datetime) -> WebhookDelivery:
    """sendTestWebhook: one `webhook.test` delivery to one endpoint, so a partner can
    check their receiver and signature check before real events flow."""
    account_id = managed_account(actor)
    async with transaction():
        await _endpoint_to_send_to(account_id, endpoint_id)
        waiting = await WebhookDelivery.filter(endpoint_id=endpoint_id, event=WEBHOOK_TEST,
                                               status__in=UNFINISHED).count()
        _room_on_the_way(waiting, MAX_UNFINISHED_TESTS, "test deliveries")
        data = {"accountId": global_id("Account", account_id), "endpointId": global_id("WebhookEndpoint", endpoint_id),
                "sequence": await next_sequence(account_id)}
        body = encode_body({"type": WEBHOOK_TEST, "timestamp": now.isoformat(), "data": data})
        [delivery] = await new_deliveries([endpoint_id], account_id=account_id, event=WEBHOOK_TEST,
                                          message_id=new_message_id(), body=body, ordering_key=0, now=now)
        await record(AuditAction.WEBHOOK_TEST_SENT, now=now, account_id=account_id, actor_user_id=actor.user_id,
                     subject=f"webhook_endpoint:{endpoint_id}", detail={"delivery": delivery.id})
    return delivery


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
        _ensure_enabled(endpoint, "deliveryId")
        if original.status in UNFINISHED:
            raise InvalidInput("This delivery is still being delivered; replay it once it succeeded or failed.",
                               field=("deliveryId",))
        again = await _again(original, now)
        await record(AuditAction.WEBHOOK_DELIVERY_REPLAYED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"webhook_endpoint:{endpoint.id}",
                     detail={"delivery": original.id, "replay": again.id, "event": original.event})
        return again


async def _again(original: WebhookDelivery, now: datetime) -> WebhookDelivery:
    [again] = await new_deliveries([original.endpoint_id], account_id=original.account_id, event=original.event,
                                   message_id=original.message_id, body=original.body,
                                   ordering_key=original.ordering_key, now=now, replay_of_id=original.id)
    return again


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
        await _endpoint_to_send_to(account_id, endpoint_id)
        waiting = await WebhookDelivery.filter(endpoint_id=endpoint_id, replay_of_id__isnull=False,
                                               status__in=UNFINISHED).count()
        _room_on_the_way(waiting, MAX_REPLAY, "replayed deliveries")
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
        marks = placeholders(1, len(ids))
        sql = (f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY id {direction}) "
               f"AS rn FROM webhook_delivery WHERE endpoint_id IN ({marks}){cursor_sql}) AS page "
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
