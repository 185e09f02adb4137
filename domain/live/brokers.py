"""How an announced event reaches every server process (SPEC T7, like O1: only after
commit, never for a rolled-back write).

* PostgreSQL: `NOTIFY` in the write's own transaction — PostgreSQL delivers it at commit
  and drops it on rollback — and one `LISTEN` connection per process. LISTEN needs a
  session of its own, so it connects directly (LIVE_LISTEN_URL, else
  DATABASE_MIGRATION_URL, else DATABASE_URL), never through a transaction-pooling
  PgBouncer; NOTIFY itself is transactional and passes through one.
* Redis (REDIS_URL set): `PUBLISH` once the transaction has committed, one `SUBSCRIBE`
  per process.
* In-process (SQLite, one process by design): the local streams, once committed.
Delivery is at most once: a client that reconnects refetches what it shows (API.md)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable

from infra.settings import Settings
from domain.live.messages import CHANNEL, Announced, decode

log = logging.getLogger("casebook.live")
MEMORY, POSTGRES, REDIS = "memory", "postgres", "redis"
_RETRY_SECONDS = 1.0


def broker_kind(settings: Settings) -> str:
    """LIVE_BROKER, or by default Redis where REDIS_URL is set, else the database's own —
    unless LISTEN could only go through a transaction-pooling PgBouncer, where it would
    silently hear nothing: then each process serves its own streams (README)."""
    kind = settings.live_broker or (REDIS if settings.redis_url else POSTGRES if settings.is_postgres else MEMORY)
    if kind == POSTGRES and settings.transaction_pooled and not (settings.live_listen_url
                                                                 or settings.database_migration_url):
        log.warning("live updates: LISTEN needs a direct PostgreSQL connection and DATABASE_POOLER=transaction "
                    "names none: set LIVE_LISTEN_URL (or DATABASE_MIGRATION_URL, or REDIS_URL); until then "
                    "each server process delivers only the writes it made itself")
        return MEMORY
    return kind


def listen_url(settings: Settings) -> str:
    url = settings.live_listen_url or settings.migration_url
    return "postgresql://" + url.split("://", 1)[1] if url.startswith(("postgres://", "asyncpg://")) else url


async def listen_postgres(url: str, on_message: Callable[[Announced], None], ready: asyncio.Event) -> None:
    """LISTEN on a connection of its own until cancelled; reconnects when it is lost (the
    events in between are not delivered: at most once)."""
    import asyncpg

    while True:
        conn = None
        try:
            conn = await asyncpg.connect(url)
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn: lost.set())

            def received(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
                message = decode(payload)
                if message is not None:
                    on_message(message)

            await conn.add_listener(CHANNEL, received)
            ready.set()
            await lost.wait()
            log.warning("live updates: the LISTEN connection was lost; reconnecting")
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep listening whatever the database did
            log.exception("live updates: LISTEN failed; retrying")
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 2)
        await asyncio.sleep(_RETRY_SECONDS)


def redis_client(url: str) -> Any:
    import redis.asyncio as redis

    return redis.Redis.from_url(url, socket_connect_timeout=5)


async def listen_redis(url: str, on_message: Callable[[Announced], None], ready: asyncio.Event) -> None:
    while True:
        client = redis_client(url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                ready.set()
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        message = decode(item["data"])
                        if message is not None:
                            on_message(message)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("live updates: Redis SUBSCRIBE failed; retrying")
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()
        await asyncio.sleep(_RETRY_SECONDS)
