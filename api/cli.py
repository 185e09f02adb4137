"""The `casebook` command: serve, migrate, renew, worker, create-operator, documents.

Every setting comes from the environment, then `.env` (infra/settings.py). A wrong
setting or an unusable database answers one line on stderr, naming the setting and what
it expects, with exit status 2; never a traceback (api/startup.py)."""
from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from api.startup import (
    StartupError, check_catalog, check_database, check_signing_keys, database_call, run_in_database,
)
from infra.settings import Settings, SettingsError, load_settings


def _version() -> str:
    try:
        return metadata.version("casebook")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535, not {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64, not {text!r}")
    return int(text)


async def _in_db(settings: Settings, work):  # noqa: ANN001, ANN202 - work: () -> awaitable
    """`work()` with the database open (for callers that are already async, and tests)."""
    from infra.db import close_db, init_db

    await init_db(settings)
    try:
        return await work()
    finally:
        await close_db()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from migrations.roles import application_role
    from migrations.runner import migrate

    # DDL and the migration lock belong on a direct connection (DATABASE_MIGRATION_URL)
    # when the app itself goes through PgBouncer; run as the owner role, which then grants
    # DATABASE_URL's role only what the application needs (migrations/roles.py).
    role = application_role(settings.database_url, settings.database_migration_url)
    applied = run_in_database(settings.for_migrations(), lambda: migrate(role))
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    if role:
        print(f"granted the application role {role} what it needs")
    return 0


def serve_options(settings: Settings, args: argparse.Namespace) -> dict:
    """uvicorn's options for `casebook serve`."""
    return dict(host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level.lower(), proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips or None,
                # After the drain (api/drain.py): how long in-flight requests may still take.
                timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
                # Longer than the side in front keeps idle connections, so it closes first.
                timeout_keep_alive=settings.http_keep_alive_seconds,
                # Live updates: a client frame over the limit is refused before it is buffered.
                ws_max_size=settings.live_max_message_bytes,
                log_config=None, access_log=False)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if not settings.is_postgres and args.workers > 1:
        print("casebook: SQLite is one process: serve with --workers 1, or set DATABASE_URL to "
              "PostgreSQL to run several workers (several processes on one SQLite file "
              "lose updates and break the limits).", file=sys.stderr)
        return 2
    check_catalog(settings)
    check_signing_keys(settings)
    applied = database_call(settings, lambda: check_database(
        settings, apply_on_sqlite=True, allow_pending=args.allow_pending_migrations))
    if applied:
        print("applied: " + ", ".join(applied))
    from api.logging import configure_logging
    from api.metrics import prepare_metrics_dir

    configure_logging(settings)  # JSON lines; each worker configures itself again in api.app
    prepare_metrics_dir(settings.metrics_dir, args.workers)
    uvicorn.run("api.app:app", **serve_options(settings, args))
    return 0


def cmd_renew(settings: Settings, args: argparse.Namespace) -> int:
    from domain.billing.catalog import load_catalog
    from domain.billing.renewal import renew_due
    from infra.clock import parse_test_clock

    now = None  # each account by its own clock, its test clock where it has one (O4)
    if args.now:
        if not settings.honours_test_clock:
            print("casebook: --now is refused in production (CASEBOOK_ENV=production)", file=sys.stderr)
            return 2
        try:
            now = parse_test_clock(args.now)
        except ValueError as error:
            print(f"casebook: --now: {error}", file=sys.stderr)
            return 2
    check_catalog(settings)
    catalog = load_catalog(settings.catalog_path or None)
    report = run_in_database(settings, lambda: renew_due(catalog, now=now))
    print(f"renewed {report.renewed} period(s)" + (f"; failed accounts: {report.failed}" if report.failed else ""))
    return 1 if report.failed else 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Deliver the outbox and run renewals until SIGTERM/SIGINT; leases are handed back."""
    import asyncio
    import signal

    from api import tracing
    from api.logging import configure_logging
    from api.worker import build_worker
    from domain.billing.catalog import load_catalog
    from infra.db import close_db, init_db

    check_catalog(settings)
    configure_logging(settings)
    catalog = load_catalog(settings.catalog_path or None)
    # Deliveries' SQL and HTTP calls traced when a collector is configured (api/tracing.py).
    tracer_provider = tracing.provider_from(settings)
    tracing.trace_outgoing(tracer_provider)

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

    try:
        database_call(settings, work)
    finally:
        if tracer_provider is not None:
            tracer_provider.shutdown()  # the last batch of spans leaves before the process ends
    return 0


def cmd_create_operator(settings: Settings, args: argparse.Namespace) -> int:
    import secrets

    from domain.identity.passwords import hash_password
    from domain.staff.operator_logins import make_operator
    from infra.clock import utc_now
    from domain.core.errors import DomainError
    from domain.core.validation import check_password

    given = settings.operator_password or None  # CASEBOOK_OPERATOR_PASSWORD, environment or .env
    try:
        password = check_password(given) if given else secrets.token_urlsafe(18)
        _, created, password_set = run_in_database(settings, lambda: make_operator(
            args.email, name=args.name, password_hash=hash_password(password), replace_password=bool(given),
            now=utc_now()))
    except DomainError as error:
        print(f"casebook: {error.message}", file=sys.stderr)
        return 2
    print(("created operator " if created else "made operator ") + args.email.strip().lower())
    if password_set and not given:
        print(f"one-time password (shown once; change it after signing in): {password}")
    return 0


def cmd_documents_add(settings: Settings, args: argparse.Namespace) -> int:
    from api.documents import add_trusted
    from api.manifest import read_documents
    from schema.schema import schema

    documents, problems = read_documents([Path(name) for name in args.files], schema._schema)
    if problems:
        for problem in problems:
            print(f"casebook: {problem}", file=sys.stderr)
        print("casebook: nothing registered", file=sys.stderr)
        return 2
    added = run_in_database(settings, lambda: add_trusted(documents))
    print(f"registered {len(documents)} document(s) as trusted ({added} new)")
    return 0


def cmd_documents_list(settings: Settings, args: argparse.Namespace) -> int:
    from api.documents import trusted_documents

    for digest, document in run_in_database(settings, trusted_documents):
        first = next((line.strip() for line in document.splitlines() if line.strip()), "")
        print(f"{digest}  {first[:80]}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="casebook", description="Casebook GraphQL backend. Settings come from the environment, then .env "
                                     "(see .env.example).")
    root.add_argument("--version", action="version", version=f"casebook {_version()}",
                      help="print the installed version and exit")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND",
                              help="what to do; `casebook COMMAND --help` describes each")

    serve = sub.add_parser("serve", help="serve the API with uvicorn",
                           description="Serve api.app:app. On SQLite, pending migrations are applied first; on "
                                       "PostgreSQL, pending migrations stop it (run `casebook migrate`).")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port, 1-65535 (default: 8000)")
    serve.add_argument("--workers", type=_workers, default=1,
                       help="worker processes, 1-64 (default: 1; SQLite allows only 1)")
    serve.add_argument("--allow-pending-migrations", action="store_true",
                       help="on PostgreSQL, start although migrations are pending (/readyz answers 503 "
                            "until they are applied)")
    serve.set_defaults(run=cmd_serve)

    sub.add_parser("migrate", help="apply pending schema migrations (safe from several hosts at once)",
                   description="Apply pending migrations, each in its own transaction.").set_defaults(run=cmd_migrate)

    renew = sub.add_parser("renew", help="renew the subscriptions due today (safe to repeat, from several hosts)",
                           description="Apply renewals and scheduled changes that are due.")
    renew.add_argument("--now", metavar="DATETIME",
                       help="business time, ISO-8601 with an offset such as 2026-05-10T09:00:00+02:00 "
                            "(refused in production)")
    renew.set_defaults(run=cmd_renew)

    worker = sub.add_parser("worker", help="deliver mail and webhooks and run renewals (safe on several hosts)",
                            description="Run the outbox worker until SIGTERM or SIGINT.")
    worker.add_argument("--once", action="store_true", help="deliver what is due, run the periodic jobs once, exit")
    worker.set_defaults(run=cmd_worker)

    operator = sub.add_parser("create-operator", help="create a service operator, or make a user one",
                              description="The password comes from CASEBOOK_OPERATOR_PASSWORD (environment or "
                                          ".env), or is generated and printed once.")
    operator.add_argument("email", help="the operator's email address")
    operator.add_argument("--name", help="the operator's name (default: from the email address)")
    operator.set_defaults(run=cmd_create_operator)

    documents = sub.add_parser("documents", help="trusted documents (CASEBOOK_TRUSTED_DOCUMENTS=only)",
                               description="Register the GraphQL documents client builds send; with "
                                           "CASEBOOK_TRUSTED_DOCUMENTS=only the server runs these alone.")
    documents_sub = documents.add_subparsers(dest="action", required=True, metavar="ACTION",
                                             help="add or list")
    add = documents_sub.add_parser("add", help="register documents from manifests or .graphql files",
                                   description="FILE is a JSON manifest {sha256: document}, an Apollo persisted "
                                               "query manifest, or one .graphql document. All are checked first; "
                                               "on any problem nothing is registered.")
    add.add_argument("files", nargs="+", metavar="FILE", help="manifest (.json) or document (.graphql) files")
    add.set_defaults(run=cmd_documents_add)
    documents_sub.add_parser("list", help="list the trusted documents' hashes and first lines",
                             description="List trusted documents.").set_defaults(run=cmd_documents_list)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        # The product is imported only once the settings hold: a wrong setting or `--help`
        # answers in a fraction of the time.
        from api.wiring import wire
        from domain.live import publish as live

        wire()  # the worker and `casebook renew` announce events too
        live.configure(settings)  # its events reach live updates through the servers' broker (T7)
        return args.run(settings, args)
    except (SettingsError, StartupError) as error:
        print(f"casebook: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
