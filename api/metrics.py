"""Prometheus metrics, hand-written (text exposition format 0.0.4), no dependency.

Series:
* `casebook_requests_total{operation,status}` — HTTP requests; `operation` is
  "query dossiers" / "mutation logIn" (operation type and first root field, so the label
  set is bounded by the schema) or the path for non-GraphQL routes; `status` the HTTP code.
* `casebook_request_duration_seconds{operation}` — latency histogram.
* `casebook_graphql_errors_total{code}` — top-level errors by `extensions.code`
  (INTERNAL_SERVER_ERROR for masked ones, GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED
  for documents that do not parse or validate, BAD_USER_INPUT for variables that do not fit).
* `casebook_user_errors_total{code}` — `userErrors` codes in mutation payloads: the limit
  refusals (ACTIVE_CLIENT_LIMIT_REACHED, SEAT_LIMIT_REACHED, …) among them.

Several uvicorn workers: each process keeps its own registry and, when `METRICS_DIR`
is set (`casebook serve --workers N` sets one), writes a snapshot there at most once a
second (and a second after its last request); `/metrics` adds up every process's
snapshot, so a scrape that lands on any worker sees the whole server (up to a second
behind for the other workers).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SNAPSHOT_EVERY_SECONDS = 1.0


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self, snapshot_dir: str = "") -> None:
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir else None
        self.requests: dict[str, float] = defaultdict(float)      # "operation\tstatus"
        self.durations: dict[str, list[float]] = {}                # operation -> buckets + sum + count
        self.graphql_errors: dict[str, float] = defaultdict(float)
        self.user_errors: dict[str, float] = defaultdict(float)
        self._written = 0.0
        self._pending = False

    def observe(self, operation: str, status: int, seconds: float, error_codes: list[str],
                user_error_codes: list[str]) -> None:
        self.requests[f"{operation}\t{status}"] += 1
        series = self.durations.setdefault(operation, [0.0] * (len(BUCKETS) + 2))
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                series[index] += 1
        series[-2] += seconds
        series[-1] += 1
        for code in error_codes:
            self.graphql_errors[code] += 1
        for code in user_error_codes:
            self.user_errors[code] += 1
        if self.snapshot_dir is not None:
            self._schedule_snapshot()

    def _schedule_snapshot(self) -> None:
        """Write now if the last write is a second old, else once that second is over, so
        a worker's last requests reach the disk even when no request follows them."""
        if self._pending:
            return
        wait = SNAPSHOT_EVERY_SECONDS - (time.monotonic() - self._written)
        if wait <= 0:
            self.write_snapshot()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.write_snapshot()
            return
        self._pending = True
        loop.call_later(wait, self.write_snapshot)

    def _state(self) -> dict[str, Any]:
        return {"requests": dict(self.requests), "durations": self.durations,
                "graphql_errors": dict(self.graphql_errors), "user_errors": dict(self.user_errors)}

    def write_snapshot(self) -> None:
        assert self.snapshot_dir is not None
        self._pending = False
        self._written = time.monotonic()
        self.snapshot_dir.mkdir(parents=True, exist_ok=True)
        target = self.snapshot_dir / f"metrics-{os.getpid()}.json"
        scratch = target.with_suffix(".tmp")
        scratch.write_text(json.dumps(self._state()))
        scratch.replace(target)

    def merged(self) -> dict[str, Any]:
        """This process's live figures plus the other processes' snapshots."""
        states = [self._state()]
        if self.snapshot_dir is not None and self.snapshot_dir.is_dir():
            own = f"metrics-{os.getpid()}.json"
            for path in self.snapshot_dir.glob("metrics-*.json"):
                if path.name != own:
                    try:
                        states.append(json.loads(path.read_text()))
                    except (OSError, ValueError):
                        continue  # a worker is replacing it right now
        total: dict[str, Any] = {"requests": defaultdict(float), "durations": {},
                                 "graphql_errors": defaultdict(float), "user_errors": defaultdict(float)}
        for state in states:
            for key in ("requests", "graphql_errors", "user_errors"):
                for label, value in state[key].items():
                    total[key][label] += value
            for operation, series in state["durations"].items():
                into = total["durations"].setdefault(operation, [0.0] * len(series))
                for index, value in enumerate(series):
                    into[index] += value
        return total

    def render(self) -> str:
        state = self.merged()
        lines = ["# HELP casebook_requests_total HTTP requests by operation and status.",
                 "# TYPE casebook_requests_total counter"]
        for label, value in sorted(state["requests"].items()):
            operation, status = label.split("\t")
            lines.append(f'casebook_requests_total{{operation="{_escape(operation)}",status="{status}"}} {value:g}')
        lines += ["# HELP casebook_request_duration_seconds Request latency.",
                  "# TYPE casebook_request_duration_seconds histogram"]
        for operation, series in sorted(state["durations"].items()):
            name = _escape(operation)
            for bound, count in zip(BUCKETS, series):
                lines.append(f'casebook_request_duration_seconds_bucket{{operation="{name}",le="{bound:g}"}} {count:g}')
            lines.append(f'casebook_request_duration_seconds_bucket{{operation="{name}",le="+Inf"}} {series[-1]:g}')
            lines.append(f'casebook_request_duration_seconds_sum{{operation="{name}"}} {series[-2]:.6f}')
            lines.append(f'casebook_request_duration_seconds_count{{operation="{name}"}} {series[-1]:g}')
        for key, help_text in (("graphql_errors", "Top-level GraphQL errors by code."),
                               ("user_errors", "userErrors in mutation payloads by code (limit refusals).")):
            lines += [f"# HELP casebook_{key}_total {help_text}", f"# TYPE casebook_{key}_total counter"]
            for code, value in sorted(state[key].items()):
                lines.append(f'casebook_{key}_total{{code="{_escape(code)}"}} {value:g}')
        return "\n".join(lines) + "\n"


async def outbox_lines() -> list[str]:
    """The outbox as the database holds it, so every server and worker process reports
    the same queue: messages waiting (and the attempts they took) and failed ones."""
    from domain.outbox.queue import depth

    lines = ["# HELP casebook_outbox_messages Outbox messages by kind and status (pending: the queue; "
             "failed: retries ran out).", "# TYPE casebook_outbox_messages gauge"]
    counts = await depth()
    for (kind, status), (messages, _) in sorted(counts.items()):
        lines.append(f'casebook_outbox_messages{{kind="{_escape(kind)}",status="{status}"}} {messages}')
    lines += ["# HELP casebook_outbox_attempts Delivery attempts made on messages still pending or failed.",
              "# TYPE casebook_outbox_attempts gauge"]
    for (kind, status), (_, attempts) in sorted(counts.items()):
        lines.append(f'casebook_outbox_attempts{{kind="{_escape(kind)}",status="{status}"}} {attempts}')
    return lines


def metrics_endpoint(metrics: Metrics, token: str, production: bool = False):
    """Open without a token outside production; in production /metrics exists only with
    METRICS_TOKEN set (404 otherwise: per-operation counts are not for the public)."""

    async def endpoint(request: Request) -> Response:
        if production and not token:
            return JSONResponse({"errors": [{"message": "Not found.", "extensions": {"code": "NOT_FOUND"}}]},
                                status_code=404)
        if token:
            presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(presented.encode(), token.encode()):
                return PlainTextResponse("unauthorized\n", status_code=401,
                                         headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        body = metrics.render() + "\n".join(await outbox_lines()) + "\n"
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return endpoint


def prepare_metrics_dir(configured: str, workers: int) -> None:
    """Before starting several workers: give them one fresh directory for snapshots
    (METRICS_DIR, or a new temporary one), emptied of a previous run's figures."""
    import tempfile

    directory = configured
    if not directory and workers > 1:
        directory = os.environ["METRICS_DIR"] = tempfile.mkdtemp(prefix="casebook-metrics-")
    if directory and Path(directory).is_dir():
        for stale in Path(directory).glob("metrics-*.json"):
            stale.unlink(missing_ok=True)
