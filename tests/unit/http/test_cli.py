"""`casebook serve` refuses several workers on SQLite (STACK-NOTES: lost updates)."""
from api import cli


def test_serve_refuses_several_workers_on_sqlite(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("DATABASE_POOLER", raising=False)  # set in CI's PgBouncer pass
    monkeypatch.setenv("JWT_SECRET", "x" * 40)
    assert cli.main(["serve", "--workers", "2"]) == 2
    assert "SQLite is one process" in capsys.readouterr().err
