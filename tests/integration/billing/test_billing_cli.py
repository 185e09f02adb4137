"""`casebook renew` and `casebook create-operator EMAIL` against a database file (P3, S3)."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from api import cli
from tests.conftest import ON_POSTGRES

# The CLI runs against its own SQLite file. Tortoise keeps its models' query builders
# per process, so a second dialect in a PostgreSQL test run would poison later tests:
# these run in the SQLite pass of CI only.
pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="CLI tests use an SQLite file; run in the SQLite pass")


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    path = tmp_path / "casebook.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{path}")
    monkeypatch.setenv("JWT_SECRET", "x" * 40)
    monkeypatch.setenv("CASEBOOK_ENV", "test")
    monkeypatch.delenv("CASEBOOK_OPERATOR_PASSWORD", raising=False)
    assert cli.main(["migrate"]) == 0
    return str(path)


def _rows(path: str, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_p3_create_operator_prints_a_one_time_password_once(database, capsys):
    assert cli.main(["create-operator", "Ops@Casebook.example", "--name", "Opal"]) == 0
    out = capsys.readouterr().out
    assert "created operator ops@casebook.example" in out
    assert "one-time password" in out
    assert _rows(database, 'SELECT email, name, is_operator FROM "user"') == [("ops@casebook.example", "Opal", 1)]
    # Running it again keeps the password and prints none.
    assert cli.main(["create-operator", "ops@casebook.example"]) == 0
    assert "password" not in capsys.readouterr().out


def test_p3_create_operator_takes_the_password_from_the_environment(database, capsys, monkeypatch):
    monkeypatch.setenv("CASEBOOK_OPERATOR_PASSWORD", "short")
    assert cli.main(["create-operator", "ops@casebook.example"]) == 2
    assert "at least" in capsys.readouterr().err
    monkeypatch.setenv("CASEBOOK_OPERATOR_PASSWORD", "a long operator passphrase 7")
    assert cli.main(["create-operator", "ops@casebook.example"]) == 0
    assert "password" not in capsys.readouterr().out


def test_p3_a_teammate_cannot_be_made_an_operator(database, capsys):
    from infra.settings import load_settings
    from tests.support.billing import given_account

    async def given() -> None:
        from domain.accounts.models import User

        account_id, owner = await given_account("2026-04-15T10:00:00+02:00")
        print((await User.get(id=owner.user_id)).email)

    asyncio.run(cli._in_db(load_settings(), given))
    email = capsys.readouterr().out.strip()
    assert cli.main(["create-operator", email]) == 2
    assert "teammate" in capsys.readouterr().err
    assert _rows(database, 'SELECT is_operator FROM "user"') == [(0,)]


def test_s3_renew_opens_due_periods_once(database, capsys):
    from infra.settings import load_settings
    from tests.support.billing import given_account

    asyncio.run(cli._in_db(load_settings(), lambda: given_account("2026-04-15T10:00:00+02:00")))
    assert cli.main(["renew", "--now", "2026-06-20T10:00:00+02:00"]) == 0
    assert "renewed 2 period(s)" in capsys.readouterr().out
    assert cli.main(["renew", "--now", "2026-06-20T10:00:00+02:00"]) == 0
    assert "renewed 0 period(s)" in capsys.readouterr().out
    assert _rows(database, "SELECT period_start FROM billing_period ORDER BY id") == [
        ("2026-04-15",), ("2026-05-15",), ("2026-06-15",)]
    assert cli.main(["renew", "--now", "yesterday"]) == 2
