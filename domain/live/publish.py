"""The live-updates subscriber of domain events (wired in api/wiring.py), and the
process's broker: announcing a committed event, and listening for everyone's."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any, AsyncIterator

from tortoise import connections

from domain import events
from infra.db import after_commit, dialect, execute
from infra.settings import Settings
from domain.live.brokers import MEMORY, POSTGRES, REDIS, broker_kind, listen_postgres, listen_redis, listen_url, \
    redis_client
from domain.live.hub import ACCESS_CHANGED, SESSION_ENDED, USAGE_NEAR_CAP, VIEWER_SHARE_EVENTS, hub
from domain.live.messages import CHANNEL, decode, encode

log = logging.getLogger("casebook.live")


class _Broker:
    kind: str = ""  # "" until configured: NOTIFY on PostgreSQL, in-process otherwise
    redis_url: str = ""
    redis: Any = None
    tasks: set[asyncio.Task] = set()


_broker = _Broker()


def configure(settings: Settings) -> None:
    """Which broker this process announces through (the app and `casebook worker`)."""
    _broker.kind = broker_kind(settings)
    _broker.redis_url = settings.redis_url
    _broker.redis = None


async def _addressed_to(event: events.Event) -> tuple[int, ...]:
    """The share's holder, for the events their viewer stream shows: its login, or before
    one is linked the login that proved the address (I1: never an unproven one)."""
    share = event.ids.get("shareId")
    if event.name not in VIEWER_SHARE_EVENTS or share is None:
        return ()
    if event.addressed_to is not None:
        return event.addressed_to
    _, rows = await execute(connections.get("default"),
                            'SELECT COALESCE(s.user_id, u.id) AS user_id FROM share s LEFT JOIN "user" u '
                            'ON s.user_id IS NULL AND u.email = s.email AND u.email_verified_at IS NOT NULL '
                            'WHERE s.id = $1', [share[1]])
    return tuple(row["user_id"] for row in rows if row["user_id"] is not None)


def _publish_redis(text: str) -> None:
    async def publish() -> None:
        if _broker.redis is None:
            _broker.redis = redis_client(_broker.redis_url)
        try:
            await _broker.redis.publish(CHANNEL, text)
        except Exception:  # noqa: BLE001 - at most once: a lost announcement is not a failed write
            log.exception("live updates: could not publish to Redis")

    task = asyncio.get_running_loop().create_task(publish())
    _broker.tasks.add(task)
    task.add_done_callback(_broker.tasks.discard)


def _dispatch_here(text: str) -> None:
    message = decode(text)
    if message is not None:
        hub.dispatch(message)


async def on_event(event: events.Event) -> None:
    """Runs inside the announcing write's transaction."""
    await _send(encode(event, await _addressed_to(event)))


async def sessions_ended(user_ids: tuple[int, ...], now: datetime) -> None:
    """Sessions of these people ended (logOut, endSession, a new password): their streams
    re-decide access at once, and their other sessions' viewer streams hear of it. Inside
    the ending transaction."""
    if user_ids:
        await _send(encode(events.Event(SESSION_ENDED, 0, now), tuple(sorted(set(user_ids)))))


async def account_access_changed(account_id: int, now: datetime) -> None:
    """The account's access rules changed (requireTwoFactor): its streams re-decide at once."""
    await _send(encode(events.Event(ACCESS_CHANGED, account_id, now)))


async def usage_near_cap(account_id: int, now: datetime) -> None:
    """The account's active clients this month reached NEAR_CAP of its tier's cap (A3)."""
    await _send(encode(events.Event(USAGE_NEAR_CAP, account_id, now)))


async def _send(text: str) -> None:
    conn = connections.get("default")
    kind = _broker.kind or (POSTGRES if dialect(conn) == "postgres" else MEMORY)
    if kind == POSTGRES:
        # Sent by PostgreSQL at commit, dropped on rollback (also of a savepoint).
        await execute(conn, "SELECT pg_notify($1, $2)", [CHANNEL, text])
        return
    deliver = _publish_redis if kind == REDIS else _dispatch_here
    if not after_commit(lambda: deliver(text)):
        deliver(text)  # not in a transaction: already committed


@contextlib.asynccontextmanager
async def listening(settings: Settings) -> AsyncIterator[None]:
    """Feed this process's streams from the broker while the server runs."""
    configure(settings)
    task = None
    if _broker.kind in (POSTGRES, REDIS):
        ready = asyncio.Event()
        listen = listen_postgres if _broker.kind == POSTGRES else listen_redis
        url = listen_url(settings) if _broker.kind == POSTGRES else settings.redis_url
        task = asyncio.get_running_loop().create_task(listen(url, hub.dispatch, ready))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await ready.wait()  # streams opened from now on miss nothing announced
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if _broker.redis is not None:
            with contextlib.suppress(Exception):
                await _broker.redis.aclose()
            _broker.redis = None
