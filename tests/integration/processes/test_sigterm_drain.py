"""Rolling deploys (api/drain.py): the real `casebook serve` in a subprocess
gets SIGTERM while a request is in flight. /readyz answers 503 first while requests are
still served; the request in flight finishes; then the process exits — and one that takes
longer than SHUTDOWN_TIMEOUT_SECONDS does not keep it alive.

The slow request is an honest one: requestPasswordReset answers no sooner than
IDENTITY_RESPONSE_FLOOR_SECONDS (a production setting, I2), raised here to a few seconds.
On SQLite: one process on a file; on PostgreSQL: `--workers 2`, where SIGTERM reaches the
supervisor, which passes it on to each worker."""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import threading
import time

import httpx
import pytest

from bench.servers import ROOT, api_command, create_database, drop_database, free_port, migrate, server_env, wait_ready
from tests.conftest import ON_POSTGRES

# Alone (Makefile): readiness, drain and exit are timed against the wall clock.
pytestmark = pytest.mark.serial

RESET = """mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok userErrors { code } } }"""
DRAIN = 2.0


@pytest.fixture
def serve(tmp_path):
    """Start `casebook serve` with the given settings; yields (process, base URL)."""
    started: list[subprocess.Popen] = []
    databases: list[str] = []

    def start(**settings: str) -> tuple[subprocess.Popen, str]:
        if ON_POSTGRES:
            database = asyncio.run(create_database("casebook_drain_test"))
            databases.append(database)
            env = server_env(database, **settings)
            migrate(env)
            workers = 2
        else:
            env = server_env(f"sqlite://{tmp_path / 'drain.sqlite3'}", **settings)
            workers = 1
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(api_command(port, workers), env=env, cwd=ROOT, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started.append(process)
        wait_ready(base, "/readyz")
        return process, base

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
    for database in databases:
        asyncio.run(drop_database(database))


def _in_background(base: str, outcome: dict) -> threading.Thread:
    def post() -> None:
        began = time.monotonic()
        try:
            response = httpx.post(base + "/graphql", json={"query": RESET, "variables": {"e": "nobody@example.org"}},
                                  timeout=60)
            outcome["status"], outcome["text"] = response.status_code, response.text
        except httpx.HTTPError as error:
            outcome["error"] = repr(error)
        outcome["took"] = time.monotonic() - began

    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(0.5)  # the request is in the server by now, waiting out its floor
    return thread


def test_sigterm_drains_readiness_first_then_finishes_in_flight_requests_then_exits(serve):
    process, base = serve(SHUTDOWN_DRAIN_SECONDS=str(DRAIN), SHUTDOWN_TIMEOUT_SECONDS="15",
                          IDENTITY_RESPONSE_FLOOR_SECONDS="4", EXECUTION_TIMEOUT_SECONDS="30")
    outcome: dict = {}
    slow = _in_background(base, outcome)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)

    readiness = None
    while time.monotonic() - signalled < 1.5:
        readiness = httpx.get(base + "/readyz", timeout=2)
        if readiness.status_code == 503:
            break
        time.sleep(0.05)
    assert readiness is not None and readiness.status_code == 503, readiness and readiness.text
    assert readiness.json() == {"status": "draining"}
    assert time.monotonic() - signalled < DRAIN - 0.3, "503 came only at the end of the drain"
    # Draining is not refusing: new requests are still answered, by every worker.
    for _ in range(4):
        assert httpx.get(base + "/healthz", timeout=2).status_code == 200
        answered = httpx.post(base + "/graphql", json={"query": "{ __typename }"}, timeout=5)
        assert answered.json()["data"] == {"__typename": "Query"}
    assert process.poll() is None

    slow.join(timeout=30)
    assert outcome.get("status") == 200, outcome
    assert json.loads(outcome["text"])["data"]["requestPasswordReset"] == {"ok": True, "userErrors": []}
    assert outcome["took"] >= 4  # it really was in flight when the listener closed
    process.wait(timeout=20)
    exited = time.monotonic() - signalled
    assert exited >= DRAIN, f"exited {exited:.1f}s after SIGTERM, before the drain ended"
    assert "Traceback" not in process.stderr.read()
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/healthz", timeout=2)


def test_a_request_longer_than_the_shutdown_timeout_does_not_keep_the_process(serve):
    process, base = serve(SHUTDOWN_DRAIN_SECONDS="0.5", SHUTDOWN_TIMEOUT_SECONDS="1",
                          IDENTITY_RESPONSE_FLOOR_SECONDS="60", EXECUTION_TIMEOUT_SECONDS="120")
    outcome: dict = {}
    slow = _in_background(base, outcome)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    exited = time.monotonic() - signalled
    slow.join(timeout=15)
    assert 1.5 <= exited < 10, f"exited {exited:.1f}s after SIGTERM (drain 0.5s + timeout 1s)"
    assert outcome.get("status") != 200, outcome  # cut off, not answered
