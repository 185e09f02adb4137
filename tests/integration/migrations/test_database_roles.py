"""Two database roles (issue 28, SPEC P1, Q4): the application's role, which the test
harness connects as (tests/conftest.py), cannot switch off, drop or go around the
triggers that keep the audit log and the ledger append-only, cannot truncate or delete
from them, and cannot change the schema; it can still read and add rows. The grant is
generic: every table named in migrations/roles.py is append-only."""
from __future__ import annotations

import pytest
from tortoise import connections

from migrations.roles import APPEND_ONLY_TABLES, application_role
from tests.conftest import APP_ROLE, as_owner
from tests.support.flows import sign_up

pytestmark = pytest.mark.postgres_only

REFUSED = "permission denied|must be owner|must be superuser|append-only"


async def _as_app(sql: str) -> None:
    await connections.get("default").execute_script(sql)


async def test_the_harness_connects_as_the_restricted_application_role(db):
    _, rows = await connections.get("default").execute_query(
        "SELECT current_user AS who, rolsuper FROM pg_roles WHERE rolname = current_user")
    assert (rows[0]["who"], rows[0]["rolsuper"]) == (APP_ROLE, False)


@pytest.mark.parametrize("table", ["audit_event", "ledger_line"])
@pytest.mark.parametrize("attack", [
    'ALTER TABLE "{t}" DISABLE TRIGGER ALL',
    'ALTER TABLE "{t}" DISABLE TRIGGER "{t}_no_truncate"',
    'DROP TRIGGER "{t}_no_update_delete" ON "{t}"',
    'TRUNCATE "{t}"',
    'DELETE FROM "{t}"',
    'UPDATE "{t}" SET id = id',
    'ALTER TABLE "{t}" OWNER TO CURRENT_USER',
    'DROP TABLE "{t}"',
])
async def test_the_application_role_cannot_erase_an_append_only_table(api, table, attack):
    await sign_up(api)  # an audit event at least
    before = (await as_owner(f'SELECT COUNT(*) AS n FROM "{table}"'))[0]["n"]
    with pytest.raises(Exception, match=REFUSED):
        await _as_app(attack.format(t=table))
    assert (await as_owner(f'SELECT COUNT(*) AS n FROM "{table}"'))[0]["n"] == before
    triggers = await as_owner(f"SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = '\"{table}\"'::regclass "
                              "AND NOT tgisinternal")
    assert triggers and all(row["tgenabled"] in ("O", b"O") for row in triggers)


async def test_the_application_role_reads_and_adds_rows_and_cannot_change_the_schema(api):
    await sign_up(api)
    _, rows = await connections.get("default").execute_query('SELECT COUNT(*) AS n FROM "audit_event"')
    assert rows[0]["n"] >= 1
    for attack in ('CREATE TABLE "intruder" (x INT)', 'ALTER TABLE "dossier" ADD COLUMN "x" INT',
                   'DROP TRIGGER IF EXISTS "audit_event_no_truncate" ON "audit_event"',
                   "CREATE ROLE intruder SUPERUSER"):
        with pytest.raises(Exception, match=REFUSED):
            await _as_app(attack)


async def test_every_listed_append_only_table_that_exists_is_covered(db):
    present = {row["tablename"] for row in await as_owner("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    for table in set(APPEND_ONLY_TABLES) & present:
        rows = await as_owner(f"SELECT has_table_privilege('{APP_ROLE}', '\"{table}\"', 'DELETE') AS d, "
                              f"has_table_privilege('{APP_ROLE}', '\"{table}\"', 'TRUNCATE') AS t, "
                              f"has_table_privilege('{APP_ROLE}', '\"{table}\"', 'UPDATE') AS u, "
                              f"has_table_privilege('{APP_ROLE}', '\"{table}\"', 'INSERT') AS i")
        assert (rows[0]["d"], rows[0]["t"], rows[0]["u"], rows[0]["i"]) == (False, False, False, True), table


def test_the_application_role_is_database_url_s_user_when_migrations_run_as_another():
    assert application_role("postgres://app:pw@db/casebook", "postgres://owner:pw@db/casebook") == "app"
    assert application_role("postgres://same@db/casebook", "postgres://same@db/casebook") is None
    assert application_role("postgres://app@db/casebook", "") is None
    assert application_role("sqlite://./casebook.sqlite3", "postgres://owner@db/x") is None
