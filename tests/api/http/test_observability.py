"""Observability: one structured JSON log line per request — request id,
principal, operation, status, duration, never secrets or content — and /metrics in the
Prometheus text format."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from api.logging import JsonFormatter, configure_logging
from tests.conftest import Api
from tests.support.flows import LOG_IN, PASSWORD, sign_up

ROOT = Path(__file__).resolve().parents[3]


def request_lines(caplog) -> list[dict]:
    """The request log lines as they would be written: JSON objects."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "casebook.request"]


async def test_each_request_writes_one_json_line_with_request_id_principal_and_operation(api, caplog):
    owner = await sign_up(api, "olga@example.org")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="casebook.request"):
        response = await api.http.post("/graphql", json={"query": "query Mine { me { user { id } } }"},
                                       headers={"authorization": f"Bearer {owner['accessToken']}",
                                                "x-request-id": "req-0123456789"})
    [line] = request_lines(caplog)
    assert response.headers["x-request-id"] == "req-0123456789"
    assert line["request_id"] == "req-0123456789"
    assert line["operation"] == "query me" and line["operation_name"] == "Mine"
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert line["principal_kind"] == "paid" and isinstance(line["user_id"], int)
    assert isinstance(line["account_id"], int)
    assert owner["accessToken"] not in json.dumps(line)


async def test_secrets_and_content_never_reach_the_log(api, caplog):
    with caplog.at_level(logging.DEBUG):
        owner = await sign_up(api, "secretive@example.org")
        await api(LOG_IN, {"input": {"email": "secretive@example.org", "password": "a wrong password 99"}})
    written = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for secret in (PASSWORD, "a wrong password 99", owner["accessToken"], owner["refreshToken"]):
        assert secret not in written


async def test_user_error_codes_and_error_codes_are_logged(api, caplog):
    with caplog.at_level(logging.INFO, logger="casebook.request"):
        await api(LOG_IN, {"input": {"email": "nobody@example.org", "password": "whatever 123"}})
        await api("{ me { user { id } } }")
    login, me = request_lines(caplog)
    assert login["operation"] == "mutation logIn" and login["user_errors"] == ["INVALID_CREDENTIALS"]
    assert me["errors"] == ["UNAUTHENTICATED"]


async def test_metrics_count_requests_latency_errors_and_limit_refusals(api):
    await api(LOG_IN, {"input": {"email": "nobody@example.org", "password": "whatever 123"}})
    await api("{ me { user { id } } }")
    await api.http.get("/healthz")
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert 'casebook_requests_total{operation="mutation logIn",status="200"} 1' in text
    assert 'casebook_requests_total{operation="GET /healthz",status="200"} 1' in text
    assert 'casebook_request_duration_seconds_bucket{le="+Inf",operation="query me"} 1' in text
    assert 'casebook_request_duration_seconds_count{operation="query me"} 1' in text
    assert 'casebook_graphql_errors_total{code="UNAUTHENTICATED"} 1' in text
    assert 'casebook_user_errors_total{code="INVALID_CREDENTIALS"} 1' in text
    assert "# TYPE casebook_request_duration_seconds histogram" in text


async def test_unknown_root_fields_do_not_become_metric_labels(api):
    await api("{ somethingMadeUp123 }")
    assert "somethingMadeUp123" not in (await api.http.get("/metrics")).text


async def test_metrics_can_require_a_token(db, settings):
    from api.app import create_app

    api = Api(create_app(settings.replace(metrics_token="scrape-token-123"), manage_db=False))
    assert (await api.http.get("/metrics")).status_code == 401
    ok = await api.http.get("/metrics", headers={"authorization": "Bearer scrape-token-123"})
    assert ok.status_code == 200


_WORKER = """
import sys
from api.metrics import Metrics
metrics = Metrics(sys.argv[1])
for _ in range(int(sys.argv[2])):
    metrics.observe("query me", 200, 0.02, ["RATE_LIMITED"], ["SEAT_LIMIT_REACHED"])
metrics.webhook_attempt("succeeded", 0.1)
print(metrics.render())
"""


def test_metrics_of_several_worker_processes_add_up(tmp_path):
    """Each worker process counts in the shared directory; a scrape on any of them sees
    the sum at once (prometheus-client's multiprocess mode)."""
    import subprocess
    import sys

    def worker(requests: int) -> str:
        return subprocess.run([sys.executable, "-c", _WORKER, str(tmp_path), str(requests)], check=True,
                              capture_output=True, text=True, env={"PATH": "", "PYTHONPATH": str(ROOT)}).stdout

    worker(2)
    text = worker(1)  # the second process renders both
    assert 'casebook_requests_total{operation="query me",status="200"} 3.0' in text
    assert 'casebook_request_duration_seconds_count{operation="query me"} 3.0' in text
    assert 'casebook_graphql_errors_total{code="RATE_LIMITED"} 3.0' in text
    assert 'casebook_user_errors_total{code="SEAT_LIMIT_REACHED"} 3.0' in text
    assert 'casebook_webhook_attempts_total{result="succeeded"} 2.0' in text


def test_configured_logging_writes_json_lines(settings, capsys):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        configure_logging(settings)
        configure_logging(settings)  # idempotent: still one handler of ours
        assert sum(1 for h in root.handlers if getattr(h, "casebook", False)) == 1
        logging.getLogger("casebook.test").warning("hello", extra={"fields": {"answer": 42}})
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert json.loads(line) | {"ts": None} == {"ts": None, "level": "WARNING", "logger": "casebook.test",
                                                   "msg": "hello", "answer": 42}
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        logging.getLogger("strawberry.execution").disabled = False
        logging.getLogger("uvicorn.access").disabled = False
