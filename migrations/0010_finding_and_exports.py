"""Data step of migration 0010: fill `dossier.search_text` of the dossiers that exist,
with the domain's own folding (domain.dossiers.finding), on both databases alike.

Chunks of 1,000 by id, one multi-row UPDATE each, inside the migration's transaction."""
from __future__ import annotations

from typing import Any

from infra.db import dialect, execute
from domain.dossiers.finding import search_text

CHUNK = 1000


async def run(conn: Any) -> None:
    last = 0
    while True:
        _, rows = await execute(conn, "SELECT id, client_name, reference FROM dossier WHERE id > $1 "
                                      "ORDER BY id LIMIT $2", [last, CHUNK])
        if not rows:
            return
        params: list[Any] = []
        cases = []
        for row in rows:
            params += [row["id"], search_text(row["client_name"], row["reference"])]
            cases.append(f"WHEN ${len(params) - 1} THEN ${len(params)}")
        cast = "::bigint" if dialect(conn) == "postgres" else ""
        ids = ", ".join(f"${n}{cast}" for n in range(1, len(params), 2))
        await execute(conn, f"UPDATE dossier SET search_text = CASE id {' '.join(cases)} END "
                            f"WHERE id IN ({ids})", params)
        last = rows[-1]["id"]
