"""Live-updates settings (issue 24): refused when they cannot work."""
import pytest

from infra.settings import SettingsError, load_settings
from domain.live.brokers import broker_kind, listen_url

BASE = {"CASEBOOK_ENV": "test", "JWT_SECRET": "x" * 40}
PG = "postgres://u:p@127.0.0.1:6432/casebook"


def test_listen_never_goes_through_a_transaction_pooler(caplog):
    pooled = {**BASE, "DATABASE_URL": PG, "DATABASE_POOLER": "transaction"}
    assert broker_kind(load_settings(pooled, env_file=None)) == "memory"  # LISTEN there would hear nothing
    assert "LIVE_LISTEN_URL" in caplog.text
    direct = load_settings({**pooled, "LIVE_LISTEN_URL": "postgres://u:p@127.0.0.1:5432/casebook"}, env_file=None)
    assert broker_kind(direct) == "postgres" and listen_url(direct) == "postgresql://u:p@127.0.0.1:5432/casebook"
    migration = load_settings({**pooled, "DATABASE_MIGRATION_URL": "postgres://u:p@127.0.0.1:5432/casebook"},
                              env_file=None)
    assert listen_url(migration) == "postgresql://u:p@127.0.0.1:5432/casebook"
    assert broker_kind(load_settings({**pooled, "REDIS_URL": "redis://127.0.0.1:6379/0"}, env_file=None)) == "redis"


@pytest.mark.parametrize("env", [{"LIVE_BROKER": "kafka"}, {"LIVE_BROKER": "redis"}, {"LIVE_BROKER": "postgres"},
                                 {"LIVE_QUEUE_SIZE": "0"}, {"LIVE_PING_SECONDS": "0"}])
def test_a_broker_that_cannot_work_or_a_bound_that_is_not_positive_is_refused(env):
    with pytest.raises(SettingsError):
        load_settings({**BASE, **env}, env_file=None)
