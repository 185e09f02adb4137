"""`GET /readyz`: ready when the process is not shutting down (api/drain.py), the
database answers, and every migration this code ships is applied (an unmigrated database
would fail every write with an internal error). Read only: it never creates the
migrations table, and it never migrates."""
from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

from infra.db import dialect, execute
from migrations.runner import available

log = logging.getLogger("casebook.api")


async def pending_migrations() -> list[str]:
    """Names of the shipped migrations the database has not applied (all when it has none)."""
    conn = connections.get("default")
    shipped = available(dialect(conn))
    try:
        _, rows = await execute(conn, 'SELECT "version" FROM "casebook_migration"')
    except Exception:  # noqa: BLE001 - no migrations table yet (readyz checked the connection first)
        rows = []
    done = {row["version"] for row in rows}
    return [f"{m.version:04d}_{m.name}" for m in shipped if m.version not in done]


async def readyz(request: Request) -> JSONResponse:
    drain = getattr(request.app.state, "drain", None)
    if drain is not None and drain.draining:
        # Shutting down (api/drain.py): still serving, but the load balancer should stop
        # sending requests here.
        return JSONResponse({"status": "draining"}, status_code=503)
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        log.exception("readiness check failed")
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    try:
        pending = await pending_migrations()
    except Exception:  # noqa: BLE001
        log.exception("readiness check could not read the applied migrations")
        return JSONResponse({"status": "unavailable", "database": "reachable", "migrations": "unknown"},
                            status_code=503)
    if pending:
        return JSONResponse({"status": "unavailable", "database": "reachable",
                             "migrations": {"pending": pending}}, status_code=503)
    return JSONResponse({"status": "ok", "database": "reachable", "migrations": "applied"})
