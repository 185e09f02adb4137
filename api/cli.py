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
    from api.logging import configure_logging
    from api.metrics import prepare_metrics_dir

    configure_logging(settings)  # JSON lines; each worker configures itself again in api.app
    prepare_metrics_dir(settings.metrics_dir, args.workers)
    uvicorn.run("api.app:app", host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level.lower(), proxy_headers=True,
                log_config=None, access_log=False)
    return 0


async def _in_db(settings: Settings, work):  # noqa: ANN001, ANN202 - work: () -> awaitable
    from domain.core.db import close_db, init_db

    await init_db(settings)
    try:
        return await work()
    finally:
        await close_db()


def cmd_renew(settings: Settings, args: argparse.Namespace) -> int:
    from domain.billing.catalog import CatalogError, load_catalog
    from domain.billing.renewal import renew_due
    from domain.core.clock import parse_business_now, utc_now

    now = utc_now()
    if args.now:
        now = parse_business_now(args.now) if settings.honours_test_clock else None
        if now is None:
            print("casebook: --now takes an ISO-8601 date-time with offset, outside production", file=sys.stderr)
            return 2
    try:
        catalog = load_catalog(settings.catalog_path or None)
    except CatalogError as error:
        print(f"casebook: {error}", file=sys.stderr)
        return 2
    report = asyncio.run(_in_db(settings, lambda: renew_due(catalog, now=now)))
    print(f"renewed {report.renewed} period(s)" + (f"; failed accounts: {report.failed}" if report.failed else ""))
    return 1 if report.failed else 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Deliver the outbox and run renewals until SIGTERM/SIGINT; leases are handed back."""
    import signal

    from api.logging import configure_logging
    from api.worker import build_worker
    from domain.billing.catalog import CatalogError, load_catalog
    from domain.core.db import close_db, init_db

    configure_logging(settings)
    try:
        catalog = load_catalog(settings.catalog_path or None)
    except CatalogError as error:
        print(f"casebook: {error}", file=sys.stderr)
        return 2

    async def work() -> None:
        await init_db(settings)
        try:
            worker = build_worker(settings, catalog)
            if args.once:
                await worker.drain()
                await worker.run_periodic()
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            await worker.run(stop)
        finally:
            await close_db()

    asyncio.run(work())
    return 0


def cmd_create_operator(settings: Settings, args: argparse.Namespace) -> int:
    import os
    import secrets

    from auth.passwords import hash_password
    from domain.billing.operator_users import make_operator
    from domain.core.clock import utc_now
    from domain.core.errors import DomainError
    from domain.core.validation import check_password

    given = os.environ.get("CASEBOOK_OPERATOR_PASSWORD") or None
    try:
        password = check_password(given) if given else secrets.token_urlsafe(18)
        _, created, password_set = asyncio.run(_in_db(settings, lambda: make_operator(
            args.email, name=args.name, password_hash=hash_password(password), replace_password=bool(given),
            now=utc_now())))
    except DomainError as error:
        print(f"casebook: {error.message}", file=sys.stderr)
        return 2
    print(("created operator " if created else "made operator ") + args.email.strip().lower())
    if password_set and not given:
        print(f"one-time password (shown once; change it after signing in): {password}")
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
    renew = sub.add_parser("renew", help="renew the subscriptions due today (safe to repeat, from several hosts)")
    renew.add_argument("--now", help="business time as ISO-8601 with offset (not in production)")
    renew.set_defaults(run=cmd_renew)
    worker = sub.add_parser("worker", help="deliver mail and webhooks and run renewals (safe on several hosts)")
    worker.add_argument("--once", action="store_true", help="deliver what is due, run the periodic jobs once, exit")
    worker.set_defaults(run=cmd_worker)
    operator = sub.add_parser("create-operator", help="create an operator, or make a user one; the password "
                              "comes from CASEBOOK_OPERATOR_PASSWORD or is generated and printed once")
    operator.add_argument("email")
    operator.add_argument("--name")
    operator.set_defaults(run=cmd_create_operator)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"casebook: {error}", file=sys.stderr)
        return 2
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
