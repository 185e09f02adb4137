"""Putting messages in the outbox and taking them out again (O1).

`enqueue` runs inside the transaction of the write that announces something, so the
message commits with the write or not at all: a rolled-back write sends nothing.

Workers claim messages with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers on several hosts never hold one message at once). A worker that dies mid-delivery
simply lets its lease run out, and the message is claimed again: delivery is at least
once, and each message carries a stable identity (a mail's Message-ID, a webhook's id)
so the receiver can tell a repeat. Each kind retries by its schedule in
domain.outbox.policies (mail: from seconds to at most 15 minutes, for a day); then the
message is marked failed, where `/metrics` shows it.

A message's schedule (available_at, created_at, giving up after a day) is its account's
business time: the wall clock, or the account's test clock outside production (O4), so
moving a test clock forward is how a client sees a day of retries. Leases are real time.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from domain.core.account_clock import business_now, due_by_account_clock
from infra.clock import utc_now
from infra.db import dialect, execute, placeholders, returning
from domain.outbox.models import OutboxMessage
from domain.outbox.policies import policy_for

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class Claimed:
    """A message a worker holds until its lease ends."""

    id: int
    kind: str
    account_id: int | None
    payload: dict[str, Any]
    attempts: int  # including the attempt about to be made
    created_at: datetime
    lane: str | None = None


# Plain SQL: every mail and archive a write announces is queued here, and building the
# ORM's insert cost more than running it. The payload is encoded as the model's field does.
_INSERT = ('INSERT INTO "outbox_message" ("kind", "account_id", "payload", "status", "attempts", "available_at", '
           '"created_at", "lane") VALUES ($1, $2, $3, $4, 0, $5, $5, $6) RETURNING "id"')
_encode_payload = OutboxMessage._meta.fields_map["payload"].encoder


async def enqueue(kind: str, payload: dict[str, Any], *, account_id: int | None = None,
                  lane: str | None = None, now: datetime | None = None) -> int:
    """Store a message for the worker. Call inside the announcing write's transaction.
    Its times are its account's business time (O4), so retries follow a test clock;
    `now` when the caller knows it (an event's time)."""
    now = now or await business_now(account_id)
    rows = await returning(connections.get("default"), _INSERT,
                           [kind, account_id, _encode_payload(payload), PENDING, now, lane])
    return rows[0]["id"]


def retry_delay(attempts: int, rng: random.Random | None = None, *, kind: str = "mail") -> float:
    """Seconds before the next try after `attempts` failed ones, by the kind's policy
    (domain.outbox.policies): for mail 5 s, 10 s, 20 s … at most 15 minutes, with ±20 %
    jitter so a recovering server is not hit by a wave."""
    return policy_for(kind).delay(attempts, rng).total_seconds()


def gives_up(created_at: datetime, attempts: int, now: datetime, *, kind: str = "mail") -> bool:
    """Retries go on for the kind's time (a day) and a bounded number of times."""
    return policy_for(kind).gives_up(created_at, attempts, now)


def _payload(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, (str, bytes)) else dict(raw)


# How many messages of one lane may be out at once, across workers (a webhook endpoint:
# its receiver gets at most this many attempts at a time, and the others keep their slots).
LANE_LIMIT = 4


async def claim(worker: str, *, limit: int, lease_seconds: float, now: datetime | None = None,
                lane_limit: int = LANE_LIMIT, kinds: tuple[str, ...] | None = None) -> list[Claimed]:
    """Take up to `limit` due messages for `lease_seconds`, oldest first, skipping lanes
    that have `lane_limit` messages out already; only `kinds` when given."""
    now = now or utc_now()
    conn = connections.get("default")
    lock = " FOR UPDATE SKIP LOCKED" if dialect(conn) == "postgres" else ""
    # Due by the message's account clock (O4); the lease is real time.
    sql = (
        "UPDATE outbox_message SET leased_until = $1, leased_by = $2, attempts = attempts + 1 "
        "WHERE id IN (SELECT m.id FROM outbox_message m WHERE m.status = 'pending' AND "
        f"{due_by_account_clock('m.available_at', 'm', '$3')} "
        "AND (m.leased_until IS NULL OR m.leased_until <= $3) "
        "AND (m.lane IS NULL OR (SELECT COUNT(*) FROM outbox_message l WHERE l.lane = m.lane "
        "AND l.status = 'pending' AND l.leased_until > $3) < $5) "
        f"ORDER BY m.id LIMIT $4{lock}) "
        "RETURNING id, kind, account_id, payload, attempts, created_at, lane"
    )
    params: list[Any] = [now + timedelta(seconds=lease_seconds), worker, now, limit, lane_limit]
    if kinds is not None:
        marks = placeholders(6, len(kinds))
        sql = sql.replace("WHERE m.status = 'pending' AND ", f"WHERE m.status = 'pending' AND m.kind IN ({marks}) AND ")
        params.extend(kinds)
    rows = await returning(conn, sql, params)
    claimed = [Claimed(row["id"], row["kind"], row["account_id"], _payload(row["payload"]), row["attempts"],
                       _aware(row["created_at"]), row["lane"]) for row in rows]
    return sorted(claimed, key=lambda message: message.id)


def _aware(value: Any) -> datetime:
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def delivered(message: Claimed, worker: str) -> None:
    """Done; only the lease holder may say so (a lease that ran out was taken over)."""
    await OutboxMessage.filter(id=message.id, leased_by=worker, status=PENDING).update(
        status=DELIVERED, delivered_at=utc_now(), leased_until=None, last_error=None)


async def attempt_failed(message: Claimed, worker: str, error: str, *, permanent: bool = False,
                         retry_at: datetime | None = None) -> str:
    """Schedule the next try, or give up; returns the message's new status. The schedule
    is the kind's policy on the account's clock (O4): a test clock moved forward makes
    retries due. `retry_at` is a time the handler took from that same policy, having
    recorded its attempt: that decision stands. Asked again a moment later, the clock
    could have passed the message's day (the day ended, a test clock moved) and given up
    on a message whose record still waits for its next try (O5: nothing announced is
    lost); that next try, at the later time, gives up as the policy says."""
    now = await business_now(message.account_id)
    policy = policy_for(message.kind)
    if retry_at is not None and not permanent:
        status = PENDING
    else:
        status = FAILED if permanent or policy.gives_up(message.created_at, message.attempts, now) else PENDING
    await OutboxMessage.filter(id=message.id, leased_by=worker, status=PENDING).update(
        status=status, leased_until=None, last_error=error[:2000],
        available_at=retry_at or now + policy.delay(message.attempts))
    return status


async def release(worker: str) -> int:
    """Hand back every lease this worker holds (graceful shutdown): the messages are due
    again at once, and the attempt that never ran is not counted."""
    conn = connections.get("default")
    changed, _ = await execute(
        conn, "UPDATE outbox_message SET leased_until = NULL, attempts = attempts - 1 "
              "WHERE leased_by = $1 AND status = 'pending' AND leased_until IS NOT NULL", [worker])
    return changed


async def hand_back(message: Claimed, worker: str) -> None:
    """Give one claimed message back unattempted (its lane was full after all)."""
    await OutboxMessage.filter(id=message.id, leased_by=worker, status=PENDING).update(
        leased_until=None, attempts=message.attempts - 1)


async def depth() -> dict[tuple[str, str], tuple[int, int]]:
    """(kind, status) → (messages, attempts made), for /metrics: pending is the queue
    (attempts > 0 there means retrying), failed needs a look."""
    conn = connections.get("default")
    _, rows = await execute(conn, "SELECT kind, status, count(*) AS n, sum(attempts) AS tries FROM outbox_message "
                                  "WHERE status IN ('pending', 'failed') GROUP BY kind, status")
    return {(row["kind"], row["status"]): (int(row["n"]), int(row["tries"] or 0)) for row in rows}


async def prune(older_than: datetime) -> int:
    """Forget delivered messages once they are old enough not to matter for debugging."""
    return await OutboxMessage.filter(status=DELIVERED, delivered_at__lt=older_than).delete()
