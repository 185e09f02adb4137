"""Checks `casebook` runs before it serves or touches the database, so that a wrong
setting answers one line naming the setting and what it expects, never a traceback an
operator has to read code to understand: the catalog, the signing keys, the database and its migrations."""
from __future__ import annotations

import asyncio
import socket
from typing import Any, Iterator
from urllib.parse import urlsplit

from infra.settings import DATABASE_URL_FORMS, Settings


class StartupError(Exception):
    """A setting or the environment stops the command; the message is one line."""


def check_catalog(settings: Settings) -> None:
    from domain.billing.catalog import CatalogError, load_catalog

    from infra.settings import SettingsError
    from domain.billing.invoices.seller import configure_seller

    try:
        catalog = load_catalog(settings.catalog_path or None)
    except CatalogError as error:
        setting = "CATALOG_PATH" if settings.catalog_path else "the shipped catalog"
        raise StartupError(f"{setting}: {error} (CATALOG_PATH names a TOML price catalog; empty uses "
                           "the shipped default)") from None
    # The seller every invoice names (B6), checked and set for this process; its country
    # must have a VAT rate in the catalog (B4).
    try:
        seller = configure_seller(settings)
    except SettingsError as error:
        raise StartupError(str(error)) from None
    if seller.country not in catalog.vat_rates:
        raise StartupError(f"INVOICE_SELLER_COUNTRY {seller.country} has no VAT rate in the catalog's [vat.rates]")


def check_signing_keys(settings: Settings) -> None:
    from auth.tokens import TokenService

    try:
        TokenService(settings)
    except OSError as error:
        raise StartupError(f"JWT_PRIVATE_KEY_FILE / JWT_PUBLIC_KEY_FILES: cannot read "
                           f"{error.filename!r} ({error.strerror})") from None
    except (ValueError, TypeError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StartupError(f"JWT_PRIVATE_KEY_FILE must be an unencrypted PEM private key for "
                           f"{settings.jwt_algorithm} ({first_line})") from None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain_database_error(error: BaseException, settings: Settings) -> str | None:
    """One line for a database that cannot be used as DATABASE_URL says; None when the
    error is something else (a bug keeps its traceback)."""
    url = settings.database_url
    if not settings.is_postgres:
        path = url.split("://", 1)[-1]
        for cause in _chain(error):
            if "unable to open database file" in str(cause):
                return (f"DATABASE_URL: cannot open the SQLite file {path!r} (does its folder exist, "
                        "and may this user write there?)")
        return None
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 5432
    database, user = parts.path.strip("/"), parts.username or "(default)"
    where = f"PostgreSQL at {host}:{port}"
    for cause in _chain(error):
        name = type(cause).__name__
        if name == "InvalidCatalogNameError":
            return (f"DATABASE_URL: database {database!r} does not exist on {where}; create it "
                    f"(createdb -h {host} -p {port} {database}) or fix the name")
        if name == "InvalidAuthorizationSpecificationError":
            return f"DATABASE_URL: {where} has no role {user!r} that may connect ({cause})"
        if name == "InvalidPasswordError":
            return f"DATABASE_URL: {where} refused the password of role {user!r}"
        if name in ("TooManyConnectionsError", "CannotConnectNowError"):
            return f"DATABASE_URL: {where} refuses connections right now ({cause})"
        if isinstance(cause, socket.gaierror):
            return f"DATABASE_URL: the host {host!r} is unknown (DNS: {cause.strerror})"
        if isinstance(cause, ConnectionRefusedError):
            return f"DATABASE_URL: nothing accepts connections at {host}:{port}; is PostgreSQL running there?"
        if isinstance(cause, (TimeoutError, asyncio.TimeoutError)):
            return f"DATABASE_URL: {where} did not answer in time"
        if isinstance(cause, OSError) and cause.strerror:
            return f"DATABASE_URL: cannot reach {where} ({cause.strerror})"
        if type(cause).__module__.startswith("asyncpg"):
            return f"DATABASE_URL: {where} refused: {cause}"
    return None


async def check_database(settings: Settings, *, apply_on_sqlite: bool = False,
                         allow_pending: bool = False) -> list[str]:
    """Connect, then look at migrations: on SQLite (one process) apply them when asked;
    on PostgreSQL refuse pending ones unless allowed. Returns the migrations applied."""
    from api.readiness import pending_migrations
    from infra.db import close_db, init_db
    from migrations.runner import migrate

    await init_db(settings)
    try:
        from tortoise import connections

        await connections.get("default").execute_query("SELECT 1")
        if apply_on_sqlite and not settings.is_postgres:
            return await migrate()
        pending = await pending_migrations()
        if pending and not allow_pending:
            raise StartupError(f"the database has {len(pending)} pending migration(s) ({', '.join(pending)}); "
                               "run `casebook migrate` first, or serve with --allow-pending-migrations")
        return []
    finally:
        await close_db()


def run_in_database(settings: Settings, work: Any) -> Any:
    """Run `work()` (a coroutine function) with the database open; database failures
    become a StartupError naming DATABASE_URL."""
    from infra.db import close_db, init_db

    async def scoped() -> Any:
        await init_db(settings)
        try:
            return await work()
        finally:
            await close_db()

    return database_call(settings, scoped)


def check_sqlite_file(settings: Settings) -> None:
    """An SQLite file whose folder is missing or read-only is refused before connecting
    (a failed open leaves aiosqlite's thread printing tracebacks at exit)."""
    import os
    from pathlib import Path

    if settings.is_postgres:
        return
    name = settings.database_url.split("://", 1)[-1]
    if name in (":memory:", "") or name.startswith("file:"):
        return
    path = Path(name)
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists():
        if path.is_dir() or not os.access(path, os.R_OK | os.W_OK):
            raise StartupError(f"DATABASE_URL: the SQLite file {name!r} is a folder or not readable and writable")
    elif not folder.is_dir():
        raise StartupError(f"DATABASE_URL: the folder of the SQLite file {name!r} does not exist")
    elif not os.access(folder, os.W_OK):
        raise StartupError(f"DATABASE_URL: cannot create the SQLite file {name!r} (its folder is not writable)")


def database_call(settings: Settings, scoped: Any) -> Any:
    check_sqlite_file(settings)
    try:
        return asyncio.run(scoped())
    except StartupError:
        raise
    except Exception as error:
        message = explain_database_error(error, settings)
        if message is None:
            raise
        raise StartupError(message) from None


__all__ = ["DATABASE_URL_FORMS", "StartupError", "check_catalog", "check_database", "check_signing_keys",
           "database_call", "explain_database_error", "run_in_database"]
