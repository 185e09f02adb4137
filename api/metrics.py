"""Prometheus metrics with prometheus-client; several worker processes add up through its
multiprocess mode.

Series:
* `casebook_requests_total{operation,status}` — HTTP requests; `operation` is
  "query dossiers" / "mutation logIn" (operation type and first root field, so the label
  set is bounded by the schema) or the route for non-GraphQL requests ("GET /exports/{key}",
  "GET (no route)"), never the raw path; `status` the HTTP code.
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
* The outbox, from the database: `casebook_outbox_messages{kind,status}` and
  `casebook_outbox_attempts{kind,status}`.

Several processes (`casebook serve --workers N`, `casebook worker`): with `METRICS_DIR`
set (`casebook serve --workers N` makes one when it is not), every process counts in
memory-mapped files there (prometheus-client's multiprocess mode, which reads
PROMETHEUS_MULTIPROC_DIR) and `/metrics` adds up all of them, so a scrape that lands on
any worker sees the whole server, at once. Without it, each app counts in its own
registry (one process; the tests' apps stay apart).
"""
from __future__ import annotations

import hmac
import os
from pathlib import Path

from prometheus_client import (
    CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest, values,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# No `_created` series: they double the page and no dashboard of ours reads them.
disable_created_metrics()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _count_in(directory: str) -> None:
    """Make this process count in `directory`'s files. prometheus-client picks its value
    store when it is imported, from PROMETHEUS_MULTIPROC_DIR; a process that learns the
    directory from its settings later picks it again the same way."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    # Picked once per directory: a second store on the same files would write over the first.
    if os.environ.get(MULTIPROCESS_VARIABLE) != directory or values.ValueClass.__name__ != "MmapedValue":
        os.environ[MULTIPROCESS_VARIABLE] = directory
        values.ValueClass = values.get_value_class()


class Metrics:
    def __init__(self, snapshot_dir: str = "") -> None:
        self.directory = snapshot_dir
        if snapshot_dir:
            _count_in(snapshot_dir)
        self.registry = CollectorRegistry(auto_describe=True)
        into = {"registry": self.registry}
        self.requests = Counter("casebook_requests", "HTTP requests by operation and status.",
                                ("operation", "status"), **into)
        self.durations = Histogram("casebook_request_duration_seconds", "Request latency.", ("operation",),
                                   buckets=BUCKETS, **into)
        self.graphql_errors = Counter("casebook_graphql_errors", "Top-level GraphQL errors by code.", ("code",), **into)
        self.user_errors = Counter("casebook_user_errors", "userErrors in mutation payloads by code (limit refusals).",
                                   ("code",), **into)
        self.webhook_attempts = Counter("casebook_webhook_attempts", "Webhook delivery attempts by result.",
                                        ("result",), **into)
        self.webhook_durations = Histogram("casebook_webhook_attempt_duration_seconds",
                                           "Webhook attempt latency (DNS to answer).", buckets=BUCKETS, **into)
        self.webhook_deliveries = Counter("casebook_webhook_deliveries", "Webhook deliveries that ended, by status.",
                                          ("status",), **into)

    def observe(self, operation: str, status: int, seconds: float, error_codes: list[str],
                user_error_codes: list[str]) -> None:
        self.requests.labels(operation, str(status)).inc()
        self.durations.labels(operation).observe(seconds)
        for code in error_codes:
            self.graphql_errors.labels(code).inc()
        for code in user_error_codes:
            self.user_errors.labels(code).inc()

    def webhook_attempt(self, result: str, seconds: float) -> None:
        self.webhook_attempts.labels(result).inc()
        self.webhook_durations.observe(seconds)

    def webhook_delivery_finished(self, status: str) -> None:
        self.webhook_deliveries.labels(status).inc()

    def render(self) -> str:
        """This app's figures, or with a directory every process's, added up."""
        registry = self.registry
        if self.directory:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.directory)
        return generate_latest(registry).decode()


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
    """Before starting several workers: give them one fresh directory to count in
    (METRICS_DIR, or a new temporary one), emptied of a previous run's figures. The
    workers inherit it through the environment."""
    import tempfile

    directory = configured
    if not directory and workers > 1:
        directory = tempfile.mkdtemp(prefix="casebook-metrics-")
    if directory:
        os.environ["METRICS_DIR"] = os.environ[MULTIPROCESS_VARIABLE] = directory
        if Path(directory).is_dir():
            for stale in (*Path(directory).glob("*.db"), *Path(directory).glob("metrics-*.json")):
                stale.unlink(missing_ok=True)
