"""A GraphQL request over HTTP runs its statements outside transactions on one pool
connection (infra.db.request_reads), not one per statement."""
from __future__ import annotations

import pytest
from tortoise import connections

from tests.api.schema.test_statement_counts import AT, DOSSIER_PAGE
from tests.support.seed import seed_practice
from tests.support.statements import statements_of

pytestmark = pytest.mark.postgres_only


async def test_a_dossier_page_takes_one_pool_connection_for_its_reads(api, monkeypatch):
    practice = await seed_practice(api, 5)
    pool = connections.get("default")._pool
    taken = []
    acquire = type(pool).acquire

    def counted(self, *args, **kwargs):
        taken.append(1)
        return acquire(self, *args, **kwargs)

    monkeypatch.setattr(type(pool), "acquire", counted)
    sql = await statements_of(api, DOSSIER_PAGE, {"n": 5}, token=practice.token, now=AT)
    assert len(sql) >= 8
    assert len(taken) == 1, f"{len(taken)} pool connections for {len(sql)} statements"
    assert pool.get_idle_size() == pool.get_size()
