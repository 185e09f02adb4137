"""Test harness: a fresh database per test, and a GraphQL client over the ASGI app.

SQLite (default): a new in-memory database per test, migrated. PostgreSQL (when
DATABASE_URL=postgres://…): one database per test session, created and migrated once,
emptied before every test, dropped at the end. On PostgreSQL the harness is the owner
(DATABASE_URL's user, a superuser: it creates, migrates and empties the database) and
the application under test connects as the restricted application role `casebook_app`,
granted by the migration runner as `casebook migrate` grants it in production
(migrations/roles.py)."""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import sqlite3
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from argon2 import PasswordHasher, profiles
from tortoise import connections

from api.wiring import wire
from domain.identity.passwords import use_hasher
from infra.db import close_db, init_db
from infra.settings import load_settings
from migrations.runner import migrate

BASE_URL = os.environ.get("DATABASE_URL", "")
# argon2 at full cost was half of the suite's run time; production keeps the recommended cost
# (tests/unit/identity/test_passwords.py pins it).
# The suite hashes hundreds of passwords: argon2's cheapest parameters, in tests only.
use_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
# Domain services called directly announce to the same subscribers as the app's.
wire()
# As in production (api/logging.py): strawberry's own log prints every GraphQL error,
# expected ones too, with a traceback; unexpected errors are logged by api/extensions.py.
logging.getLogger("strawberry.execution").disabled = True
ON_POSTGRES = BASE_URL.startswith(("postgres://", "postgresql://"))
# The application's role on PostgreSQL: no superuser, owns nothing (issue 28, P1).
APP_ROLE = "casebook_app"
APP_PASSWORD = "casebook_app"
# The owner's URL of this session's database (PostgreSQL), for harness-only statements.
OWNER = {"url": ""}


def _server_url(url: str, database: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{database}"


def _as_role(url: str, role: str, password: str) -> str:
    """The same server and database, as another role."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{role}:{password}@{rest.rpartition('@')[2]}"


async def _ensure_app_role(conn) -> None:
    # Roles are per cluster and parallel test sessions share it: created once, raced safely.
    await conn.execute(f"""DO $$ BEGIN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{APP_PASSWORD}';
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")


async def as_owner(sql: str) -> list[dict]:
    """Run harness-only SQL (renaming tables, changing migration records) as the
    database's owner: on PostgreSQL the harness's superuser, on SQLite the one connection."""
    if not ON_POSTGRES:
        _, rows = await connections.get("default").execute_query(sql)
        return [dict(row) for row in rows]
    conn = await asyncpg.connect(OWNER["url"].replace("postgres://", "postgresql://", 1))
    try:
        if ";" in sql.strip().rstrip(";"):  # a script: the simple protocol, no rows
            await conn.execute(sql)
            return []
        return [dict(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> str:
    if not ON_POSTGRES:
        yield "sqlite://:memory:"
        return
    name = f"casebook_test_{uuid.uuid4().hex[:12]}"
    admin_url = _server_url(BASE_URL, "postgres").replace("postgres://", "postgresql://", 1)

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await _ensure_app_role(conn)
        await conn.close()
        await init_db(_settings(), db_url=_server_url(BASE_URL, name))
        await migrate(APP_ROLE)  # as `casebook migrate` does with two roles
        await close_db()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    asyncio.run(create())
    OWNER["url"] = _server_url(BASE_URL, name)
    yield _as_role(_server_url(BASE_URL, name), APP_ROLE, APP_PASSWORD)
    asyncio.run(drop())


# CI's PgBouncer pass names the PostgreSQL server behind the pooler: live updates LISTEN
# on a direct connection, never through a transaction pooler (LIVE_LISTEN_URL, T7).
DIRECT_SERVER_URL = os.environ.get("CASEBOOK_TEST_DIRECT_URL", "").rstrip("/")


@pytest.fixture(scope="session")
def listen_url(database_url) -> str:
    """Where live updates LISTEN in this session: the test database on a direct
    connection, as the application's role ("" on SQLite: streams are in-process)."""
    if not ON_POSTGRES:
        return ""
    if not DIRECT_SERVER_URL:
        return database_url
    return _as_role(f"{DIRECT_SERVER_URL}/{database_url.rsplit('/', 1)[1]}", APP_ROLE, APP_PASSWORD)


@functools.cache
def _base_settings():
    """Read once: every test's settings are these with a few changes (`_settings`)."""
    return load_settings({
        "CASEBOOK_ENV": "test",
        "JWT_SECRET": "test-secret-0123456789abcdef0123456789abcdef",
        "MAIL_URL": "file://./mail-test",
        "DATABASE_URL": BASE_URL or "sqlite://:memory:",
        "DATABASE_POOL_SIZE": "20",
        # Production refuses the example seller VAT number; tests that run in production mode
        # need a real-looking one (B6).
        "INVOICE_SELLER_VAT_NUMBER": "NL123456794B01",
        # No query-cost budget: tests walk the whole schema and page a lot as one person,
        # and count each request's statements. tests/api/http/test_cost_budget.py and
        # tests/race/test_shared_budget.py set one.
        "COST_BUDGET_POINTS": "0",
        "COST_BUDGET_ANONYMOUS_POINTS": "0",
        # Fixed windows of decades for the limits counted per window (sign-in doors,
        # two-factor codes, mails): a window's boundary never falls inside a test, which
        # would split its count in two (one did, for the mail ceiling's hour, in CI).
        # Tests of what a window's end does set their own.
        "RATE_LIMIT_WINDOW_SECONDS": "1000000000",
        "TWO_FACTOR_WINDOW_SECONDS": "1000000000",
        "MAIL_WINDOW_SECONDS": "1000000000",
        # CI runs the suite again through a transaction-pooling PgBouncer (.ci/run).
        "DATABASE_POOLER": os.environ.get("DATABASE_POOLER", ""),
    }, env_file=None)


def _settings(**overrides: Any):
    return _base_settings().replace(**overrides)


@pytest.fixture
def settings(tmp_path):
    return _settings(mail_url=f"file://{tmp_path / 'mail'}", export_dir=str(tmp_path / "exports"))


@pytest_asyncio.fixture
async def db(database_url, settings):
    """An empty, migrated database for this test alone."""
    await init_db(settings, db_url=database_url)
    try:
        if ON_POSTGRES:
            rows = await as_owner(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'casebook_migration'")
            tables = ", ".join(f'"{row["tablename"]}"' for row in rows)
            if tables:
                # Append-only tables refuse TRUNCATE (migration 0009) unless the session is in
                # replica mode, which only a superuser (this harness, never the app) may set.
                await as_owner("BEGIN; SET LOCAL session_replication_role = replica; "
                               f"TRUNCATE {tables} RESTART IDENTITY CASCADE; COMMIT;")
        else:
            await _migrated_in_memory()
        yield
    finally:
        await close_db()


_migrated_sqlite: sqlite3.Connection | None = None


async def _migrated_in_memory() -> None:
    """SQLite: the migrations run once per session, and each test's fresh in-memory
    database receives a copy of the result through sqlite's backup API — a fraction of the
    cost of migrating again, for every test. (The copy runs in aiosqlite's own thread,
    where the test's connection lives.)"""
    global _migrated_sqlite
    client = connections.get("default")
    if client._connection is None:
        await client.create_connection(with_db=True)
    own = client._connection
    if _migrated_sqlite is None:
        await migrate()
        template = sqlite3.connect(":memory:", check_same_thread=False)
        await own.backup(template)
        _migrated_sqlite = template
    else:
        await own._execute(_migrated_sqlite.backup, own._conn)


async def deliver_outbox(settings) -> None:
    """Do what the worker would do next: deliver every mail and archive that is due (O1).
    Webhook deliveries, on the same queue, go when a test says so (send_due)."""
    from api.worker import handlers
    from domain.outbox.worker import Worker
    from domain.webhooks.fanout import WEBHOOK

    everything = handlers(settings)
    kinds = tuple(kind for kind in everything if kind != WEBHOOK)
    await Worker(everything, name="test-worker", only_kinds=kinds).drain()


# The compiled completion must answer exactly as graphql-core's standard one, so the
# queries the API tests send also run through the standard executor and the answers are
# compared. CASEBOOK_DIFFERENTIAL: "all" compares every query (the default on
# PostgreSQL, the pass that runs in CI), "sample" each distinct document once per run
# (the default on SQLite: every query shape is still compared, at a fraction of the
# cost), "0" none.
DIFFERENTIAL_MODE = {"1": "all"}.get(os.environ.get("CASEBOOK_DIFFERENTIAL", ""),
                                     os.environ.get("CASEBOOK_DIFFERENTIAL", "")) \
    or ("all" if ON_POSTGRES else "sample")
DIFFERENTIAL = DIFFERENTIAL_MODE != "0"
_compared_documents: set[str] = set()


def _compare_this(query: str) -> bool:
    """Whether this query's answer is compared with the standard executor's."""
    if not _is_query(query):
        return False
    if DIFFERENTIAL_MODE == "all":
        return True
    if query in _compared_documents:
        return False
    _compared_documents.add(query)
    return True


def _is_query(document: str) -> bool:
    from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse

    try:
        parsed = parse(document)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    return len(operations) == 1 and operations[0].operation is OperationType.QUERY


def _comparable(body: dict) -> dict:
    """What two executors must agree on: the data, and each error's message, path and
    code — except errors below a position that null propagation removed from the data:
    graphql-core keeps those or drops them depending on which sibling finished first
    (the same executor differs from run to run there), so they are left out."""
    data = body.get("data")
    errors = sorted((e.get("message"), json.dumps(e.get("path")), (e.get("extensions") or {}).get("code"))
                    for e in body.get("errors") or [] if _reaches(data, e.get("path")))
    return {"data": data, "errors": errors}


def _reaches(data: Any, path: list | None) -> bool:
    """Whether the parent of `path` is present in `data` (so the error must be reported)."""
    if path is None:
        return True
    node = data
    for key in path[:-1]:
        if node is None:
            return False
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    return node is not None


def reference_app(app):
    """The same service through the standard completion, recording no reads (the
    compiled run already did) and spending no budget, so comparing changes nothing."""
    from api.app import create_app

    # Spending nothing from the query-cost budget either: the compared run spends it.
    settings = app.state.settings.replace(cost_budget_points=0, cost_budget_anonymous_points=0)
    reference = create_app(settings, manage_db=False, compiled=False)
    view = reference.state.graphql
    build = view.get_context

    async def without_reads(request, response):
        context = await build(request, response)

        async def nothing() -> None:
            context.reads.clear()

        context.flush_reads = nothing
        return context

    view.get_context = without_reads
    return reference


def _compare(query: str, reference: dict, body: dict) -> None:
    expected, got = _comparable(reference), _comparable(body)
    if expected != got:
        import difflib
        import json

        diff = "\n".join(difflib.unified_diff(json.dumps(expected, indent=1, sort_keys=True).splitlines(),
                                              json.dumps(got, indent=1, sort_keys=True).splitlines(),
                                              "standard", "compiled", lineterm=""))
        raise AssertionError(f"the compiled executor answered differently:\n{query}\n{diff}")


class Api:
    """Posts GraphQL to the in-process ASGI app, as a client app would over HTTP. After
    each request the outbox is delivered, as a running worker would (`deliver=False`
    leaves it to the test). Queries also run through the standard executor (above)."""

    def __init__(self, app, *, deliver: bool = True):
        self.app = app
        self.deliver = deliver
        self.differential = DIFFERENTIAL
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        self._reference = None

    async def __call__(self, query: str, variables: dict | None = None, *, token: str | None = None,
                       now: str | None = None, headers: dict | None = None) -> dict:
        sent = {"content-type": "application/json", **(headers or {})}
        if token:
            sent["authorization"] = f"Bearer {token}"
        if now:
            sent["x-casebook-now"] = now
        # The reference runs first and writes nothing, so both see the same database.
        reference = await self._reference_answer(query, variables, sent) if self.differential and _compare_this(query) \
            else None
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=sent)
        assert response.status_code in (200, 400), response.text
        if self.deliver:
            await deliver_outbox(self.app.state.settings)
        body = response.json()
        if reference is not None and response.status_code == 200:
            _compare(query, reference, body)
        return body

    async def _reference_answer(self, query: str, variables: dict | None, headers: dict) -> dict:
        if self._reference is None:
            app = reference_app(self.app)
            self._reference = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        import logging

        logging.disable(logging.CRITICAL)  # the reference's request lines and errors are not the test's
        try:
            response = await self._reference.post("/graphql", json={"query": query, "variables": variables or {}},
                                                  headers=headers)
        finally:
            logging.disable(logging.NOTSET)
        return response.json()

    async def aclose(self) -> None:
        await self.http.aclose()
        if self._reference is not None:
            await self._reference.aclose()


    async def data(self, query: str, variables: dict | None = None, **kwargs: Any) -> dict:
        """The `data` of a response that must have no top-level errors."""
        body = await self(query, variables, **kwargs)
        assert not body.get("errors"), body.get("errors")
        return body["data"]


@pytest_asyncio.fixture
async def api(db, settings):
    from api.app import create_app

    client = Api(create_app(settings, manage_db=False))
    yield client
    await client.aclose()


@pytest.fixture
def quiet_api(api):
    """Webhook deliveries are sent when the test says so, not after every request."""
    api.deliver = False
    return api


@pytest.fixture
def receiver():
    """A webhook receiver on loopback, recording what reaches it (tests/support/webhooks.py)."""
    from tests.support.webhooks import start_receiver

    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def pytest_collection_modifyitems(config, items):
    # Tests that take seconds go first: the parallel pass hands them out before the short
    # ones, so no worker is still busy with one when the others have run out of work. (A
    # stable sort: the same order in every xdist worker, as xdist requires.)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
