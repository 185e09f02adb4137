"""Telling a dependency that is down (the database, Redis) from a bug (O6): such a
failure answers SERVICE_UNAVAILABLE with a time to retry after, never an internal error."""
from __future__ import annotations

import socket

from domain.core.errors import ServiceUnavailable

# Seconds a client is told to wait before retrying a request refused by an outage: long
# enough for a restarted database or Redis to come back, short enough not to strand a user.
RETRY_AFTER_SECONDS = 5


def _outage_types() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.gaierror, ServiceUnavailable]
    try:
        import asyncpg

        kinds += [asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
                  asyncpg.AdminShutdownError, asyncpg.ConnectionDoesNotExistError]
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        pass
    try:
        from tortoise.exceptions import DBConnectionError

        kinds.append(DBConnectionError)
    except ImportError:  # pragma: no cover
        pass
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout

        kinds += [RedisConnectionError, RedisTimeout]
    except ImportError:  # pragma: no cover
        pass
    return tuple(kinds)


_OUTAGES = _outage_types()


def outage_of(error: BaseException | None) -> ServiceUnavailable | None:
    """The outage behind `error` (itself, its cause or its context), or None."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, ServiceUnavailable):
            return error
        if isinstance(error, _OUTAGES):
            return ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS)
        error = error.__cause__ or error.__context__
        seen += 1
    return None
