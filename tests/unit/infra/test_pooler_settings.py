"""The settings for running through a transaction-pooling PgBouncer, for rolling
deploys and for idle connections, each refused with a message naming it."""
import argparse

import httpx
import pytest

from api.cli import serve_options
from infra.db import tortoise_config
from infra.settings import SettingsError, load_settings

PG = "postgres://app@pgbouncer.internal:6432/casebook"
DIRECT = "postgres://app@db.internal:5432/casebook"


def settings_from(**environ):
    return load_settings({"JWT_SECRET": "x" * 40, **environ}, env_file=None)


def pool_options(settings) -> dict:
    return tortoise_config(settings)["connections"]["default"]["credentials"]


def test_transaction_pooling_turns_asyncpgs_statement_cache_off():
    pooled = settings_from(DATABASE_URL=PG, DATABASE_POOLER="transaction")
    assert pooled.transaction_pooled
    assert pool_options(pooled)["statement_cache_size"] == 0
    # Straight to PostgreSQL, asyncpg keeps its cache (prepared statements save a parse per query).
    assert "statement_cache_size" not in pool_options(settings_from(DATABASE_URL=DIRECT))


@pytest.mark.parametrize("environ, named", [
    ({"DATABASE_URL": PG, "DATABASE_POOLER": "session"}, "DATABASE_POOLER"),
    ({"DATABASE_URL": PG, "DATABASE_POOLER": "pgbouncer"}, "DATABASE_POOLER"),
    ({"DATABASE_POOLER": "transaction"}, "DATABASE_POOLER=transaction needs DATABASE_URL to be PostgreSQL"),
    ({"DATABASE_URL": PG, "DATABASE_MIGRATION_URL": "mysql://db/casebook"}, "DATABASE_MIGRATION_URL"),
    ({"DATABASE_URL": PG, "DATABASE_MIGRATION_URL": "postgres://db.internal"}, "DATABASE_MIGRATION_URL"),
    ({"DATABASE_URL": PG, "DATABASE_MIGRATION_URL": "./casebook.sqlite3"}, "DATABASE_MIGRATION_URL"),
    ({"SHUTDOWN_DRAIN_SECONDS": "-1"}, "SHUTDOWN_DRAIN_SECONDS"),
    ({"SHUTDOWN_TIMEOUT_SECONDS": "0"}, "SHUTDOWN_TIMEOUT_SECONDS"),
    ({"SHUTDOWN_TIMEOUT_SECONDS": "soon"}, "SHUTDOWN_TIMEOUT_SECONDS"),
    ({"HTTP_KEEP_ALIVE_SECONDS": "0"}, "HTTP_KEEP_ALIVE_SECONDS"),
    ({"HTTP_KEEP_ALIVE_SECONDS": "7200"}, "HTTP_KEEP_ALIVE_SECONDS"),
])
def test_wrong_pooler_migration_and_shutdown_settings_are_refused_by_name(environ, named):
    with pytest.raises(SettingsError, match=named):
        settings_from(**environ)


def test_migrations_use_the_direct_url_without_the_pooler():
    settings = settings_from(DATABASE_URL=PG, DATABASE_POOLER="transaction", DATABASE_MIGRATION_URL=DIRECT)
    migrating = settings.for_migrations()
    assert (migrating.database_url, migrating.transaction_pooled) == (DIRECT, False)
    assert "statement_cache_size" not in pool_options(migrating)
    # Without a direct URL, migrations go where the app goes, with the same care.
    alone = settings_from(DATABASE_URL=PG, DATABASE_POOLER="transaction")
    assert alone.for_migrations() is alone and alone.migration_url == PG


def test_shutdown_defaults_fit_a_common_thirty_second_grace_period():
    settings = settings_from()
    assert (settings.shutdown_drain_seconds, settings.shutdown_timeout_seconds) == (5.0, 20.0)
    assert settings.shutdown_drain_seconds + settings.shutdown_timeout_seconds < 30


def test_the_server_keeps_idle_connections_longer_than_the_side_in_front():
    """CI once lost a request to uvicorn's default: server and httpx both gave an idle
    connection 5 s, the server closed it as the client reused it, and the request met a
    reset. The side in front must close first: load balancers (ALB: 60 s) and client pools."""
    args = argparse.Namespace(host="127.0.0.1", port=8000, workers=2)
    options = serve_options(settings_from(), args)
    assert options["timeout_keep_alive"] == 65.0
    assert options["timeout_keep_alive"] > max(60.0, httpx.Limits().keepalive_expiry or 0)
    assert serve_options(settings_from(HTTP_KEEP_ALIVE_SECONDS="350"), args)["timeout_keep_alive"] == 350.0
