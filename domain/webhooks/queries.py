"""Counts of the webhook queue for /metrics, read from the database so that every server
and worker process reports the same figures."""
from __future__ import annotations

from tortoise import connections

from infra.db import execute
from domain.webhooks.models import FAILING, PENDING


async def queue_counts() -> dict[str, int]:
    _, rows = await execute(connections.get("default"),
                            "SELECT status, COUNT(*) AS n FROM webhook_delivery "
                            "WHERE status IN ('pending', 'failing') GROUP BY status")
    counts = {PENDING: 0, FAILING: 0}
    counts.update({row["status"]: int(row["n"]) for row in rows})
    return counts


async def disabled_endpoint_counts() -> dict[str, int]:
    _, rows = await execute(connections.get("default"),
                            "SELECT disabled_reason, COUNT(*) AS n FROM webhook_endpoint "
                            "WHERE enabled = FALSE GROUP BY disabled_reason")
    counts = {"failing": 0, "manual": 0}
    counts.update({row["disabled_reason"] or "manual": int(row["n"]) for row in rows})
    return counts
