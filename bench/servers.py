"""Real servers for the benchmark, the race proof and the fuzz run: a fresh PostgreSQL
database, `casebook migrate`, and `casebook serve --workers N` as a subprocess."""
from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def server_url() -> str:
    """The PostgreSQL server to use (no database): BENCH_POSTGRES_URL, else DATABASE_URL's
    server, else the local one."""
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql://")):
        return DEFAULT_SERVER
    parts = urlsplit(url)
    return f"postgres://{parts.netloc}"


async def connect(url: str) -> asyncpg.Connection:
    """A plain asyncpg connection for setting up and counting. Through a transaction-pooling
    PgBouncer (DATABASE_POOLER=transaction) asyncpg's named, cached statements would land on
    server connections other clients use next: there the cache is off, as in the app."""
    options = {"statement_cache_size": 0} if os.environ.get("DATABASE_POOLER") == "transaction" else {}
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def create_database(prefix: str = "casebook_bench") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await connect(f"{server_url()}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{server_url()}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = await connect(f"{server_url()}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production settings with a real secret; rate limits out of the way of load; no drain."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEBOOK_", "RATE_LIMIT_", "METRICS_"))}
    env.update({
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        "CASEBOOK_ENV": "production",
        "DATABASE_URL": database_url,
        "DATABASE_POOL_SIZE": "10",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "WEBHOOK_SECRET_KEY": secrets.token_urlsafe(48),
        "MAIL_URL": "file://" + tempfile.mkdtemp(prefix="casebook-mail-"),
        "RATE_LIMIT_PER_CLIENT": "1000000",
        "RATE_LIMIT_PER_EMAIL": "1000000",
        "COST_BUDGET_POINTS": "0",  # no query-cost budget in the way of load
        "COST_BUDGET_ANONYMOUS_POINTS": "0",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "TWO_FACTOR_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # No load balancer watches /readyz here: stop at once (tests/integration/processes/test_sigterm_drain.py
        # sets its own).
        "SHUTDOWN_DRAIN_SECONDS": "0",
        # Production refuses the example seller VAT number (invoices, SPEC B6).
        "INVOICE_SELLER_VAT_NUMBER": "NL123456794B01",
    })
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "api.cli", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def wait_ready(base_url: str, path: str = "/healthz", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base_url + path, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not come up within {timeout:.0f}s")


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every process in a process group (a server and its
    workers), from /proc: what the server spent, whatever the load generator did."""
    # after the command: state ppid pgrp session … (fields[2]: the group)
    return _cpu_seconds(lambda command, fields: int(fields[2]) == pgid)


def database_cpu_seconds() -> float:
    """User + system CPU time of the PostgreSQL processes on this machine (the backends of
    every connection and the background workers), from /proc; 0 when it runs elsewhere."""
    return _cpu_seconds(lambda command, fields: command == "postgres")


def _cpu_seconds(chosen) -> float:  # noqa: ANN001 - chosen(command, fields after it) -> bool
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, _, tail = (entry / "stat").read_text().rpartition(")")
        except OSError:
            continue
        fields = tail.split()
        # utime and stime: the 12th and 13th fields after the command
        if chosen(head.partition("(")[2], fields):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@contextmanager
def running(command: list[str], env: dict[str, str], base_url: str, *,
            log_path: str | None = None) -> Iterator[subprocess.Popen]:
    """Start a server process; stop it (and its workers) on the way out. Yields the
    process, whose id is also its process group's (see `group_cpu_seconds`)."""
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        wait_ready(base_url)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()
        mail = env.get("MAIL_URL", "").removeprefix("file://")
        if Path(mail).name.startswith("casebook-mail-"):
            shutil.rmtree(mail, ignore_errors=True)  # the invitations the run sent


def api_command(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]


def plain_command(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench.plain_app:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--log-level", "warning", "--no-access-log",
            "--timeout-keep-alive", "65"]  # as `casebook serve` (HTTP_KEEP_ALIVE_SECONDS)
