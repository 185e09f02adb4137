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
* Webhooks (T5), from the process that sends them: `casebook_webhook_attempts_total{result}`
  (succeeded, rejected: a non-2xx answer, no_response: timeout or connection failure,
  refused: a target the SSRF rules turned down), `casebook_webhook_attempt_duration_seconds`
  (latency histogram), `casebook_webhook_deliveries_total{status}` (deliveries that ended:
  succeeded or failed). From the database, the same for every process:
  `casebook_webhook_deliveries{status}` (pending, failing: the webhook queue) and
  `casebook_webhook_endpoints_disabled{reason}` (failing: disabled by the service).

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
        self.webhook_attempts: dict[str, float] = defaultdict(float)
        self.webhook_durations: dict[str, list[float]] = {}        # "all" -> buckets + sum + count
        self.webhook_deliveries: dict[str, float] = defaultdict(float)
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

    def webhook_attempt(self, result: str, seconds: float) -> None:
        self.webhook_attempts[result] += 1
        series = self.webhook_durations.setdefault("all", [0.0] * (len(BUCKETS) + 2))
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                series[index] += 1
        series[-2] += seconds
        series[-1] += 1
        if self.snapshot_dir is not None:
            self._schedule_snapshot()

    def webhook_delivery_finished(self, status: str) -> None:
        self.webhook_deliveries[status] += 1
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
                "graphql_errors": dict(self.graphql_errors), "user_errors": dict(self.user_errors),
                "webhook_attempts": dict(self.webhook_attempts), "webhook_durations": self.webhook_durations,
                "webhook_deliveries": dict(self.webhook_deliveries)}

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
                                 "graphql_errors": defaultdict(float), "user_errors": defaultdict(float),
                                 "webhook_attempts": defaultdict(float), "webhook_durations": {},
                                 "webhook_deliveries": defaultdict(float)}
        for state in states:
            for key in ("requests", "graphql_errors", "user_errors", "webhook_attempts", "webhook_deliveries"):
                for label, value in state.get(key, {}).items():
                    total[key][label] += value
            for key in ("durations", "webhook_durations"):
                for operation, series in state.get(key, {}).items():
                    into = total[key].setdefault(operation, [0.0] * len(series))
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
        lines += ["# HELP casebook_webhook_attempts_total Webhook delivery attempts by result.",
                  "# TYPE casebook_webhook_attempts_total counter"]
        for result, value in sorted(state["webhook_attempts"].items()):
            lines.append(f'casebook_webhook_attempts_total{{result="{_escape(result)}"}} {value:g}')
        lines += ["# HELP casebook_webhook_attempt_duration_seconds Webhook attempt latency (DNS to answer).",
                  "# TYPE casebook_webhook_attempt_duration_seconds histogram"]
        series = state["webhook_durations"].get("all", [0.0] * (len(BUCKETS) + 2))
        for bound, count in zip(BUCKETS, series):
            lines.append(f'casebook_webhook_attempt_duration_seconds_bucket{{le="{bound:g}"}} {count:g}')
        lines.append(f'casebook_webhook_attempt_duration_seconds_bucket{{le="+Inf"}} {series[-1]:g}')
        lines.append(f"casebook_webhook_attempt_duration_seconds_sum {series[-2]:.6f}")
        lines.append(f"casebook_webhook_attempt_duration_seconds_count {series[-1]:g}")
        lines += ["# HELP casebook_webhook_deliveries_total Webhook deliveries that ended, by status.",
                  "# TYPE casebook_webhook_deliveries_total counter"]
        for status, value in sorted(state["webhook_deliveries"].items()):
            lines.append(f'casebook_webhook_deliveries_total{{status="{_escape(status)}"}} {value:g}')
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


async def webhook_lines() -> list[str]:
    """The webhook queue and disabled endpoints as the database holds them."""
    from domain.webhooks.queries import disabled_endpoint_counts, queue_counts

    lines = ["# HELP casebook_webhook_deliveries Webhook deliveries waiting (pending) or being retried (failing).",
             "# TYPE casebook_webhook_deliveries gauge"]
    for status, count in sorted((await queue_counts()).items()):
        lines.append(f'casebook_webhook_deliveries{{status="{status}"}} {count}')
    lines += ["# HELP casebook_webhook_endpoints_disabled Webhook endpoints switched off, by reason "
              "(failing: by the service after failing past the threshold; manual: by the account).",
              "# TYPE casebook_webhook_endpoints_disabled gauge"]
    for reason, count in sorted((await disabled_endpoint_counts()).items()):
        lines.append(f'casebook_webhook_endpoints_disabled{{reason="{_escape(reason)}"}} {count}')
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
        body = metrics.render() + "\n".join(await outbox_lines() + await webhook_lines()) + "\n"
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
