"""Two database roles on PostgreSQL (SPEC P1, Q4), so a hijacked application connection
cannot undo the rules the schema enforces: the owner role runs
`casebook migrate` (DATABASE_MIGRATION_URL) and owns every table; the application role
(the user of DATABASE_URL) gets only what serving needs. Not owning the tables, it cannot
ALTER them (so it cannot disable a trigger), DROP a trigger, or TRUNCATE; and on the
append-only tables below it may only read and add rows, so even a hijacked application
connection cannot erase the audit log or the ledger.

Granted again after every `casebook migrate`, so tables a migration adds are covered at
once. A table that must be append-only is made so by adding its name here (tables not
created yet are skipped, so a name may be listed ahead of its migration)."""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from infra.db import execute

# Rows are added, never changed or removed (P1 audit log, Q4 ledger, B invoices).
APPEND_ONLY_TABLES = ("audit_event", "ledger_line", "invoice", "invoice_line", "invoice_payment")
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


def role_of(url: str) -> str:
    """The user name of a postgres:// URL ("" when it has none)."""
    return unquote(urlsplit(url).username or "")


def application_role(database_url: str, migration_url: str) -> str | None:
    """The role to grant: DATABASE_URL's user, when migrations run as another one."""
    if not database_url.startswith(("postgres://", "postgresql://")) or not migration_url:
        return None
    app, owner = role_of(database_url), role_of(migration_url)
    return app if app and app != owner else None


async def grant_application_role(conn, role: str) -> None:
    """Give `role` what the application needs, and no more. Call as the owner."""
    if not _ROLE.match(role):
        raise ValueError(f"not a plain role name: {role!r}")
    quoted = f'"{role}"'
    _, rows = await execute(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    tables = sorted(row["tablename"] for row in rows)
    statements = [f"GRANT USAGE ON SCHEMA public TO {quoted}",
                  f"REVOKE CREATE ON SCHEMA public FROM {quoted}",
                  f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"]
    for table in tables:
        statements.append(f'REVOKE ALL ON "{table}" FROM {quoted}')
        if table == "casebook_migration":
            privileges = "SELECT"  # `casebook serve` checks for pending migrations
        elif table in APPEND_ONLY_TABLES:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f'GRANT {privileges} ON "{table}" TO {quoted}')
    for statement in statements:
        await conn.execute_script(statement)
