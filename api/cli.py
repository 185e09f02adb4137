"""The `casebook` command: serve, migrate, renew, create-operator."""
from __future__ import annotations

import argparse
import asyncio
import sys

from domain.core.settings import Settings, SettingsError, load_settings


async def _migrate(settings: Settings) -> list[str]:
    from domain.core.db import close_db, init_db
    from migrations.runner import migrate

    await init_db(settings)
    try:
        return await migrate()
    finally:
        await close_db()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    applied = asyncio.run(_migrate(settings))
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if not settings.is_postgres and args.workers > 1:
        print("SQLite is one process: serve with --workers 1, or set DATABASE_URL to "
              "PostgreSQL to run several workers (several processes on one SQLite file "
              "lose updates and break the limits).", file=sys.stderr)
        return 2
    if not settings.is_postgres:
        applied = asyncio.run(_migrate(settings))
        if applied:
            print("applied: " + ", ".join(applied))
    uvicorn.run("api.app:app", host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level.lower(), proxy_headers=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="casebook", description="Casebook GraphQL backend")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API (applies pending migrations on SQLite)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply pending schema migrations").set_defaults(run=cmd_migrate)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"casebook: {error}", file=sys.stderr)
        return 2
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
