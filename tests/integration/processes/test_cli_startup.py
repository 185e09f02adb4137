"""Start-up and command-line mistakes answer one line naming the setting and what it
expects, never a traceback. Each case runs the real `casebook` command in a
subprocess, as an operator would, with its own settings (and, once, its own `.env`)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[3]
# Subprocesses and SQLite files: the SQLite pass of CI runs these (they need no test database).
pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="run in the SQLite pass; they start their own processes")


def casebook(*args: str, cwd: Path, **environ: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CASEBOOK_", "DATABASE_", "JWT_", "CATALOG_", "LOG_", "REDIS_", "METRICS_"))}
    env.update({"JWT_SECRET": "x" * 40, "PYTHONPATH": str(ROOT), **environ})
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("casebook: ")
    return lines[0]


def postgres_or_skip() -> None:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=0.5).close()
    except OSError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("url, expected", [
    ("postgres://postgres@127.0.0.1:5432/casebook_no_such_database", "database 'casebook_no_such_database' does not exist"),
    ("postgres://casebook_no_such_role@127.0.0.1:5432/postgres", "no role 'casebook_no_such_role'"),
])
def test_a_postgres_database_that_cannot_be_used_is_one_line(tmp_path, url, expected):
    postgres_or_skip()
    line = one_line(casebook("migrate", cwd=tmp_path, DATABASE_URL=url))
    assert line.startswith("casebook: DATABASE_URL: ") and expected in line


def test_a_closed_port_is_one_line(tmp_path):
    port = closed_port()
    line = one_line(casebook("migrate", cwd=tmp_path, DATABASE_URL=f"postgres://u:secret@127.0.0.1:{port}/db"))
    assert f"nothing accepts connections at 127.0.0.1:{port}" in line and "secret" not in line


@pytest.mark.parametrize("url, expected", [
    ("mysql://u:secret@127.0.0.1/casebook", "'mysql://' is not supported"),
    ("postgres://u:secret@127.0.0.1:99999/db", "port that is not a number from 1 to 65535"),
    ("postgres://u:secret@127.0.0.1/", "needs a host and a database name"),
    ("./no/such/folder/casebook.sqlite3", "folder of the SQLite file"),
])
def test_a_malformed_database_url_is_one_line_without_the_password(tmp_path, url, expected):
    line = one_line(casebook("migrate", cwd=tmp_path, DATABASE_URL=url))
    assert "DATABASE_URL" in line and expected in line and "secret" not in line


def test_readmes_bare_path_form_is_an_sqlite_file(tmp_path):
    result = casebook("migrate", cwd=tmp_path, DATABASE_URL="./other.sqlite3")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "other.sqlite3").is_file()


@pytest.mark.parametrize("environ, expected", [
    ({"CATALOG_PATH": "/no/such/catalog.toml"}, "CATALOG_PATH: cannot read catalog"),
    ({"CATALOG_PATH": "{bad}"}, "CATALOG_PATH"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
    ({"CASEBOOK_ENV": "prod"}, "CASEBOOK_ENV must be"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be"),
    ({"CASEBOOK_TRUSTED_DOCUMENTS": "yes"}, "CASEBOOK_TRUSTED_DOCUMENTS must be 'only'"),
    ({"DATABASE_POOL_SIZE": "many"}, "DATABASE_POOL_SIZE must be a whole number"),
    ({"JWT_ALGORITHM": "RS256", "JWT_PRIVATE_KEY_FILE": "/no/key.pem"}, "JWT_PRIVATE_KEY_FILE"),
])
def test_each_wrong_setting_is_one_line_naming_it(tmp_path, environ, expected):
    if environ.get("CATALOG_PATH") == "{bad}":
        bad = tmp_path / "bad.toml"
        bad.write_text("currency = [\n")
        environ = {"CATALOG_PATH": str(bad)}
    line = one_line(casebook("serve", "--port", str(closed_port()), cwd=tmp_path,
                             DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}", **environ))
    assert expected in line


def test_a_key_file_that_is_not_a_key_is_one_line(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("not a key")
    line = one_line(casebook("serve", cwd=tmp_path, DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}",
                             JWT_ALGORITHM="RS256", JWT_PRIVATE_KEY_FILE=str(key)))
    assert "JWT_PRIVATE_KEY_FILE must be an unencrypted PEM private key" in line


def test_serve_on_postgres_refuses_pending_migrations_unless_told(tmp_path):
    postgres_or_skip()
    import asyncio
    import uuid

    import asyncpg

    name = f"casebook_unmigrated_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        line = one_line(casebook("serve", cwd=tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}"))
        assert "pending migration(s) (0001_foundation" in line and "--allow-pending-migrations" in line
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.parametrize("args, expected", [
    (["serve", "--port", "99999"], "argument --port: must be a whole number from 1 to 65535"),
    (["serve", "--port", "0"], "argument --port"),
    (["serve", "--workers", "0"], "argument --workers"),
])
def test_a_port_or_worker_count_out_of_range_is_refused(tmp_path, args, expected):
    result = casebook(*args, cwd=tmp_path)
    assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr


def test_version_and_help_on_every_option(tmp_path):
    version = casebook("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("casebook ")
    from api.cli import parser

    def every_action(p):  # noqa: ANN001, ANN202
        for action in p._actions:
            yield action
            for sub in (getattr(action, "choices", None) or {}).values():
                if hasattr(sub, "_actions"):
                    yield from every_action(sub)

    undocumented = [action.dest for action in every_action(parser()) if not action.help]
    assert undocumented == []


def test_the_operator_password_is_read_from_dotenv(tmp_path):
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite://{tmp_path / 'db.sqlite3'}\n"
                                   "CASEBOOK_OPERATOR_PASSWORD=a long operator passphrase 7\n")
    assert casebook("migrate", cwd=tmp_path).returncode == 0
    result = casebook("create-operator", "ops@casebook.example", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "one-time password" not in result.stdout  # the .env password was used


def test_renew_refuses_a_test_clock_without_a_time_of_day(tmp_path):
    line = one_line(casebook("renew", "--now", "2026-05-10", cwd=tmp_path,
                             DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}"))
    assert line.startswith("casebook: --now: ") and "time of day" in line


def test_migrate_applies_to_the_migration_url_not_the_app_url(tmp_path):
    """Behind PgBouncer the app's DATABASE_URL is the pooler; `casebook migrate`
    connects to DATABASE_MIGRATION_URL (here two SQLite files stand for the two routes)."""
    import sqlite3

    result = casebook("migrate", cwd=tmp_path, DATABASE_URL="./app.sqlite3", DATABASE_MIGRATION_URL="./direct.sqlite3")
    assert result.returncode == 0, result.stderr
    tables = sqlite3.connect(tmp_path / "direct.sqlite3").execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'casebook_migration'").fetchone()[0]
    assert tables == 1
    assert not (tmp_path / "app.sqlite3").exists()
