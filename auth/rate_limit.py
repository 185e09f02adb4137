"""RATE_LIMITED: attempts per fixed time window at the doors that take secrets — logIn
(per email and per client address), refreshSession and acceptInvitation (per client
address) — counted where every server process sees the same number: Redis when
REDIS_URL is set, else the database's `rate_limit` table (migration 0005).

Windows are fixed (`RATE_LIMIT_WINDOW_SECONDS`, aligned to the epoch), so a client may
burst up to twice the limit across a window boundary; that is the price of one atomic
statement per attempt. Time is security time, never the business clock. Emails and
addresses are stored hashed. Every attempt counts, successful or not."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import GraphQLError
from strawberry.extensions.field_extension import FieldExtension

from domain.core.db import dialect, execute, transaction
from domain.core.validation import InvalidInput, normalize_email

_UPSERT = ('INSERT INTO "rate_limit" ("key", "window_start", "count") VALUES ($1, $2, 1) '
           'ON CONFLICT ("key", "window_start") DO UPDATE SET "count" = "rate_limit"."count" + 1 '
           'RETURNING "count"')
_PRUNE = 'DELETE FROM "rate_limit" WHERE "window_start" < $1'
_PRUNE_CHANCE = 0.02
log = logging.getLogger("casebook.rate_limit")


class RateLimited(GraphQLError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts; try again in {retry_after} seconds.",
                         extensions={"code": "RATE_LIMITED", "retryAfterSeconds": retry_after})


@dataclass(frozen=True)
class Window:
    start: int
    seconds: int

    @classmethod
    def at(cls, moment: datetime, seconds: int) -> "Window":
        epoch = int(moment.timestamp())
        return cls(epoch - epoch % seconds, seconds)

    def retry_after(self, moment: datetime) -> int:
        return max(1, self.start + self.seconds - int(moment.timestamp()))


def bucket_key(operation: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{operation}:{kind}:{digest}"


async def _count_in_database(key: str, window: Window) -> int:
    async with transaction() as conn:
        # Not db.execute: tortoise's asyncpg client drops the rows of INSERT … RETURNING.
        upsert = _UPSERT if dialect(conn) == "postgres" else _UPSERT.replace("$1", "?").replace("$2", "?")
        rows = await conn.execute_query_dict(upsert, [key, window.start])
        if random.random() < _PRUNE_CHANCE:
            await execute(conn, _PRUNE, [window.start - window.seconds])
    return int(rows[0]["count"])


_redis_clients: dict[tuple[str, int], Any] = {}


def _redis(url: str) -> Any:
    """One client per URL and event loop (a client is bound to the loop it was made on)."""
    import redis.asyncio as redis

    loop_id = id(asyncio.get_running_loop())
    client = _redis_clients.get((url, loop_id))
    if client is None:
        client = _redis_clients[(url, loop_id)] = redis.from_url(url)
    return client


def _redis_error() -> type[Exception]:
    from redis.exceptions import RedisError

    return RedisError


async def _count_in_redis(url: str, key: str, window: Window) -> int:
    name = f"casebook:rate:{key}:{window.start}"
    async with _redis(url).pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, window.seconds + 5)
        count, _ = await pipe.execute()
    return int(count)


async def count_attempt(settings: Any, key: str, now: datetime) -> tuple[int, Window]:
    window = Window.at(now, settings.rate_limit_window_seconds)
    if settings.redis_url:
        try:
            return await _count_in_redis(settings.redis_url, key, window), window
        except (OSError, ConnectionError, _redis_error()) as error:
            # Redis down must not lock everyone out: the database counts meanwhile.
            log.warning("rate limit: Redis unavailable (%s); counting in the database", type(error).__name__)
    return await _count_in_database(key, window), window


async def check_attempt(context: Any, operation: str, *, email: str | None = None) -> None:
    """Count this attempt in its buckets; refuse it when any bucket is over its limit."""
    settings, now = context.settings, context.security_now
    request = context.request
    client = request.client.host if request is not None and request.client else "unknown"
    buckets = [(bucket_key(operation, "client", client), settings.rate_limit_per_client)]
    if email is not None:
        try:
            address = normalize_email(email)
        except InvalidInput:
            address = email.strip().lower()[:254]
        buckets.append((bucket_key(operation, "email", address), settings.rate_limit_per_email))
    for key, limit in buckets:
        count, window = await count_attempt(settings, key, now)
        if count > limit:
            raise RateLimited(window.retry_after(now))


class RateLimit(FieldExtension):
    def __init__(self, operation: str, email_from_input: bool) -> None:
        self.operation = operation
        self.email_from_input = email_from_input

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        email = getattr(kwargs.get("input"), "email", None) if self.email_from_input else None
        await check_attempt(info.context, self.operation, email=email)
        return await next_(source, info, **kwargs)


def rate_limited(operation: str, *, per_email: bool = False) -> list[FieldExtension]:
    """Field extensions for a public mutation: attempts per client address (and per the
    input's email) per window; over the limit, a top-level RATE_LIMITED error."""
    return [RateLimit(operation, per_email)]
