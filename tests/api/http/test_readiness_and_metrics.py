"""`/readyz` tells a load balancer the truth about migrations, and `/metrics`
is never open in production: without METRICS_TOKEN it does not exist
there (404); with it, only a bearer of the token reads it."""
from __future__ import annotations

from datetime import datetime, timezone

from tortoise import connections

from infra.settings import Environment
from tests.conftest import Api, as_owner


async def test_readyz_is_ready_when_the_database_answers_and_every_migration_is_applied(api):
    response = await api.http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable", "migrations": "applied"}


async def test_readyz_answers_503_while_a_migration_is_pending(api):
    conn = connections.get("default")
    _, rows = await conn.execute_query('SELECT "version", "name", "applied_at" FROM "casebook_migration" '
                                       'ORDER BY "version" DESC LIMIT 1')
    latest = dict(rows[0])
    # The application's role may only read the migration records: changed as the owner.
    await as_owner(f'DELETE FROM "casebook_migration" WHERE "version" = {int(latest["version"])}')
    try:
        response = await api.http.get("/readyz")
    finally:
        await as_owner('INSERT INTO "casebook_migration" ("version", "name", "applied_at") VALUES '
                       f"({int(latest['version'])}, '{latest['name']}', "
                       f"'{datetime.now(timezone.utc).isoformat()}')")
    assert response.status_code == 503
    assert response.json()["migrations"] == {"pending": [f"{latest['version']:04d}_{latest['name']}"]}


async def test_readyz_answers_503_on_a_database_never_migrated(api):
    await as_owner('ALTER TABLE "casebook_migration" RENAME TO "casebook_migration_away"')
    try:
        response = await api.http.get("/readyz")
    finally:
        await as_owner('ALTER TABLE "casebook_migration_away" RENAME TO "casebook_migration"')
    assert response.status_code == 503 and "0001_foundation" in response.json()["migrations"]["pending"]


async def _metrics_status(settings, headers=None, **overrides) -> int:
    from api.app import create_app

    client = Api(create_app(settings.replace(**overrides), manage_db=False))
    try:
        return (await client.http.get("/metrics", headers=headers or {})).status_code
    finally:
        await client.http.aclose()


async def test_metrics_do_not_exist_in_production_without_a_token(db, settings):
    assert await _metrics_status(settings, env=Environment.PRODUCTION) == 404
    assert await _metrics_status(settings, env=Environment.PRODUCTION,
                                 headers={"authorization": "Bearer anything"}) == 404


async def test_metrics_in_production_need_the_token(db, settings):
    token = "a-long-scrape-token-0123456789"
    production = {"env": Environment.PRODUCTION, "metrics_token": token}
    assert await _metrics_status(settings, **production) == 401
    assert await _metrics_status(settings, headers={"authorization": "Bearer wrong-token"}, **production) == 401
    assert await _metrics_status(settings, headers={"authorization": f"Bearer {token}"}, **production) == 200


async def test_metrics_stay_open_outside_production_without_a_token(api):
    assert (await api.http.get("/metrics")).status_code == 200


async def test_paths_nobody_routes_and_ids_in_paths_add_no_series(api):
    # Anyone can send any path: each distinct one must not become a series of its own
    # (unbounded label sets exhaust the metrics' memory), nor put a download's key in them.
    for n in range(3):
        await api.http.get(f"/no-such-page-{n}")
        await api.http.get(f"/invoices/SW52b2ljZTo{n}.pdf")
        await api.http.get(f"/exports/secret-key-{n}")
        await api.http.request(f"WHATEVER{n}", "/healthz")
    text = (await api.http.get("/metrics")).text
    assert "no-such-page" not in text and "SW52b2ljZTo" not in text and "secret-key" not in text
    assert "WHATEVER" not in text
    assert 'operation="GET /invoices/{invoice_id}.pdf"' in text and 'operation="GET /exports/{key}"' in text
