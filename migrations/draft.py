"""Developer aid: print the DDL tortoise would generate for the models, per dialect, as a
starting point for a new migration file. Never run against a live database.

    python -m migrations.draft sqlite
    python -m migrations.draft postgres postgres://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import asyncio
import sys

from tortoise import Tortoise, connections
from tortoise.utils import get_schema_sql

from infra.db import MODEL_MODULES


async def _main(dialect: str, url: str | None) -> None:
    db_url = "sqlite://:memory:" if dialect == "sqlite" else url
    await Tortoise.init(db_url=db_url, modules={"models": MODEL_MODULES})
    print(get_schema_sql(connections.get("default"), safe=False))
    await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
