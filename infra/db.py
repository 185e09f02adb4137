"""Database wiring: which model modules exist, how to connect, and raw SQL that runs
inside the caller's transaction on SQLite and PostgreSQL alike."""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import re
from datetime import date, datetime, timezone
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Callable, NamedTuple, Sequence

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper as PostgresTransaction
from tortoise.backends.base.client import BaseDBAsyncClient, PoolConnectionWrapper
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError
from tortoise.transactions import in_transaction

from infra.settings import Settings

# Every module that defines tables. Order does not matter to tortoise.
MODEL_MODULES = [
    "domain.accounts.models",
    "domain.identity.models",
    "domain.audit.models",
    "domain.billing.models",
    "domain.dossiers.models",
    "domain.shares.models",
    "domain.outbox.models",
    "domain.webhooks.models",
    "domain.exports.models",
    "domain.billing.invoices.models",
    "auth.models",
]

_PLACEHOLDER = re.compile(r"\$\d+")


async def _keep_session(conn: Any) -> None:
    """asyncpg pool `reset` hook, run when a connection goes back to the pool (after a
    transaction, a request's statements, or a statement outside both). asyncpg has already rolled back any open
    transaction; its default then sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` — one more round trip each time. Our code keeps no session state (no
    session SET, LISTEN, session advisory locks or cursors outside a transaction), so
    there is nothing to reset."""


# Through a transaction-pooling PgBouncer (DATABASE_POOLER=transaction) consecutive
# transactions of one asyncpg connection reach different server connections, so nothing
# may outlive a transaction on the server. asyncpg's statement cache names every prepared
# statement and reuses it later: another client's server connection then already has that
# name (DuplicatePreparedStatementError) or lacks it. With the cache off asyncpg prepares
# unnamed statements, re-parsed at every execution. The rest is already transaction-safe
# and must stay so: `pg_advisory_xact_lock` (migrations/runner.py), `SET LOCAL` only
# (tests/conftest.py), no LISTEN (the worker polls), no cursors outside a transaction,
# no server_settings at connect (PgBouncer refuses unknown startup parameters). asyncpg's
# one session-level statement, `set_config('jit', …)` around its type introspection,
# runs only for types it has no codec for; our tables use built-in types alone.
TRANSACTION_POOLER_OPTIONS: dict[str, Any] = {"statement_cache_size": 0}


def tortoise_config(settings: Settings, *, db_url: str | None = None) -> dict[str, Any]:
    url = db_url or settings.database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        credentials: dict[str, Any] = {"minsize": 1, "maxsize": settings.database_pool_size,
                                       "reset": _keep_session}
        if settings.transaction_pooled:
            credentials.update(TRANSACTION_POOLER_OPTIONS)
        connection: Any = {"engine": "tortoise.backends.asyncpg", "credentials": credentials}
        from tortoise.backends.base.config_generator import expand_db_url

        expanded = expand_db_url(url)
        expanded["credentials"].update(credentials)
        expanded["engine"] = __name__  # tortoise's asyncpg client, sharing a request's connection (_PoolClient)
        connection = expanded
    else:
        connection = url
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings, *, db_url: str | None = None, global_fallback: bool = True) -> None:
    await Tortoise.init(
        config=tortoise_config(settings, db_url=db_url), _enable_global_fallback=global_fallback
    )


async def close_db() -> None:
    await Tortoise.close_connections()


def transaction() -> Any:
    """One unit of work: everything inside commits together or not at all."""
    return _Transaction()


# What the outermost open transaction runs once it has committed (nothing when it rolls
# back): announcements to other processes that must never tell of a write that did not
# happen (SPEC O1, T7). None outside any transaction.
_after_commit: contextvars.ContextVar[list | None] = contextvars.ContextVar("casebook_after_commit", default=None)


def after_commit(callback: Any) -> bool:
    """Run `callback()` (sync, no I/O: it may schedule some) once the enclosing
    transaction has committed; False, and nothing scheduled, outside a transaction."""
    pending = _after_commit.get()
    if pending is None:
        return False
    pending.append(callback)
    return True


class _Transaction:
    """tortoise's `in_transaction`, safe to cancel at any await (a request's deadline
    cancels its work: SPEC O3). Cancelled while the transaction begins, tortoise would
    keep the pool connection it took (PostgreSQL) or the lock it holds (SQLite, where
    every later transaction of the process would then wait forever); here it is rolled
    back and given back. Once begun, tortoise's own exit rolls back and releases."""

    __slots__ = ("_inner", "_pending", "_mark", "_token")

    def __init__(self) -> None:
        self._inner = in_transaction("default")
        self._token: Any = None

    async def __aenter__(self) -> Any:
        # Never hold the request's read connection while waiting for this one. A nested
        # transaction is a savepoint on its outer one's connection: it waits for none (and
        # must not wait for the read lock, which a sibling's statement blocked by this
        # transaction's own row locks could hold).
        reads = _request_reads.get() if _after_commit.get() is None else None
        try:
            if reads is not None:
                await reads.transaction_begins()
            entered = await self._inner.__aenter__()
        except BaseException as error:
            # `token` is set once the connection or lock is taken, before BEGIN is sent.
            if hasattr(self._inner, "token"):
                with contextlib.suppress(Exception):
                    await self._inner.__aexit__(type(error), error, error.__traceback__)
            raise
        finally:
            if reads is not None:
                reads.transaction_began()
        self._pending = _after_commit.get()
        if self._pending is None:  # the outermost: it owns the after-commit list
            self._pending = []
            self._token = _after_commit.set(self._pending)
        self._mark = len(self._pending)
        return entered

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            result = await self._inner.__aexit__(*exc_info)
        except BaseException:
            del self._pending[self._mark:]
            raise
        finally:
            if self._token is not None:
                _after_commit.reset(self._token)
        if exc_info[0] is not None and not result:
            del self._pending[self._mark:]  # rolled back (a nested one: to its savepoint)
        elif self._token is not None:
            for callback in self._pending:
                with contextlib.suppress(Exception):
                    callback()
        return result


def dialect(conn: BaseDBAsyncClient) -> str:
    return "postgres" if isinstance(conn, AsyncpgDBClient) else "sqlite"


def for_dialect(conn: BaseDBAsyncClient, sql: str) -> str:
    """SQL written with PostgreSQL's $1, $2… placeholders, for `conn`'s database: SQLite
    gets numbered `?N` parameters, so one may be used several times and in any order.
    The one translation every statement goes through."""
    if dialect(conn) == "sqlite":
        return _PLACEHOLDER.sub(lambda match: "?" + match.group(0)[1:], sql)
    return sql


@lru_cache(maxsize=512)
def placeholders(first: int, count: int) -> str:
    """`$first, $first+1, …`: `count` numbered parameters for an IN list or VALUES row.
    Remembered: a page's batch reads ask for the same few lists on every request."""
    return ", ".join(f"${n}" for n in range(first, first + count))


_WRITES = ("INSERT", "UPDATE", "DELETE")


async def _statement(connection: asyncpg.Connection, sql: str, params: Sequence[Any], rows: bool) -> tuple[int, list]:
    """One statement straight on an asyncpg connection, answered and failing as tortoise's
    `execute_query` (`rows=False`: a write answers its row count and no rows) and
    `execute_query_dict` (`rows=True`) do, without their layers of wrappers, which cost
    more than asyncpg's own work on every statement."""
    try:
        if not rows and sql.lstrip()[:6].upper() in _WRITES:
            status = await connection.execute(sql, *params)
            try:  # read as tortoise reads it: an INSERT's "INSERT 0 n" answers 0
                return int(status.split(" ")[1]), []
            except (IndexError, ValueError):
                return 0, []
        records = await connection.fetch(sql, *params)
        return len(records), records
    except (asyncpg.SyntaxOrAccessError, asyncpg.exceptions.DataError) as exc:
        raise OperationalError(exc) from exc
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(exc) from exc
    except asyncpg.InvalidTransactionStateError as exc:
        raise TransactionManagementError(exc) from exc


async def _in_held_transaction(conn: PostgresTransaction, sql: str, params: Sequence[Any], *,
                               rows: bool) -> tuple[int, list]:
    """A statement inside a transaction on PostgreSQL, on the connection the transaction
    holds, under the transaction's lock, logged on `tortoise.db_client` (statement counts
    read that log)."""
    async with conn._lock:
        conn.log.debug("%s: %s", sql, params)
        return await _statement(conn._connection, sql, params, rows)


class _RequestReads:
    """The one pool connection a GraphQL request over HTTP runs its statements outside
    transactions on (PostgreSQL), ours and the ORM's: taken on the first, given back when
    the request ends, instead of one taken and given back per statement (each a few dozen
    calls in asyncpg's pool and tortoise's wrappers). Plain autocommit statements on one
    connection keep no session state, so a transaction-pooling PgBouncer is still fine.

    - Sibling fields read concurrently: the lock runs one statement at a time.
    - A request never holds it while waiting for another connection (pool exhaustion
      would deadlock): every statement outside a transaction takes this one, and it goes
      back before a transaction takes its own; statements meanwhile take one of their
      own per statement, as without this.
    - A statement that fails other than by the server refusing it (cancelled, the
      connection lost) gives it back (asyncpg's release resets or closes a broken
      one); the next statement takes a fresh one.
    - Once the request has ended, what still runs with its context (a task it spawned)
      takes its own per statement again."""

    __slots__ = ("_pool", "_connection", "_lock", "_ended", "_beginning", "_token")

    def __init__(self) -> None:
        self._pool: Any = None
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self._ended = False
        self._beginning = 0  # the request's transactions waiting for their connection

    async def _give_back(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await self._pool.release(connection)  # shielded by asyncpg: done even if cancelled

    async def transaction_begins(self) -> None:
        self._beginning += 1
        if self._connection is not None:
            async with self._lock:  # after a sibling's statement in flight
                await self._give_back()

    def transaction_began(self) -> None:
        self._beginning -= 1

    async def __aenter__(self) -> _RequestReads:
        self._token = _request_reads.set(self)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        _request_reads.reset(self._token)
        self._ended = True
        if not self._lock.locked():  # else the statement in flight gives it back
            await self._give_back()


_request_reads: contextvars.ContextVar[_RequestReads | None] = contextvars.ContextVar(
    "casebook_request_reads", default=None)


def request_reads() -> _RequestReads:
    """`async with request_reads():` — the statements run outside transactions inside
    share one pool connection (PostgreSQL; nothing changes on SQLite). For a request's
    short life only: the connection is held until the block ends."""
    return _RequestReads()


# What a statement may fail with and leave its connection as good as before: the server
# refused it (as asyncpg raises it, or as tortoise's translation of it).
_REFUSED = (asyncpg.PostgresError, OperationalError, IntegrityError, TransactionManagementError)
# ... except those that tell of the connection itself: lost, or the server shutting down.
_BROKEN = (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError)


class _Turn:
    """A statement's use of the request's read connection: `async with` yields it,
    under the request's lock; or, when the request may not hold one (it has ended, a
    transaction is waiting for its connection), a pool connection for this statement
    alone, as tortoise takes one."""

    __slots__ = ("_reads", "_client", "_alone")

    def __init__(self, reads: _RequestReads, client: Any) -> None:
        self._reads = reads
        self._client = client
        self._alone: Any = None

    async def __aenter__(self) -> Any:
        reads, pool = self._reads, self._client._pool
        await reads._lock.acquire()
        if reads._ended or reads._beginning or pool is None or (reads._pool is not None and pool is not reads._pool):
            reads._lock.release()
            self._alone = PoolConnectionWrapper(self._client, self._client._pool_init_lock)
            return await self._alone.__aenter__()
        if reads._connection is None:
            try:
                reads._pool = pool
                reads._connection = await pool.acquire()
            except BaseException:
                reads._lock.release()
                raise
        return reads._connection

    async def __aexit__(self, exc_type: Any, *rest: Any) -> None:
        if self._alone is not None:
            await self._alone.__aexit__(exc_type, *rest)
            return
        reads = self._reads
        try:
            # Given back when broken or cancelled mid-statement, when the request has ended
            # meanwhile, or when a transaction began meanwhile (never hold it while that waits).
            if (exc_type is not None and (not issubclass(exc_type, _REFUSED) or issubclass(exc_type, _BROKEN))) \
                    or reads._ended or reads._beginning:
                await reads._give_back()
        finally:
            reads._lock.release()


class _PoolClient(AsyncpgDBClient):
    """tortoise's asyncpg client, whose statements outside transactions (the ORM's) run
    on the request's read connection too, so a request holding it never waits for
    another. The engine of `tortoise_config`: tortoise reads `client_class` below."""

    def acquire_connection(self) -> Any:
        reads = _request_reads.get()
        if reads is None or reads._ended:
            return PoolConnectionWrapper(self, self._pool_init_lock)
        return _Turn(reads, self)


client_class = _PoolClient


async def _outside_transaction(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any],
                               rows: bool) -> tuple[int, list]:
    """A statement on the pool's client: on the request's read connection when there is
    one (PostgreSQL), else through tortoise, which takes a pool connection for it alone."""
    reads = _request_reads.get()
    if reads is not None and not reads._ended and isinstance(conn, _PoolClient):
        async with _Turn(reads, conn) as connection:
            conn.log.debug("%s: %s", sql, params)
            return await _statement(connection, sql, params, rows)
    sql = for_dialect(conn, sql)
    if rows:
        return 0, await conn.execute_query_dict(sql, list(params))
    return await conn.execute_query(sql, list(params))


async def execute(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[dict]]:
    """Run SQL written with PostgreSQL's $1, $2… placeholders on either database.

    Always pass the transaction's connection (`async with transaction() as conn`):
    the pool's default connection would run outside the transaction. A parameter may be
    used several times and in any order: SQLite gets numbered `?N` parameters.
    """
    if isinstance(conn, PostgresTransaction):
        rowcount, rows = await _in_held_transaction(conn, sql, params, rows=False)
    else:
        rowcount, rows = await _outside_transaction(conn, sql, params, False)
    return rowcount, [dict(row) for row in rows]


async def returning(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    """The rows of a statement with RETURNING (UPDATE, INSERT … ON CONFLICT), written with
    $1, $2… placeholders, on either database. Not `execute`: tortoise's asyncpg client
    drops the rows of a RETURNING statement there."""
    if isinstance(conn, PostgresTransaction):
        return [dict(row) for row in (await _in_held_transaction(conn, sql, params, rows=True))[1]]
    return [dict(row) for row in (await _outside_transaction(conn, sql, params, True))[1]]


class Row(SimpleNamespace):
    """A row read with plain SQL, its columns as attributes (cheaper than a model)."""


def aware_datetime(value: Any) -> Any:
    """A date-time column as an aware datetime (SQLite hands back text); None stays None."""
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return value


def _to_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _to_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def fetch_records(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """PostgreSQL only: a read's records as the driver gives them, by position or by
    column name (for hot paths that read each column once: schema/record_completion.py)."""
    _, records = await (_in_held_transaction(conn, sql, params, rows=False)
                        if isinstance(conn, PostgresTransaction) else _outside_transaction(conn, sql, params, False))
    return records


class Part(NamedTuple):
    """One read that may share a statement with others (`read_together`): its SQL,
    numbered from $1 as if alone and ordered as its rows should come, its parameters,
    and its columns with their SQL types (in a shared statement, the other reads'
    columns are NULL of that type in its rows)."""

    sql: str
    params: list
    columns: tuple[tuple[str, str], ...]


class Reads(NamedTuple):
    """A domain read as parts and what it answers from their records (each part's, in
    order), sent alone or with others by `read_together`."""

    parts: list[Part]
    answer: Callable[[list[list[Any]]], Any]


async def read_together(reads: Sequence[Reads]) -> list[Any]:
    """Each read's answer, all their parts sent as one statement (PostgreSQL): a page's
    lists (entries, shares, assignees) cost one round trip, not one each. The records
    hold every part's columns, which their readers ignore."""
    parts = [part for each in reads for part in each.parts]
    conn = connections.get("default")
    if not parts:
        found: list[list[Any]] = []
    elif len(parts) == 1:
        found = [await fetch_records(conn, parts[0].sql, parts[0].params)]
    else:
        records = await fetch_records(conn, _together(tuple((part.sql, len(part.params), part.columns)
                                                            for part in parts)),
                                      [value for part in parts for value in part.params])
        found = [[] for _ in parts]
        for record in records:
            found[record[0]].append(record)
    answers = []
    start = 0
    for each in reads:
        answers.append(each.answer(found[start:start + len(each.parts)]))
        start += len(each.parts)
    return answers


@lru_cache(maxsize=256)  # a page sends the same parts, with as many ids, again and again
def _together(parts: tuple[tuple[str, int, tuple[tuple[str, str], ...]], ...]) -> str:
    """UNION ALL of the parts, each row led by its part's number and its place in the
    part's own order, so that the statement's ORDER BY keeps each part's."""
    columns: dict[str, str] = {}
    for _, _, typed in parts:
        for name, sql_type in typed:
            if columns.setdefault(name, sql_type) != sql_type:
                raise ValueError(f"column {name} is {columns[name]} in one part and {sql_type} in another")
    selects = []
    offset = 0
    for number, (sql, count, typed) in enumerate(parts):
        own = {name for name, _ in typed}
        shifted = _PLACEHOLDER.sub(lambda match: f"${int(match.group(0)[1:]) + offset}", sql)
        listed = ", ".join(f"p.{name}" if name in own else f"NULL::{sql_type} AS {name}"
                           for name, sql_type in columns.items())
        selects.append(f"SELECT {number} AS part, row_number() OVER () AS place, {listed} FROM ({shifted}) p")
        offset += count
    return " UNION ALL ".join(selects) + " ORDER BY part, place"


async def fetch_rows(conn: BaseDBAsyncClient, sql: str, params: Sequence[Any] = (), *,
                     datetimes: Sequence[str] = (), dates: Sequence[str] = (),
                     json_columns: Sequence[str] = ()) -> list[Row]:
    """`execute` for reads on hot paths: rows as `Row`s. SQLite hands back text for
    date-times, dates and JSON; the named columns are converted. PostgreSQL's driver
    already gives dates as Python values (JSON still comes as text), and its records are
    turned into rows directly: a page of entries is a hundred of them."""
    if dialect(conn) == "postgres":
        records = await fetch_records(conn, sql, params)
        if not records:
            return []
        # A record's columns by position: cheaper than its mapping protocol, row by row.
        columns = tuple(records[0].keys())
        rows = [Row(**dict(zip(columns, record.values()))) for record in records]
        for column in json_columns:
            for row in rows:  # `_to_json`, inline: a page converts twenty dossiers' free fields
                value = getattr(row, column)
                if isinstance(value, (str, bytes)):
                    setattr(row, column, json.loads(value))
        return rows
    _, plain = await execute(conn, sql, params)
    converted = []
    for row in plain:
        for column in datetimes:
            row[column] = aware_datetime(row[column])
        for column in dates:
            row[column] = _to_date(row[column])
        for column in json_columns:
            row[column] = _to_json(row[column])
        converted.append(Row(**row))
    return converted
