"""Schema migrations: numbered SQL files per dialect (`NNNN_name.sqlite.sql`,
`NNNN_name.postgres.sql`), applied in order, each in its own transaction, recorded in
`casebook_migration`. On PostgreSQL an advisory lock lets several hosts run `migrate`
at once safely.

A migration may also have a data step, `NNNN_name.py` with `async def run(conn)`, run
after its SQL in the same transaction on both databases: for what SQL cannot do alike on
both (0010 folds accents out of every client name the way the domain does)."""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tortoise import connections

from infra.db import dialect, execute, transaction

MIGRATIONS_DIR = Path(__file__).parent
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(sqlite|postgres)\.sql$")
_LOCK_KEY = 7_274_242  # any constant; shared by every `casebook migrate`


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available(for_dialect: str) -> list[Migration]:
    found = []
    for path in MIGRATIONS_DIR.iterdir():
        match = _FILE.match(path.name)
        if match and match.group(3) == for_dialect:
            found.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two {for_dialect} migrations share a number: {versions}")
    return found


def statements(sql: str) -> list[str]:
    """Split a script into statements: one ends with a line ending in `;`."""
    result, current = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--") and not current:
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(current).strip()
            if statement.rstrip(";").strip():
                result.append(statement)
            current = []
    if "\n".join(current).strip():
        result.append("\n".join(current).strip())
    return result


def data_step(migration: Migration):  # noqa: ANN201 - async def run(conn) or None
    if not (MIGRATIONS_DIR / f"{migration.version:04d}_{migration.name}.py").is_file():
        return None
    return importlib.import_module(f"migrations.{migration.version:04d}_{migration.name}").run


async def _ensure_table() -> None:
    conn = connections.get("default")
    if dialect(conn) == "postgres":
        # The application role may not create tables (migrations/roles.py): look first.
        _, rows = await execute(conn, "SELECT to_regclass('public.casebook_migration') IS NOT NULL AS present")
        if rows and rows[0]["present"]:
            return
    stamp = "TIMESTAMPTZ" if dialect(conn) == "postgres" else "TIMESTAMP"
    await conn.execute_script(
        'CREATE TABLE IF NOT EXISTS "casebook_migration" ('
        '"version" INT NOT NULL PRIMARY KEY, "name" VARCHAR(100) NOT NULL, '
        f'"applied_at" {stamp} NOT NULL)'
    )


async def applied_versions() -> set[int]:
    await _ensure_table()
    _, rows = await execute(connections.get("default"), 'SELECT "version" FROM "casebook_migration"')
    return {row["version"] for row in rows}


async def pending() -> list[Migration]:
    done = await applied_versions()
    return [m for m in available(dialect(connections.get("default"))) if m.version not in done]


async def migrate(application_role: str | None = None) -> list[str]:
    """Apply every pending migration; return the names applied. On PostgreSQL, then grant
    `application_role` what the application needs (migrations/roles.py)."""
    await _ensure_table()
    applied: list[str] = []
    for migration in available(dialect(connections.get("default"))):
        async with transaction() as conn:
            is_postgres = dialect(conn) == "postgres"
            if is_postgres:
                await execute(conn, "SELECT pg_advisory_xact_lock($1)", [_LOCK_KEY])
            _, rows = await execute(
                conn, 'SELECT 1 AS x FROM "casebook_migration" WHERE "version" = $1', [migration.version]
            )
            if rows:
                continue
            if is_postgres:
                await conn.execute_script(migration.sql)
            else:
                # Not execute_script: sqlite3's executescript commits first, which would
                # leave a failing migration half-applied.
                for statement in statements(migration.sql):
                    await conn.execute_query(statement)
            step = data_step(migration)
            if step is not None:
                await step(conn)
            await execute(
                conn,
                'INSERT INTO "casebook_migration" ("version", "name", "applied_at") VALUES ($1, $2, $3)',
                [migration.version, migration.name, datetime.now(timezone.utc)],
            )
            applied.append(f"{migration.version:04d}_{migration.name}")
    if application_role and dialect(connections.get("default")) == "postgres":
        from migrations.roles import grant_application_role

        async with transaction() as conn:
            await execute(conn, "SELECT pg_advisory_xact_lock($1)", [_LOCK_KEY])
            await grant_application_role(conn, application_role)
    return applied
