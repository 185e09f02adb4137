"""The migrations build exactly the tables and columns the models describe, and running
them again changes nothing (real migrations, not generate_schemas)."""
from tortoise import Tortoise, connections

from infra.db import dialect
from migrations.runner import available, migrate, pending, statements


async def _columns(table: str) -> set[str]:
    conn = connections.get("default")
    if dialect(conn) == "sqlite":
        _, rows = await conn.execute_query(f'PRAGMA table_info("{table}")')
        return {row["name"] for row in rows}
    _, rows = await conn.execute_query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", [table])
    return {row["column_name"] for row in rows}


async def test_every_model_matches_its_migrated_table(db):
    for model in Tortoise.apps["models"].values():
        expected = set(model._meta.fields_db_projection.values())
        assert await _columns(model._meta.db_table) == expected, model.__name__


async def test_migrating_again_applies_nothing(db):
    assert await pending() == []
    assert await migrate() == []


def test_both_dialects_have_the_same_migrations():
    assert [(m.version, m.name) for m in available("sqlite")] == [(m.version, m.name) for m in available("postgres")]


def test_statement_splitter_keeps_triggers_whole():
    sql = 'CREATE TABLE "a" ("x" INT);\nCREATE TRIGGER t BEFORE UPDATE ON "a"\nBEGIN SELECT RAISE(ABORT, \'no\'); END;\n'
    assert len(statements(sql)) == 2


async def test_every_table_holding_account_data_carries_account_id(db):
    """Row-level security and sharding by account stay open."""
    # A person's own sign-in data (I1–I5) belongs to the person, not to any one account.
    not_account_data = {"user", "account", "guest_quota", "casebook_migration", "rate_limit",
                        "identity_token", "user_session", "recovery_code",
                        # The issuer's invoice number counter (B3): one sequence for all accounts.
                        "invoice_counter"}
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        if table in not_account_data:
            continue
        assert "account_id" in await _columns(table), table
