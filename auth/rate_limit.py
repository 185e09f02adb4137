"""RATE_LIMITED (I7): attempts per fixed time window at the doors that take secrets,
counted where every server process sees the same number — Redis when REDIS_URL is set,
else the database's `rate_limit` table (migration 0005). One backend per deployment:
when Redis is configured but cannot be reached (or its bounded pool has no free
connection within REDIS_POOL_TIMEOUT_SECONDS) the door refuses, fails closed, and the
error is logged; it never counts somewhere else meanwhile, which would be a second,
inexact counter.

A stranger must not be able to lock a person out. So failures are throttled strictly per
(address, client) and per client, and only a looser ceiling holds per address across
clients. Buckets are taken narrowest first; when one refuses, the ones taken before it
are given back, so a refused attempt counts nowhere — hammering one address from one
client never reaches the address's ceiling. An attempt that succeeds is given back too:
only failures count. A stranger spreading guesses over many clients can still fill the
ceiling; the client a person last signed in from (with the right password, within
RECOGNISED_DAYS) is therefore spared it, and only its own narrower buckets apply there.
Every number is in docs/identity.md.

Admission is exact under bursts: each attempt increments its counters atomically
(Redis INCR in a MULTI; one upsert … RETURNING in the database) before it runs, and is
admitted only when every count is within its limit.

Windows are fixed (aligned to the epoch), so a client may burst up to twice a limit
across a window boundary; that is the price of one atomic statement per attempt. Time is
security time, never the business clock. Addresses and clients are stored hashed."""
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

from infra.db import execute, returning, transaction
from domain.core.errors import ServiceUnavailable
from domain.core.outages import RETRY_AFTER_SECONDS
from domain.core.validation import MAX_EMAIL, canonical_email

_UPSERT = ('INSERT INTO "rate_limit" ("key", "window_start", "window_end", "count") VALUES ($1, $2, $3, 1) '
           'ON CONFLICT ("key", "window_start") DO UPDATE SET "count" = "rate_limit"."count" + 1 '
           'RETURNING "count"')
_GIVE_BACK = 'UPDATE "rate_limit" SET "count" = "count" - 1 WHERE "key" = $1 AND "window_start" = $2 AND "count" > 0'
# Each row by its own window's end: counters of different lengths share the table.
_PRUNE = 'DELETE FROM "rate_limit" WHERE "window_end" < $1'
_PEEK = 'SELECT "count" FROM "rate_limit" WHERE "key" = $1 AND "window_start" = $2'
_PRUNE_CHANCE = 0.02
# A mutation whose payload carries one of these failed: its attempt keeps counting.
FAILURE_CODES = frozenset({"INVALID_CREDENTIALS", "TOKEN_INVALID", "TWO_FACTOR_INVALID", "INVITATION_INVALID"})
log = logging.getLogger("casebook.rate_limit")


class RateLimited(GraphQLError):
    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message or f"Too many attempts; try again in {retry_after} seconds.",
                         # retryAfter as for every other refusal that says when (API.md); the
                         # first name stays for clients of the second release.
                         extensions={"code": "RATE_LIMITED", "retryAfterSeconds": retry_after,
                                     "retryAfter": retry_after})


class CounterUnavailable(Exception):
    """The configured counter could not be reached; the door fails closed."""


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


# --- the counters -------------------------------------------------------------------

async def _take_in_database(key: str, window: Window) -> int:
    async with transaction() as conn:
        rows = await returning(conn, _UPSERT, [key, window.start, window.start + window.seconds])
        if random.random() < _PRUNE_CHANCE:
            await execute(conn, _PRUNE, [window.start])  # windows that ended before this one began
    return int(rows[0]["count"])


async def _give_back_in_database(key: str, window: Window) -> None:
    async with transaction() as conn:
        await execute(conn, _GIVE_BACK, [key, window.start])


_redis_clients: dict[tuple[str, int], Any] = {}


def _redis(settings: Any) -> Any:
    """One client per URL and event loop (a client is bound to the loop it was made on),
    over a bounded pool that waits for a free connection instead of opening more."""
    import redis.asyncio as redis

    loop_id = id(asyncio.get_running_loop())
    client = _redis_clients.get((settings.redis_url, loop_id))
    if client is None:
        pool = redis.BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=settings.redis_pool_size,
            timeout=settings.redis_pool_timeout_seconds,
            socket_connect_timeout=settings.redis_pool_timeout_seconds,
            socket_timeout=settings.redis_pool_timeout_seconds)
        client = _redis_clients[(settings.redis_url, loop_id)] = redis.Redis(connection_pool=pool)
    return client


def _redis_name(key: str, window: Window) -> str:
    return f"casebook:rate:{key}:{window.start}"


async def _redis_call(settings: Any, work) -> Any:  # noqa: ANN001 - work: (client) -> awaitable
    from redis.exceptions import RedisError

    try:
        return await work(_redis(settings))
    except (OSError, ConnectionError, asyncio.TimeoutError, RedisError) as error:
        log.error("rate limit: Redis unavailable (%s: %s); refusing the attempt", type(error).__name__, error)
        raise CounterUnavailable() from error


async def _take_in_redis(settings: Any, key: str, window: Window) -> int:
    async def work(client: Any) -> int:
        name = _redis_name(key, window)
        async with client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expireat(name, window.start + window.seconds + 5)  # the window's end, a later one too
            count, _ = await pipe.execute()
        return int(count)

    return await _redis_call(settings, work)


async def _give_back_in_redis(settings: Any, key: str, window: Window) -> None:
    await _redis_call(settings, lambda client: client.decr(_redis_name(key, window)))


async def take(settings: Any, key: str, window: Window) -> int:
    """Count one attempt in a bucket; returns the count including it."""
    if settings.redis_url:
        return await _take_in_redis(settings, key, window)
    return await _take_in_database(key, window)


async def _peek_in_database(key: str, window: Window) -> int:
    async with transaction() as conn:
        _, rows = await execute(conn, _PEEK, [key, window.start])
    return int(rows[0]["count"]) if rows else 0


async def peek(settings: Any, key: str, window: Window) -> int:
    """A bucket's count, without counting."""
    if settings.redis_url:
        return int(await _redis_call(settings, lambda client: client.get(_redis_name(key, window))) or 0)
    return await _peek_in_database(key, window)


# A client a person signed in from with the right password is theirs for this long: the
# per-address ceiling does not apply to it (I7: a stranger cannot lock them out there).
RECOGNISED_DAYS = 30


def _recognised_key(address: str, client: str) -> tuple[str, int]:
    return bucket_key("password.recognised", "address+client", f"{address}|{client}"), RECOGNISED_DAYS * 86400


async def recognised(settings: Any, address: str, client: str, now: datetime) -> bool:
    """Whether `client` signed in as `address` within the last RECOGNISED_DAYS."""
    key, seconds = _recognised_key(address, client)
    try:
        return await peek(settings, key, Window.at(now, seconds)) > 0
    except CounterUnavailable:
        return False  # not spared: the ceiling applies


async def recognise(settings: Any, address: str, client: str, now: datetime) -> None:
    """Remember the client in this period and the next, so it stays recognised for at
    least RECOGNISED_DAYS whenever in the period the sign-in falls (windows are fixed)."""
    key, seconds = _recognised_key(address, client)
    window = Window.at(now, seconds)
    try:
        for start in (window.start, window.start + seconds):
            await take(settings, key, Window(start, seconds))
    except CounterUnavailable:
        pass  # the sign-in stands; the client is simply not remembered


async def give_back(settings: Any, key: str, window: Window) -> None:
    try:
        if settings.redis_url:
            await _give_back_in_redis(settings, key, window)
        else:
            await _give_back_in_database(key, window)
    except CounterUnavailable:
        pass  # the attempt stays counted: stricter, never looser


# --- policies -------------------------------------------------------------------------

@dataclass(frozen=True)
class Bucket:
    """Who is counted (`address`, `client` or `address+client`), the limit and window
    settings that apply, and a name separating buckets of different doors."""

    scope: str
    limit: str
    window: str
    name: str
    # Not taken for a client the person signed in from before (`recognised`).
    spares_recognised: bool = False


_SIGN_IN = (Bucket("address+client", "rate_limit_per_email_client", "rate_limit_window_seconds", "fail"),
            Bucket("client", "rate_limit_per_client", "rate_limit_window_seconds", "fail"),
            Bucket("address", "rate_limit_per_email", "rate_limit_window_seconds", "fail", spares_recognised=True))
_TWO_FACTOR = (Bucket("address+client", "two_factor_per_email_client", "two_factor_window_seconds", "2fa"),
               Bucket("client", "rate_limit_per_client", "rate_limit_window_seconds", "2fa"),
               Bucket("address", "two_factor_per_email", "two_factor_window_seconds", "2fa"))
_MAIL = (Bucket("address+client", "mail_per_email_client", "mail_window_seconds", "mail"),
         Bucket("client", "rate_limit_per_client", "rate_limit_window_seconds", "mail"),
         Bucket("address", "mail_per_email", "mail_window_seconds", "mail"))
_TOKEN = (Bucket("client", "rate_limit_per_client", "rate_limit_window_seconds", "fail"),)


@dataclass(frozen=True)
class Policy:
    buckets: tuple[Bucket, ...]
    # Give the attempt back when the door answered without a failure code.
    only_failures: bool = True


POLICIES = {
    "password": Policy(_SIGN_IN),
    "twoFactor": Policy(_TWO_FACTOR),
    "mail": Policy(_MAIL, only_failures=False),
    "token": Policy(_TOKEN),
}


@dataclass
class Taken:
    key: str
    window: Window


async def admit(settings: Any, operation: str, policy: Policy, *, address: str | None, client: str,
                now: datetime, recognised_client: bool = False) -> list[Taken]:
    """Take every bucket of the policy, narrowest first; refuse (giving back what was
    taken) as soon as one is over its limit."""
    taken: list[Taken] = []
    for bucket in policy.buckets:
        if "address" in bucket.scope and address is None:
            continue
        if bucket.spares_recognised and recognised_client:
            continue
        value = {"client": client, "address": address or "", "address+client": f"{address}|{client}"}[bucket.scope]
        key = bucket_key(f"{operation}.{bucket.name}", bucket.scope, value)
        window = Window.at(now, getattr(settings, bucket.window))
        try:
            count = await take(settings, key, window)
        except CounterUnavailable as error:
            await _give_back_all(settings, taken)
            # Not RATE_LIMITED: the client did nothing wrong and may retry soon (O6).
            raise ServiceUnavailable("Sign-in is briefly unavailable (its counter cannot be reached); nothing was "
                                     "changed. Retry after the time given in retryAfter.",
                                     retry_after=RETRY_AFTER_SECONDS) from error
        taken.append(Taken(key, window))
        if count > getattr(settings, bucket.limit):
            await _give_back_all(settings, taken)
            raise RateLimited(window.retry_after(now))
    return taken


async def _give_back_all(settings: Any, taken: list[Taken]) -> None:
    for item in taken:
        await give_back(settings, item.key, item.window)


def _address(raw: str | None) -> str | None:
    if raw is None:
        return None
    return canonical_email(raw)[:MAX_EMAIL]  # counted per stored spelling, checked or not


def _failed(result: Any) -> bool:
    errors = getattr(result, "user_errors", None) or []
    return any(getattr(error.code, "value", error.code) in FAILURE_CODES for error in errors)


class RateLimit(FieldExtension):
    def __init__(self, operation: str, policy: str, address_from: str | None,
                 two_factor_from: str | None) -> None:
        self.operation = operation
        self.policy = POLICIES[policy]
        self.address_from = address_from
        self.two_factor_from = two_factor_from

    def _address_of(self, info: Any, kwargs: dict) -> str | None:
        if self.address_from == "input":
            return _address(getattr(kwargs.get("input"), "email", None))
        if self.address_from == "principal" and info.context.principal is not None:
            return info.context.principal.actor.email
        return None

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        context = info.context
        settings, now = context.settings, context.security_now
        request = context.request
        client = request.client.host if request is not None and request.client else "unknown"
        address = self._address_of(info, kwargs)
        spares = address is not None and any(bucket.spares_recognised for bucket in self.policy.buckets)
        known = spares and await recognised(settings, address, client, now)
        taken = await admit(settings, self.operation, self.policy, address=address, client=client, now=now,
                            recognised_client=known)
        code = getattr(kwargs.get("input"), self.two_factor_from, None) if self.two_factor_from else None
        if code:
            # A second factor offered: it is guessed against its own, stricter buckets too.
            try:
                taken += await admit(settings, "twoFactor", POLICIES["twoFactor"], address=address,
                                     client=client, now=now)
            except RateLimited:
                await _give_back_all(settings, taken)
                raise
        result = await next_(source, info, **kwargs)
        if self.policy.only_failures and not _failed(result):
            await _give_back_all(settings, taken)
        if spares and not known and getattr(result, "access_token", None):
            await recognise(settings, address, client, now)  # signed in: the right password
        return result


def rate_limited(operation: str, *, per_email: bool = False, policy: str | None = None,
                 address_from: str | None = None, two_factor_from: str | None = None) -> list[FieldExtension]:
    """Field extensions for a door that takes secrets or sends mail: a top-level
    RATE_LIMITED error over the limit. `per_email` (the input's email) keeps the first
    release's call sites working: it means the sign-in policy keyed by the input's address."""
    if policy is None:
        policy = "password" if per_email else "token"
    if per_email and address_from is None:
        address_from = "input"
    return [RateLimit(operation, policy, address_from, two_factor_from)]
