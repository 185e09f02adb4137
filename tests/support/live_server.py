"""A real `casebook serve` on SQLite in a process of its own, for tests that speak HTTP from outside
(a preflight as a browser sends it, the TypeScript example client, GraphiQL in a headless browser)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


@contextlib.contextmanager
def serving(directory: Path, **settings: str) -> Iterator[str]:
    """The base URL of a development server over a fresh SQLite file in `directory`."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "CASEBOOK_"))}
    env.update({"CASEBOOK_ENV": "development", "JWT_SECRET": "x" * 40,
                "DATABASE_URL": str(directory / "db.sqlite3"), "MAIL_URL": f"file://{directory / 'mail'}",
                "PYTHONPATH": str(ROOT), **settings})
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=directory,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
